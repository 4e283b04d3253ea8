using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>A request an owner signs as EIP-712 typed data under the pool's domain.</summary>
public interface IOwnerSigned
{
    /// <summary>hashStruct of the request.</summary>
    Hash32 StructHash();

    /// <summary>Who the request says signed it.</summary>
    Address ClaimedSigner { get; }

    /// <summary>The replay fence (0 for reads, which keep none).</summary>
    ulong Nonce { get; }

    /// <summary>Unix seconds after which the request is refused.</summary>
    ulong Expiry { get; }
}

/// <summary>Extensions of <see cref="IOwnerSigned"/>.</summary>
public static class OwnerSignedExtensions
{
    /// <summary>What the owner signs: keccak256(0x1901 ‖ the pool's domain separator ‖ hashStruct).</summary>
    public static Hash32 SigningDigest(this IOwnerSigned request, ulong chainId, Address verifyingContract)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Eip712Words.Digest(chainId, verifyingContract, request.StructHash());
    }
}
