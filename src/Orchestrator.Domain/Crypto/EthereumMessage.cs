using System.Text;

namespace Orchestrator.Domain.Crypto;

/// <summary>EIP-191 version 0x45 ("personal_sign") hashing, signing and recovery.</summary>
public static class EthereumMessage
{
    /// <summary>keccak256("\x19Ethereum Signed Message:\n" ‖ len(message) ‖ message).</summary>
    public static byte[] Hash(ReadOnlySpan<byte> message)
    {
        var prefix = Encoding.ASCII.GetBytes($"\u0019Ethereum Signed Message:\n{message.Length}");
        var buffer = new byte[prefix.Length + message.Length];
        prefix.CopyTo(buffer, 0);
        message.CopyTo(buffer.AsSpan(prefix.Length));
        return Keccak256.Hash(buffer);
    }

    /// <summary>Signs a message the way wallets' personal_sign does.</summary>
    public static Signature Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> privateKey)
        => Secp256k1.Sign(Hash(message), privateKey);

    /// <summary>Recovers the address that personal-signed <paramref name="message"/>.</summary>
    public static bool TryRecover(ReadOnlySpan<byte> message, Signature signature, out Address signer)
        => Secp256k1.TryRecoverAddress(Hash(message), signature, out signer);
}
