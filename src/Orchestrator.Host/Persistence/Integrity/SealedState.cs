namespace Orchestrator.Host.Persistence.Integrity;

/// <summary>
/// How a trust-bearing grain state is stored: the state serialized, the id of the master key its tag
/// derives from ("" when the silo has no master key and stores it untagged), and the tag.
/// </summary>
[GenerateSerializer, Alias("orch.state.sealed.v1")]
public sealed class SealedState
{
    [Id(0)] public string KeyId { get; set; } = string.Empty;
    [Id(1)] public byte[] Payload { get; set; } = [];
    [Id(2)] public byte[] Mac { get; set; } = [];
}

/// <summary>A stored trust state failed its integrity check: refused, never used.</summary>
public sealed class StateIntegrityException(string message) : Exception(message);
