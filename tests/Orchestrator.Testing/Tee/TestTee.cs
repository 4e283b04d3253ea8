using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Collateral;

namespace Orchestrator.Testing.Tee;

/// <summary>The files a test TEE gives a verifier: the root certificate and one collateral file per TEE kind.</summary>
/// <param name="RootPemPath">The test root CA in PEM (<c>--test-root</c>, <c>Orchestrator:Attestation:TestRootCertificate</c>).</param>
/// <param name="CollateralDirectory">A directory in the <c>FileCollateralProvider</c> layout (<c>Orchestrator:Attestation:CollateralDirectory</c>).</param>
/// <param name="SgxCollateralPath">The SGX collateral in the dcap-qvl JSON shape (<c>--collateral</c>).</param>
/// <param name="TdxCollateralPath">The TDX collateral in the same shape.</param>
public sealed record TestTeeFiles(string RootPemPath, string CollateralDirectory, string SgxCollateralPath, string TdxCollateralPath);

/// <summary>
/// A test TEE platform: a test root CA → PCK Platform CA → PCK certificate → attestation key, that
/// makes SGX v3 and TDX v4 quotes over any REPORTDATA and the matching collateral, so every line of
/// the DCAP verifier runs without Intel hardware. Trusted only where a test root is explicitly allowed.
/// </summary>
public sealed class TestTee : IDisposable
{
    private readonly ECDsa _pckKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _attestationKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly TestSigningMaterial _keys;

    private readonly bool _ownsPki;

    /// <summary>
    /// Creates a platform whose certificates and collateral are valid around <paramref name="at"/>; with
    /// <paramref name="pki"/>, a second platform under the same test root (another FMSPC has its own collateral).
    /// </summary>
    public TestTee(DateTimeOffset at, TestPlatform? platform = null, TestPki? pki = null)
    {
        At = at;
        Platform = platform ?? new TestPlatform();
        _ownsPki = pki is null;
        Pki = pki ?? new TestPki(at);
        Pck = Pki.IssuePck(_pckKey, Platform);
        _keys = new TestSigningMaterial(Platform, _pckKey, _attestationKey, Pck.ExportCertificatePem() + "\n" + Pki.PckCaChainPem);
    }

    /// <summary>
    /// Another platform under this one's root CA (its own PCK key and certificate, its own FMSPC so a verifier
    /// looks up its own collateral) whose collateral is issued around <paramref name="at"/>: how a test puts a
    /// revoked, out-of-date or stale machine beside a good one, all trusted through the same test root.
    /// </summary>
    public TestTee Sibling(TestPlatform platform, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(platform);
        return new TestTee(at ?? At, platform, Pki);
    }

    /// <summary>The instant the collateral is issued around (an hour before it, valid 30 days).</summary>
    public DateTimeOffset At { get; }

    /// <summary>The platform the PCK certificate describes.</summary>
    public TestPlatform Platform { get; }

    /// <summary>The test PKI.</summary>
    public TestPki Pki { get; }

    /// <summary>The platform's PCK certificate.</summary>
    public X509Certificate2 Pck { get; }

    /// <summary>SHA-256 (lower-case hex) of the root certificate's DER: what a verifier pins.</summary>
    public string RootSha256Hex => Convert.ToHexStringLower(SHA256.HashData(Pki.Root.RawData));

    /// <summary>An SGX quote v3 over <paramref name="reportData"/> (64 bytes) from <paramref name="enclave"/>.</summary>
    public byte[] SgxQuote(ReadOnlySpan<byte> reportData, TestEnclave? enclave = null) => TestQuotes.Sgx(reportData, enclave ?? new TestEnclave(), _keys);

    /// <summary>A TDX quote v4 over <paramref name="reportData"/> (64 bytes) from <paramref name="td"/>.</summary>
    public byte[] TdxQuote(ReadOnlySpan<byte> reportData, TestTd? td = null) => TestQuotes.Tdx(reportData, td ?? new TestTd(), _keys);

    /// <summary>A quote of the given kind over <paramref name="reportData"/> with default measurements.</summary>
    public byte[] Quote(TeeType tee, ReadOnlySpan<byte> reportData) => tee == TeeType.Tdx ? TdxQuote(reportData) : SgxQuote(reportData);

    /// <summary>The collateral for this platform's quotes of one TEE kind.</summary>
    public QuoteCollateral Collateral(TeeType tee, TestCollateralOptions? options = null) =>
        TestCollateral.Create(Pki, Platform, Pck, tee == TeeType.Tdx, At, options ?? new TestCollateralOptions());

    /// <summary>
    /// Writes the root PEM and both collaterals into <paramref name="directory"/>: the collateral files are
    /// named as <c>FileCollateralProvider</c> looks them up ({sgx|tdx}-{FMSPC}-platform.json).
    /// </summary>
    public TestTeeFiles WriteFiles(string directory, TestCollateralOptions? options = null)
    {
        Directory.CreateDirectory(directory);
        var root = Path.Combine(directory, "test-root.pem");
        File.WriteAllText(root, Pki.RootPem);
        var sgx = Path.Combine(directory, $"sgx-{Platform.FmspcHex}-platform.json");
        var tdx = Path.Combine(directory, $"tdx-{Platform.FmspcHex}-platform.json");
        File.WriteAllText(sgx, Collateral(TeeType.Sgx, options).ToDcapQvlJson());
        File.WriteAllText(tdx, Collateral(TeeType.Tdx, options).ToDcapQvlJson());
        return new TestTeeFiles(root, directory, sgx, tdx);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Pck.Dispose();
        if (_ownsPki)
        {
            Pki.Dispose();
        }

        _pckKey.Dispose();
        _attestationKey.Dispose();
    }
}
