namespace Orchestrator.Host.Observability.Status;

/// <summary>What the status page shows, as served at /status/data (JSON, camelCase).</summary>
public sealed record StatusSnapshot(
    DateTimeOffset GeneratedAt,
    string ServedBy,
    IReadOnlyList<SiloRow> Silos,
    TaskCounts Tasks,
    IReadOnlyDictionary<string, long> TasksOnThisSilo,
    long QueueDepthOnThisSilo,
    IReadOnlyList<DealRow> Deals,
    IReadOnlyList<WorkerRow> Workers,
    ChainRow Chain);

/// <summary>A silo of the cluster as the membership sees it.</summary>
public sealed record SiloRow(string Name, string Address, string Status);

/// <summary>Tasks of the listed deals by status.</summary>
public sealed record TaskCounts(long Total, long Completed, long Failed, long Open);

/// <summary>One deal's progress.</summary>
public sealed record DealRow(string DealId, DateTimeOffset CreatedAt, int Tasks, int Completed, int Failed, int Open, int Trust, int Category, int Reopens);

/// <summary>One worker: state, score and what it holds.</summary>
public sealed record WorkerRow(string Address, string State, int Score, int Held, DateTimeOffset? LastHeartbeat, int Contributions, int Wins, int Losses);

/// <summary>The chain bridge as this silo sees it (null values: not reported yet).</summary>
public sealed record ChainRow(bool Configured, long? LagBlocks, long? PendingTransactions);
