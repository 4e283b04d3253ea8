using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Attestation.Pki;

/// <summary>
/// An X.509 certificate with the raw pieces the DCAP checks need: the to-be-signed bytes and
/// signature (verified by hand so the failure can be named), the raw issuer and subject names,
/// the serial number for CRL lookups, and the validity window.
/// </summary>
internal sealed class ParsedCertificate : IDisposable
{
    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";

    private ParsedCertificate(byte[] der, X509Certificate2 certificate)
    {
        Der = der;
        Certificate = certificate;
    }

    public byte[] Der { get; }

    public X509Certificate2 Certificate { get; }

    public byte[] TbsBytes { get; private set; } = [];

    public byte[] Signature { get; private set; } = [];

    public string SignatureAlgorithm { get; private set; } = "";

    public byte[] SerialNumber { get; private set; } = [];

    public byte[] IssuerRaw { get; private set; } = [];

    public byte[] SubjectRaw { get; private set; } = [];

    public DateTimeOffset NotBefore { get; private set; }

    public DateTimeOffset NotAfter { get; private set; }

    public string Subject => Certificate.Subject;

    public byte[] Sha256 => SHA256.HashData(Der);

    public static ParsedCertificate Parse(byte[] der)
    {
        X509Certificate2 x509;
        try
        {
            x509 = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw new AttestationException(VerificationFailureReason.MalformedCertificate, "certificate cannot be decoded: " + ex.Message, ex);
        }

        var parsed = new ParsedCertificate(der, x509);
        try
        {
            parsed.ReadStructure();
            return parsed;
        }
        catch (AsnContentException ex)
        {
            parsed.Dispose();
            throw new AttestationException(VerificationFailureReason.MalformedCertificate, "certificate structure cannot be decoded: " + ex.Message, ex);
        }
    }

    /// <summary>The certificate's EC public key, or null when it is not an EC key. The caller disposes it.</summary>
    public ECDsa? GetECDsaPublicKey() => Certificate.GetECDsaPublicKey();

    /// <summary>Verifies this certificate's signature with the issuer's public key.</summary>
    public bool IsSignedBy(ParsedCertificate issuer)
    {
        if (SignatureAlgorithm != EcdsaWithSha256)
        {
            return false;
        }

        using var key = issuer.GetECDsaPublicKey();
        return key is not null && EcdsaP256.VerifyDer(key, TbsBytes, Signature);
    }

    /// <summary>Serial number without leading zero bytes, for comparison with CRL entries.</summary>
    public ReadOnlySpan<byte> NormalizedSerial => Normalize(SerialNumber);

    public static ReadOnlySpan<byte> Normalize(ReadOnlySpan<byte> integer)
    {
        var i = 0;
        while (i < integer.Length - 1 && integer[i] == 0)
        {
            i++;
        }

        return integer[i..];
    }

    public void Dispose() => Certificate.Dispose();

    private void ReadStructure()
    {
        var outer = new AsnReader(Der, AsnEncodingRules.DER).ReadSequence();
        TbsBytes = outer.ReadEncodedValue().ToArray();
        var algorithm = outer.ReadSequence();
        SignatureAlgorithm = algorithm.ReadObjectIdentifier();
        Signature = outer.ReadBitString(out _);

        var tbs = new AsnReader(TbsBytes, AsnEncodingRules.DER).ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
        {
            tbs.ReadEncodedValue();
        }

        SerialNumber = tbs.ReadIntegerBytes().ToArray();
        tbs.ReadEncodedValue(); // inner signature algorithm
        IssuerRaw = tbs.ReadEncodedValue().ToArray();
        var validity = tbs.ReadSequence();
        NotBefore = Asn1Time.Read(validity);
        NotAfter = Asn1Time.Read(validity);
        SubjectRaw = tbs.ReadEncodedValue().ToArray();
    }
}
