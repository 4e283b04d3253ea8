namespace Orchestrator.Domain.Secrets;

/// <summary>Whose secret it is; a task is entitled to the secrets of the app, dataset and requester its deal names.</summary>
public enum SecretOwnerKind
{
    /// <summary>A dataset owner's secrets (the dataset decryption key), keyed by the dataset address.</summary>
    Dataset = 1,

    /// <summary>An app developer's secrets, keyed by the app address.</summary>
    App = 2,

    /// <summary>A requester's secrets, keyed by the requester address.</summary>
    Requester = 3,
}
