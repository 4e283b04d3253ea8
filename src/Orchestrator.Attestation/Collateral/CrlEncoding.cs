using System.Text;

namespace Orchestrator.Attestation.Collateral;

/// <summary>
/// CRLs arrive as DER (PCS with encoding=der), PEM ("-----BEGIN X509 CRL-----") or hex of DER
/// (dcap-qvl JSON, PCCS v3). This normalises any of them to DER.
/// </summary>
public static class CrlEncoding
{
    /// <summary>Returns the DER bytes of a CRL given in DER, PEM or hex; throws <see cref="FormatException"/> otherwise.</summary>
    public static byte[] ToDer(ReadOnlySpan<byte> input)
    {
        var trimmed = TrimAscii(input);
        if (trimmed.Length == 0)
        {
            throw new FormatException("CRL is empty");
        }

        if (trimmed[0] == 0x30)
        {
            return trimmed.ToArray();
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(trimmed);
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException("CRL is neither DER, PEM nor hex", ex);
        }

        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            if (!System.Security.Cryptography.PemEncoding.TryFind(text, out var fields) || !text.AsSpan()[fields.Label].SequenceEqual("X509 CRL"))
            {
                throw new FormatException("CRL PEM has no X509 CRL block");
            }

            return Convert.FromBase64String(text[fields.Base64Data]);
        }

        return Convert.FromHexString(text);
    }

    private static ReadOnlySpan<byte> TrimAscii(ReadOnlySpan<byte> input)
    {
        var start = 0;
        var end = input.Length;
        while (start < end && IsTrimmable(input[start]))
        {
            start++;
        }

        while (end > start && IsTrimmable(input[end - 1]))
        {
            end--;
        }

        return input[start..end];
    }

    // NUL is trimmed too: Intel's C collateral structures count a terminating NUL in each size.
    private static bool IsTrimmable(byte b) => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0;
}
