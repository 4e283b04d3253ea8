using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Orchestrator.Simulation;

/// <summary>
/// Counts a silo's incoming grain calls, in all and by interface and method, for the benches: a lifecycle's
/// cost then reads as the calls it is made of. Installed as an incoming call filter, which sends every call
/// through Orleans' filter path, so a counted run is not a timed one.
/// </summary>
public sealed class GrainCallTally
{
    private readonly ConcurrentDictionary<(string Interface, string Method), StrongBox<long>> _byMethod = new();
    private long _count;

    /// <summary>Calls counted so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Counts one call.</summary>
    public void Add(string interfaceName, string methodName)
    {
        Interlocked.Increment(ref _count);
        var box = _byMethod.GetOrAdd((interfaceName, methodName), _ => new StrongBox<long>());
        Interlocked.Increment(ref box.Value);
    }

    /// <summary>The counts now, by "Interface.Method" (the interface's short name).</summary>
    public Dictionary<string, long> Snapshot() => _byMethod.ToDictionary(
        e => $"{e.Key.Interface[(e.Key.Interface.LastIndexOf('.') + 1)..]}.{e.Key.Method}", e => Interlocked.Read(ref e.Value.Value));

    /// <summary>"Interface.Method n.nn, …" per lifecycle since an earlier snapshot, most frequent first.</summary>
    public string PerLifecycleSince(IReadOnlyDictionary<string, long> earlier, int lifecycles)
    {
        var parts = Snapshot().Select(e => (e.Key, Calls: e.Value - earlier.GetValueOrDefault(e.Key)))
            .Where(e => e.Calls * 100 >= lifecycles) // 0.01 per lifecycle or more: set-up calls of a warm fleet are noise here
            .OrderByDescending(e => e.Calls)
            .Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} {e.Calls / (double)Math.Max(1, lifecycles):F2}"));
        return string.Join(", ", parts);
    }
}
