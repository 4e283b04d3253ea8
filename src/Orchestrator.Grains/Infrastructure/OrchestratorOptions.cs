using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Grains.Infrastructure;

/// <summary>Tunables of the grains (configuration section "Orchestrator:Scheduling").</summary>
public sealed class SchedulingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:Scheduling";

    /// <summary>Shards per dispatch class: more shards, less contention, more partitions for idle workers to look at.</summary>
    [Range(1, 1024)]
    public int DispatchShards { get; set; } = 8;

    /// <summary>
    /// Shards of the liveness roster (one grain and one reminder each) that wake the worker grains of a dead silo.
    /// Changing it strands no worker: an old shard keeps its reminder and pokes its members until they end.
    /// </summary>
    [Range(1, 1024)]
    public int RosterShards { get; set; } = 16;

    /// <summary>Tasks per dispatch entry when a deal fans out.</summary>
    [Range(1, 100_000)]
    public int FanOutChunk { get; set; } = 64;

    /// <summary>
    /// A worker silent this long is lost; its replicates go back to the queue. Three of the API's default
    /// 3 s heartbeat intervals; the worker grain checks at the instant silence reaches it, so this is the
    /// detection time itself.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(9);

    /// <summary>
    /// How often a silo's liveness sweep looks for workers whose silence reached <see cref="HeartbeatTimeout"/>: the most a
    /// loss is found late. It looks at each of the silo's live workers (a field read each), a few microseconds per thousand.
    /// </summary>
    public TimeSpan LivenessSweepInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often derived state (deal counters, worker holdings) is flushed when it changed.</summary>
    public TimeSpan WriteBehindInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An idle worker looks at the partitions at most this often.</summary>
    public TimeSpan IdleSweepInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a silo's idle sweeps skip a dispatch partition one of its takes left empty. Work queued
    /// through the same silo ends the skip at once; work queued through another silo waits at most this
    /// long to be seen. Zero: every sweep asks every partition.
    /// </summary>
    public TimeSpan EmptyShardMemory { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>At reconciliation, replicates assigned at least this long ago without a contribution are confirmed with their worker.</summary>
    public TimeSpan HoldingCheckAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a task in REVEALING waits (grain timer) before it takes a durable reveal-deadline reminder.</summary>
    public TimeSpan RevealReminderGrace { get; set; } = TimeSpan.FromSeconds(5);
}
