namespace Orchestrator.Domain.Secrets;

/// <summary>The master keys that wrap secrets' data keys, by id; where they come from is the host's business.</summary>
public interface IMasterKeys
{
    /// <summary>The id of the key that wraps new secrets.</summary>
    string ActiveKeyId { get; }

    /// <summary>The active key.</summary>
    byte[] Active { get; }

    /// <summary>A key by id; throws <see cref="System.Security.Cryptography.CryptographicException"/> when it is not configured.</summary>
    byte[] Get(string keyId);
}
