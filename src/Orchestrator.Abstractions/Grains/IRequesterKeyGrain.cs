using Orchestrator.Abstractions.Messages;

namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// A requester's result-encryption key, registered once by the requester (a signed
/// <see cref="Domain.Results.BeneficiaryKeyRegistration"/> checked by the API before this grain is
/// called), keyed by the requester's address as lowercase 0x-hex. A deal that names no key and is not
/// public takes a copy of it at creation.
/// </summary>
[Alias("orch.IRequesterKeyGrain")]
public interface IRequesterKeyGrain : IGrainWithStringKey
{
    /// <summary>Registers <paramref name="publicKey"/> (64 bytes) with the signed registration's <paramref name="expiry"/>: replaces the key only when the expiry is later than the last accepted.</summary>
    [Alias("set")]
    Task<RequesterKeySetResult> SetAsync(byte[] publicKey, ulong expiry);

    /// <summary>The registered key, or null.</summary>
    [Alias("get")]
    Task<RequesterKey?> GetAsync();
}
