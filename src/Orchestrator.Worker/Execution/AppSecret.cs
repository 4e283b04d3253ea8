namespace Orchestrator.Worker.Execution;

/// <summary>Whose secret an app receives (orchestrator.secrets.v1 OwnerKind).</summary>
public enum AppSecretOwner
{
    /// <summary>The deal's dataset (its decryption key is, by convention, named "key").</summary>
    Dataset = 1,

    /// <summary>The app's developer.</summary>
    App = 2,

    /// <summary>The deal's requester.</summary>
    Requester = 3,
}

/// <summary>A secret the secret service released to this enclave for the task, opened, for the app.</summary>
/// <param name="Owner">Whose secret it is.</param>
/// <param name="Name">Its name (1..128 of [A-Za-z0-9._-]).</param>
/// <param name="Value">Its bytes.</param>
public sealed record AppSecret(AppSecretOwner Owner, string Name, ReadOnlyMemory<byte> Value);
