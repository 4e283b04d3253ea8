namespace Orchestrator.Domain.Secrets;

/// <summary>Why the secret service refused a fetch.</summary>
public enum SecretRefusal
{
    /// <summary>Granted.</summary>
    None = 0,

    /// <summary>The task was never handed to an enclave (no challenge exists for it).</summary>
    UnknownTask = 1,

    /// <summary>The task's final deadline passed: its secrets and its enclave key expired.</summary>
    TaskExpired = 2,

    /// <summary>The session is not the worker's current session.</summary>
    SessionNotCurrent = 3,

    /// <summary>The request is not signed by the attested enclave session key, or its timestamp is out of bounds.</summary>
    BadProof = 4,

    /// <summary>The worker does not currently hold a running replicate of the task.</summary>
    NotHoldingReplicate = 5,

    /// <summary>The app has no attestation policy: nothing is released for it.</summary>
    NoAppPolicy = 6,

    /// <summary>The session's evidence does not satisfy the app's policy (measurement, TCB, age, simulation).</summary>
    AttestationRefused = 7,
}
