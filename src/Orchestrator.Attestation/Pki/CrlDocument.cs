using System.Formats.Asn1;

namespace Orchestrator.Attestation.Pki;

/// <summary>
/// An X.509 CRL (RFC 5280 CertificateList) decoded by hand: .NET has no public CRL reader, and
/// the DCAP checks need the issuer, the update window, the revoked serials and the signed bytes.
/// </summary>
internal sealed class CrlDocument
{
    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    private const string CrlNumberOid = "2.5.29.20";
    private readonly HashSet<string> _revokedSerials = new(StringComparer.Ordinal);

    private CrlDocument(byte[] der) => Der = der;

    public byte[] Der { get; }

    public byte[] TbsBytes { get; private set; } = [];

    public byte[] Signature { get; private set; } = [];

    public string SignatureAlgorithm { get; private set; } = "";

    public byte[] IssuerRaw { get; private set; } = [];

    public DateTimeOffset ThisUpdate { get; private set; }

    public DateTimeOffset? NextUpdate { get; private set; }

    public int RevokedCount => _revokedSerials.Count;

    /// <summary>The cRLNumber extension (RFC 5280 §5.2.3) as decimal text, or null when the CRL carries none.</summary>
    public string? Number { get; private set; }

    public static CrlDocument Parse(byte[] der, string what)
    {
        var crl = new CrlDocument(der);
        try
        {
            crl.ReadStructure();
            return crl;
        }
        catch (AsnContentException ex)
        {
            throw new AttestationException(VerificationFailureReason.MalformedCollateral, $"{what} is not a valid DER CRL: {ex.Message}", ex);
        }
    }

    public bool IsRevoked(ParsedCertificate certificate) =>
        _revokedSerials.Contains(Convert.ToHexString(certificate.NormalizedSerial));

    public bool IsSignedBy(ParsedCertificate issuer)
    {
        if (SignatureAlgorithm != EcdsaWithSha256)
        {
            return false;
        }

        using var key = issuer.GetECDsaPublicKey();
        return key is not null && EcdsaP256.VerifyDer(key, TbsBytes, Signature);
    }

    private void ReadStructure()
    {
        var reader = new AsnReader(Der, AsnEncodingRules.DER);
        var outer = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        TbsBytes = outer.ReadEncodedValue().ToArray();
        SignatureAlgorithm = outer.ReadSequence().ReadObjectIdentifier();
        Signature = outer.ReadBitString(out _);
        outer.ThrowIfNotEmpty();

        var tbs = new AsnReader(TbsBytes, AsnEncodingRules.DER).ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            tbs.ReadInteger(); // version v2
        }

        tbs.ReadEncodedValue(); // signature algorithm (repeated inside the signed part)
        IssuerRaw = tbs.ReadEncodedValue().ToArray();
        ThisUpdate = Asn1Time.Read(tbs);
        if (tbs.HasData && Asn1Time.IsTime(tbs.PeekTag()))
        {
            NextUpdate = Asn1Time.Read(tbs);
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                var serial = ParsedCertificate.Normalize(entry.ReadIntegerBytes().Span);
                _revokedSerials.Add(Convert.ToHexString(serial));
            }
        }

        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
        {
            ReadExtensions(tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence());
        }
    }

    private void ReadExtensions(AsnReader extensions)
    {
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
            {
                extension.ReadBoolean();
            }

            var value = extension.ReadOctetString();
            if (oid == CrlNumberOid)
            {
                Number = new AsnReader(value, AsnEncodingRules.DER).ReadInteger().ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }
}
