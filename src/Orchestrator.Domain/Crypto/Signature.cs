namespace Orchestrator.Domain.Crypto;

/// <summary>A recoverable secp256k1 signature: r, s (32 bytes each, big-endian) and the recovery id (0 or 1).</summary>
public sealed record Signature(byte[] R, byte[] S, byte RecoveryId)
{
    /// <summary>The 65-byte Ethereum form r ‖ s ‖ v with v = 27 + recovery id.</summary>
    public byte[] ToBytes65()
    {
        var bytes = new byte[65];
        R.CopyTo(bytes, 32 - R.Length);
        S.CopyTo(bytes, 64 - S.Length);
        bytes[64] = (byte)(27 + RecoveryId);
        return bytes;
    }

    /// <summary>Reads r ‖ s ‖ v (v as 0/1 or 27/28), reporting why not.</summary>
    public static bool TryFromBytes65(ReadOnlySpan<byte> bytes, out Signature? signature, out string error)
    {
        signature = null;
        if (bytes.Length != 65)
        {
            error = $"a signature is 65 bytes (r ‖ s ‖ v), got {bytes.Length}";
            return false;
        }

        var v = bytes[64];
        byte recoveryId = v switch
        {
            0 or 1 => v,
            27 or 28 => (byte)(v - 27),
            _ => 255,
        };
        if (recoveryId > 1)
        {
            error = $"signature v must be 0, 1, 27 or 28, got {v}";
            return false;
        }

        signature = new Signature(bytes[..32].ToArray(), bytes[32..64].ToArray(), recoveryId);
        error = string.Empty;
        return true;
    }

    /// <summary>Hex of the 65-byte form.</summary>
    public override string ToString() => Hex.Encode(ToBytes65());
}
