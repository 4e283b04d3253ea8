using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Attestation.Pki;

/// <summary>Splits a PEM bundle into certificates in order (leaf first, as Intel sends them).</summary>
internal static class PemCertificates
{
    public static List<ParsedCertificate> Parse(ReadOnlySpan<byte> pemBytes, string what)
    {
        // Intel's C structures count a terminating NUL; it is not part of the PEM text.
        var end = pemBytes.Length;
        while (end > 0 && pemBytes[end - 1] == 0)
        {
            end--;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(pemBytes[..end]);
        }
        catch (DecoderFallbackException ex)
        {
            throw new AttestationException(VerificationFailureReason.MalformedCertificate, $"{what} is not PEM text", ex);
        }

        return Parse(text, what);
    }

    public static List<ParsedCertificate> Parse(string pem, string what)
    {
        var result = new List<ParsedCertificate>();
        var remaining = pem.AsSpan();
        try
        {
            while (PemEncoding.TryFind(remaining, out var fields))
            {
                var label = remaining[fields.Label];
                if (label.SequenceEqual("CERTIFICATE"))
                {
                    var der = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
                    result.Add(ParsedCertificate.Parse(der));
                }

                remaining = remaining[fields.Location.End..];
            }
        }
        catch (FormatException ex)
        {
            DisposeAll(result);
            throw new AttestationException(VerificationFailureReason.MalformedCertificate, $"{what} has invalid base64", ex);
        }
        catch (AttestationException)
        {
            DisposeAll(result);
            throw;
        }

        if (result.Count == 0)
        {
            throw new AttestationException(VerificationFailureReason.MalformedCertificate, $"{what} contains no PEM certificate");
        }

        // Anything other than whitespace after the last certificate means the bundle was damaged.
        if (!remaining.IsWhiteSpace())
        {
            DisposeAll(result);
            throw new AttestationException(VerificationFailureReason.MalformedCertificate, $"{what} has unexpected text after its last certificate");
        }

        return result;
    }

    public static void DisposeAll(IEnumerable<ParsedCertificate> certificates)
    {
        foreach (var c in certificates)
        {
            c.Dispose();
        }
    }
}
