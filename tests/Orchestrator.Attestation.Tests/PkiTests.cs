using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Pki;

namespace Orchestrator.Attestation.Tests;

/// <summary>The hand-written CRL reader and the CRL encodings, on CRLs made here and on the shared ones.</summary>
public sealed class PkiTests
{
    [Fact]
    public void A_crl_lists_revoked_serials_and_verifies_with_its_issuer()
    {
        var now = DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Test PCK CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddYears(-1), now.AddYears(1));

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var revoked = new CertificateRequest("CN=Test SGX PCK Certificate", leafKey, HashAlgorithmName.SHA256).Create(ca, now.AddDays(-1), now.AddDays(1), [0x00, 0x8a, 0x01]);
        using var fine = new CertificateRequest("CN=Test SGX PCK Certificate", leafKey, HashAlgorithmName.SHA256).Create(ca, now.AddDays(-1), now.AddDays(1), [0x02]);

        var builder = new CertificateRevocationListBuilder();
        builder.AddEntry(revoked, now.AddHours(-1));
        var der = builder.Build(ca, BigInteger.One, now.AddDays(30), HashAlgorithmName.SHA256, thisUpdate: now.AddHours(-1));

        var crl = CrlDocument.Parse(der, "test CRL");
        using var parsedCa = ParsedCertificate.Parse(ca.RawData);
        using var parsedRevoked = ParsedCertificate.Parse(revoked.RawData);
        using var parsedFine = ParsedCertificate.Parse(fine.RawData);
        Assert.True(crl.IsSignedBy(parsedCa));
        Assert.True(crl.IsRevoked(parsedRevoked));
        Assert.False(crl.IsRevoked(parsedFine));
        Assert.Equal(now.AddHours(-1), crl.ThisUpdate);
        Assert.Equal(now.AddDays(30), crl.NextUpdate);
        Assert.Equal(parsedCa.SubjectRaw, crl.IssuerRaw);

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = new CertificateRequest("CN=Other", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(now.AddYears(-1), now.AddYears(1));
        using var parsedOther = ParsedCertificate.Parse(other.RawData);
        Assert.False(crl.IsSignedBy(parsedOther));
    }

    [Fact]
    public void Crls_decode_from_der_pem_and_hex_to_the_same_bytes()
    {
        var der = File.ReadAllBytes(SharedVectors.PathOf("teepot/sw_hardening/root_ca_crl.der"));
        var pem = System.Text.Encoding.ASCII.GetBytes(PemEncoding.WriteString("X509 CRL", der));
        var hex = System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(der) + "\n\0");
        Assert.Equal(der, CrlEncoding.ToDer(der));
        Assert.Equal(der, CrlEncoding.ToDer(pem));
        Assert.Equal(der, CrlEncoding.ToDer(hex));
        Assert.Throws<FormatException>(() => CrlEncoding.ToDer("not a crl"u8));
        Assert.Throws<FormatException>(() => CrlEncoding.ToDer([]));

        var pemFile = File.ReadAllBytes(SharedVectors.PathOf("teepot/azure/pck_crl.pem"));
        var crl = CrlDocument.Parse(CrlEncoding.ToDer(pemFile), "azure PCK CRL");
        Assert.True(crl.RevokedCount > 0);
    }

    [Fact]
    public void The_pinned_root_is_the_shared_trusted_root()
    {
        var der = File.ReadAllBytes(SharedVectors.PathOf("phala-dcap-qvl/TrustedRootCA.der"));
        Assert.Equal(IntelRootCa.Sha256Hex, Convert.ToHexStringLower(SHA256.HashData(der)));
    }

    [Fact]
    public void The_pck_extensions_of_the_spr_quote_match_go_tdx_guests_assertions()
    {
        var v = SharedVectors.Get("go-tdx-guest/tdx_prod_quote_SPR_E4.dat");
        var chain = PemCertificates.Parse(QuoteSurgery.Parse(v.Quote).CertificationData.AsSpan(), "chain");
        try
        {
            var ext = SgxPckExtensions.Parse(chain[0]);
            Assert.Equal(v.Fields.GetProperty("pck_ppid").GetString(), Convert.ToHexStringLower(ext.Ppid.AsSpan()));
            Assert.Equal(v.Fields.GetProperty("pck_cpusvn").GetString(), Convert.ToHexStringLower(ext.TcbComponents.AsSpan()));
            Assert.Equal(v.Fields.GetProperty("pck_pcesvn").GetInt32(), ext.PceSvn);
            Assert.Equal(v.Fields.GetProperty("pck_pceid").GetString(), Convert.ToHexStringLower(ext.PceId.AsSpan()));
            Assert.Equal(v.Fields.GetProperty("fmspc").GetString(), Convert.ToHexString(ext.Fmspc.AsSpan()));
        }
        finally
        {
            PemCertificates.DisposeAll(chain);
        }
    }
}
