using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Testing.Tee;

/// <summary>
/// A test certificate hierarchy shaped like Intel's DCAP PKI: a self-signed P-256 root, a PCK
/// Platform CA and a TCB signing certificate under it, and PCK leaf certificates carrying the SGX
/// extension (PPID, TCB components, PCESVN, CPUSVN, PCEID, FMSPC). Every name says TEST; the leaf
/// common names keep the words the verifier requires of each role ("SGX PCK Certificate",
/// "Intel SGX TCB Signing") so the verifier takes exactly the path it takes for Intel's chains.
/// </summary>
public sealed class TestPki : IDisposable
{
    private const string SgxExtensionOid = "1.2.840.113741.1.13.1";
    private long _nextSerial = 0x1000;

    /// <summary>Creates the root, PCK CA and TCB signer, all valid from a day before <paramref name="at"/> for ten years.</summary>
    public TestPki(DateTimeOffset at)
    {
        NotBefore = at.AddDays(-1);
        NotAfter = at.AddYears(10);
        RootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootName = new X500DistinguishedName("CN=Orchestrator TEST SGX Root CA, O=Orchestrator TEST (not Intel)");
        Root = CreateCa(rootName, RootKey, rootName, RootKey);
        PckCaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        PckCa = CreateCa(new X500DistinguishedName("CN=Intel SGX PCK Platform CA (TEST), O=Orchestrator TEST (not Intel)"), PckCaKey, rootName, RootKey);
        TcbSignerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signerRequest = new CertificateRequest("CN=Intel SGX TCB Signing (TEST), O=Orchestrator TEST (not Intel)", TcbSignerKey, HashAlgorithmName.SHA256);
        signerRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        TcbSigner = signerRequest.Create(rootName, X509SignatureGenerator.CreateForECDsa(RootKey), NotBefore, NotAfter, Serial());
    }

    /// <summary>Start of every certificate's validity.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>End of every certificate's validity.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>The test root CA (self-signed).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The root's key.</summary>
    public ECDsa RootKey { get; }

    /// <summary>The PCK Platform CA that issues PCK certificates and the PCK CRL.</summary>
    public X509Certificate2 PckCa { get; }

    /// <summary>The PCK CA's key.</summary>
    public ECDsa PckCaKey { get; }

    /// <summary>The certificate that signs TCB info and QE identity.</summary>
    public X509Certificate2 TcbSigner { get; }

    /// <summary>The TCB signer's key.</summary>
    public ECDsa TcbSignerKey { get; }

    /// <summary>The root in PEM: the file given to <c>--test-root</c> or <c>Orchestrator:Attestation:TestRootCertificate</c>.</summary>
    public string RootPem => Root.ExportCertificatePem();

    /// <summary>PCK CA then root, PEM (the PCK CRL issuer chain).</summary>
    public string PckCaChainPem => PckCa.ExportCertificatePem() + "\n" + RootPem + "\n";

    /// <summary>TCB signer then root, PEM (the TCB info and QE identity issuer chain).</summary>
    public string TcbSignerChainPem => TcbSigner.ExportCertificatePem() + "\n" + RootPem + "\n";

    /// <summary>Issues a PCK certificate for a platform key with the platform's SGX extension.</summary>
    public X509Certificate2 IssuePck(ECDsa pckKey, TestPlatform platform)
    {
        ArgumentNullException.ThrowIfNull(pckKey);
        ArgumentNullException.ThrowIfNull(platform);
        var request = new CertificateRequest("CN=Intel SGX PCK Certificate (TEST), O=Orchestrator TEST (not Intel)", pckKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        request.CertificateExtensions.Add(new X509Extension(SgxExtensionOid, SgxExtension(platform), critical: false));
        return request.Create(PckCa.SubjectName, X509SignatureGenerator.CreateForECDsa(PckCaKey), NotBefore, NotAfter, Serial());
    }

    /// <summary>The root CA CRL (revokes nothing) in DER, valid from an hour before <paramref name="at"/> for 30 days.</summary>
    public byte[] RootCaCrl(DateTimeOffset at) =>
        new CertificateRevocationListBuilder().Build(Root.SubjectName, X509SignatureGenerator.CreateForECDsa(RootKey), BigInteger.One, at.AddDays(30), HashAlgorithmName.SHA256,
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false), at.AddHours(-1));

    /// <summary>The PCK CRL in DER, revoking the given PCK certificates.</summary>
    public byte[] PckCrl(DateTimeOffset at, IEnumerable<X509Certificate2> revoked)
    {
        ArgumentNullException.ThrowIfNull(revoked);
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, at.AddHours(-2));
        }

        return builder.Build(PckCa.SubjectName, X509SignatureGenerator.CreateForECDsa(PckCaKey), BigInteger.One, at.AddDays(30), HashAlgorithmName.SHA256,
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(PckCa, true, false), at.AddHours(-1));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Root.Dispose();
        PckCa.Dispose();
        TcbSigner.Dispose();
        RootKey.Dispose();
        PckCaKey.Dispose();
        TcbSignerKey.Dispose();
    }

    private X509Certificate2 CreateCa(X500DistinguishedName subject, ECDsa key, X500DistinguishedName issuer, ECDsa issuerKey)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.Create(issuer, X509SignatureGenerator.CreateForECDsa(issuerKey), NotBefore, NotAfter, Serial());
    }

    private byte[] Serial()
    {
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _nextSerial));
        Array.Reverse(serial);
        serial[0] = 0x01; // positive and never all zero
        return serial;
    }

    /// <summary>The SGX extension: SEQUENCE of (OID, value) with the TCB as 16 component SVNs, PCESVN and CPUSVN.</summary>
    private static byte[] SgxExtension(TestPlatform platform)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            Item(writer, ".1", w => w.WriteOctetString(platform.Ppid.AsSpan()));
            Item(writer, ".2", w =>
            {
                using (w.PushSequence())
                {
                    for (var i = 0; i < 16; i++)
                    {
                        Item(w, $".2.{i + 1}", c => c.WriteInteger(platform.CpuSvn[i]));
                    }

                    Item(w, ".2.17", c => c.WriteInteger(platform.PceSvn));
                    Item(w, ".2.18", c => c.WriteOctetString(platform.CpuSvn.AsSpan()));
                }
            });
            Item(writer, ".3", w => w.WriteOctetString(platform.PceId.AsSpan()));
            Item(writer, ".4", w => w.WriteOctetString(platform.Fmspc.AsSpan()));
            Item(writer, ".5", w => w.WriteEnumeratedValue(SgxType.Standard));
        }

        return writer.Encode();
    }

    private static void Item(AsnWriter writer, string oidSuffix, Action<AsnWriter> value)
    {
        using (writer.PushSequence())
        {
            writer.WriteObjectIdentifier(SgxExtensionOid + oidSuffix);
            value(writer);
        }
    }

    private enum SgxType
    {
        Standard = 0,
    }
}
