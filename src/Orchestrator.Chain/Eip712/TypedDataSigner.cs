using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Eip712;

/// <summary>Signs and verifies EIP-712 typed data (what wallets do for eth_signTypedData_v4).</summary>
public static class TypedDataSigner
{
    /// <summary>Signs the digest of <paramref name="typedData"/>.</summary>
    public static Signature Sign(TypedData typedData, ReadOnlySpan<byte> privateKey)
        => Secp256k1.Sign(TypedDataEncoder.Digest(typedData).ToArray(), privateKey);

    /// <summary>Recovers the signer of <paramref name="typedData"/>.</summary>
    public static bool TryRecover(TypedData typedData, Signature signature, out Address signer)
        => Secp256k1.TryRecoverAddress(TypedDataEncoder.Digest(typedData).ToArray(), signature, out signer);
}
