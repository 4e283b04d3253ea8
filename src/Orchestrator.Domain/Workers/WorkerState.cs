namespace Orchestrator.Domain.Workers;

/// <summary>A worker's state as operators see it.</summary>
public enum WorkerState
{
    /// <summary>Never registered.</summary>
    Unknown = 0,

    /// <summary>Connected and taking work.</summary>
    Active = 1,

    /// <summary>Finishing what it holds, taking nothing new.</summary>
    Draining = 2,

    /// <summary>Missed its heartbeats; its replicates were released.</summary>
    Lost = 3,

    /// <summary>The pool revoked it.</summary>
    Revoked = 4,
}

/// <summary>Where a held replicate is, from the worker's side.</summary>
public enum HeldPhase
{
    /// <summary>Handed out, running.</summary>
    Running = 0,

    /// <summary>Contributed; waiting for consensus or a reveal request.</summary>
    Contributed = 1,

    /// <summary>Revealed; waiting for settlement.</summary>
    Revealed = 2,
}

/// <summary>When a change to a worker must reach storage.</summary>
public enum WorkerWrite
{
    /// <summary>Nothing changed.</summary>
    None = 0,

    /// <summary>
    /// Derived progress (phases, counters): written behind, since the task grains hold the truth and a
    /// lost write is recovered by reconciliation.
    /// </summary>
    Behind = 1,

    /// <summary>A change that must survive a silo loss (sessions, holdings, scores, drain, revoke, loss): written before the call returns.</summary>
    Through = 2,
}
