using System.Buffers.Binary;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Workers;

/// <summary>
/// One shard of the pool's liveness roster, pure: the workers whose grains must be woken after a silo
/// loss (a live session, so possibly holding work). It replaces one reminder per worker with one
/// reminder per shard: on each tick the shard pokes every member, and a member whose grain answers
/// that it no longer needs waking is dropped. Membership is at least once: a worker is listed before
/// its session is recorded, a poke that fails keeps it, and a worker that enlisted again while a sweep
/// was under way is never dropped by that sweep (its "not needed" answer may predate the enlistment).
/// </summary>
public sealed class LivenessRoster
{
    private readonly Dictionary<Address, long> _members = [];
    private long _generation;

    /// <summary>A roster loaded from its persisted members.</summary>
    public LivenessRoster(IEnumerable<Address> members)
    {
        foreach (var member in members)
        {
            _members[member] = 0;
        }
    }

    /// <summary>How many workers are listed.</summary>
    public int Count => _members.Count;

    /// <summary>Whether <paramref name="worker"/> is listed.</summary>
    public bool Lists(Address worker) => _members.ContainsKey(worker);

    /// <summary>The listed workers, for persisting.</summary>
    public IReadOnlyCollection<Address> Members => _members.Keys;

    /// <summary>Which shard lists <paramref name="worker"/>: its address's leading bytes (already uniform: a hash) modulo the shard count.</summary>
    public static int ShardOf(Address worker, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        return (int)(BinaryPrimitives.ReadUInt32BigEndian(worker.Bytes) % (uint)shards);
    }

    /// <summary>Lists a worker; true when it was not listed yet (the roster must be written before the enlistment is acknowledged).</summary>
    public bool Enlist(Address worker)
    {
        var added = !_members.ContainsKey(worker);
        _members[worker] = _generation;
        return added;
    }

    /// <summary>Starts a sweep: the members to poke now. Enlistments from here on survive this sweep's drops.</summary>
    public Sweep BeginSweep()
    {
        _generation++;
        return new Sweep(_generation, [.. _members.Keys]);
    }

    /// <summary>
    /// Ends a sweep: drops the members that answered they need no waking, unless they enlisted again
    /// since the sweep began. True when anything was dropped (the roster must be written).
    /// </summary>
    public bool EndSweep(Sweep sweep, IEnumerable<Address> notNeeded)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(notNeeded);
        var dropped = false;
        foreach (var worker in notNeeded)
        {
            if (_members.TryGetValue(worker, out var enlisted) && enlisted < sweep.Generation)
            {
                dropped |= _members.Remove(worker);
            }
        }

        return dropped;
    }

    /// <summary>One sweep in progress: its generation and the members it pokes.</summary>
    /// <param name="Generation">Enlistments at or after this generation are newer than the sweep.</param>
    /// <param name="Members">The workers to poke.</param>
    public sealed record Sweep(long Generation, IReadOnlyList<Address> Members);
}
