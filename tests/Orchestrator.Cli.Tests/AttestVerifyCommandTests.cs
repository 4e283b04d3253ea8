using System.Text.Json;
using Orchestrator.Attestation.Tests;
using Orchestrator.Cli.Commands.Attest;

namespace Orchestrator.Cli.Tests;

public sealed class AttestVerifyCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attest-cmd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_passing_sgx_vector_prints_ok_with_status_and_measurements_and_exits_0()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        var (code, json, _) = await RunAsync(v.QuotePath, SharedVectors.PathOf("phala-dcap-qvl/sgx_quote_collateral.json"), "2025-07-19T10:01:17Z", false);

        Assert.Equal(0, code);
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal("ConfigurationAndSWHardeningNeeded", json.GetProperty("status").GetString());
        Assert.False(json.TryGetProperty("failure", out _));
        Assert.Equal(["INTEL-SA-00289", "INTEL-SA-00615"], json.GetProperty("advisoryIds").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("SGX", json.GetProperty("teeType").GetString());
        Assert.Equal("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb", json.GetProperty("mrEnclave").GetString());
        Assert.Equal("815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6", json.GetProperty("mrSigner").GetString());
        Assert.Equal(0, json.GetProperty("isvProdId").GetInt32());
        Assert.Equal(0, json.GetProperty("isvSvn").GetInt32());
        Assert.Equal(v.Fields.GetProperty("report_data").GetString(), json.GetProperty("reportData").GetString());
    }

    [Fact]
    public async Task A_passing_tdx_vector_accepts_unix_seconds_and_prints_td_measurements()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/tdx_quote");
        var (code, json, _) = await RunAsync(v.QuotePath, SharedVectors.PathOf("phala-dcap-qvl/tdx_quote_collateral.json"), "1752919234", false);

        Assert.Equal(0, code);
        Assert.Equal("UpToDate", json.GetProperty("status").GetString());
        Assert.Equal("TDX", json.GetProperty("teeType").GetString());
        Assert.Empty(json.GetProperty("advisoryIds").EnumerateArray());
        Assert.Equal(v.Fields.GetProperty("mrtd").GetString(), json.GetProperty("mrTd").GetString());
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(v.Fields.GetProperty($"rtmr{i}").GetString(), json.GetProperty($"rtmr{i}").GetString());
        }

        Assert.Equal(v.Fields.GetProperty("report_data").GetString(), json.GetProperty("reportData").GetString());
    }

    [Fact]
    public async Task A_failing_vector_prints_the_failure_and_exits_1()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/tdx_quote_outdated");
        var (code, json, stderr) = await RunAsync(v.QuotePath, SharedVectors.PathOf("phala-dcap-qvl/tdx_quote_outdated_collateral.json"), "2026-03-20T10:41:14Z", false);

        Assert.Equal(1, code);
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Equal("NoMatchingTcbLevel", json.GetProperty("failure").GetString());
        Assert.False(json.TryGetProperty("status", out _));
        Assert.Equal("TDX", json.GetProperty("teeType").GetString());
        Assert.Contains("NOT verified", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Collateral_without_crls_fails_unless_no_revocation_is_given()
    {
        // Convert the Oasis bundle to the command's dcap-qvl shape (CRL fields null).
        var v = SharedVectors.Get("oasis-core/quote_v4_tdx_ecdsa_p256.bin");
        var collateralPath = Path.Combine(_dir, "oasis.json");
        await File.WriteAllTextAsync(collateralPath, v.LoadCollateral().ToDcapQvlJson());

        var (strictCode, strict, _) = await RunAsync(v.QuotePath, collateralPath, "2024-09-02T07:43:52Z", false);
        Assert.Equal(1, strictCode);
        Assert.Equal("CrlMissing", strict.GetProperty("failure").GetString());

        var (code, json, stderr) = await RunAsync(v.QuotePath, collateralPath, "2024-09-02T07:43:52Z", true);
        Assert.Equal(0, code);
        Assert.Equal("UpToDate", json.GetProperty("status").GetString());
        Assert.Contains("revocation NOT checked", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pcs_files_vector_round_trips_through_the_dcap_qvl_shape_and_a_hex_quote()
    {
        var v = SharedVectors.Get("teepot/azure");
        var collateralPath = Path.Combine(_dir, "azure.json");
        await File.WriteAllTextAsync(collateralPath, v.LoadCollateral().ToDcapQvlJson());
        var quotePath = Path.Combine(_dir, "quote.hex");
        await File.WriteAllTextAsync(quotePath, Convert.ToHexStringLower(v.Quote) + "\n");

        var (code, json, _) = await RunAsync(quotePath, collateralPath, "2023-05-15T15:41:43+00:00", false);
        Assert.Equal(0, code);
        Assert.Equal("SWHardeningNeeded", json.GetProperty("status").GetString());
        Assert.Equal(["INTEL-SA-00615"], json.GetProperty("advisoryIds").EnumerateArray().Select(a => a.GetString()));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("")]
    [InlineData("2025-13-45T00:00:00Z")]
    public async Task An_unparsable_instant_is_a_usage_error_exit_2(string at)
    {
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        var (code, json, _) = await RunAsync(v.QuotePath, SharedVectors.PathOf("phala-dcap-qvl/sgx_quote_collateral.json"), at, false);
        Assert.Equal(2, code);
        Assert.Equal("UsageError", json.GetProperty("failure").GetString());
    }

    [Fact]
    public async Task Missing_files_and_malformed_collateral_are_reported_in_json()
    {
        var (code, json, _) = await RunAsync(Path.Combine(_dir, "nope.bin"), Path.Combine(_dir, "nope.json"), "now", false);
        Assert.Equal(2, code);
        Assert.False(json.GetProperty("ok").GetBoolean());

        var bad = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(bad, "{\"tcb_info\": 1}");
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        (code, json, _) = await RunAsync(v.QuotePath, bad, "now", false);
        Assert.Equal(1, code);
        Assert.Equal("MalformedCollateral", json.GetProperty("failure").GetString());
    }

    [Theory]
    [InlineData(Attestation.TeeType.Sgx)]
    [InlineData(Attestation.TeeType.Tdx)]
    public async Task A_test_root_quote_is_refused_by_default_and_verified_with_test_root_with_the_intel_json_fields(Attestation.TeeType tee)
    {
        var at = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        using var testTee = new Orchestrator.Testing.Tee.TestTee(at);
        var files = testTee.WriteFiles(Path.Combine(_dir, "tee"));
        var quotePath = Path.Combine(_dir, "quote.bin");
        await File.WriteAllBytesAsync(quotePath, testTee.Quote(tee, new byte[64]));
        var collateral = tee == Attestation.TeeType.Sgx ? files.SgxCollateralPath : files.TdxCollateralPath;

        var (refusedCode, refused, _) = await RunAsync(quotePath, collateral, "2026-12-05T12:00:00Z", false);
        Assert.Equal(1, refusedCode);
        Assert.Equal("UntrustedRoot", refused.GetProperty("failure").GetString());

        var (code, json, stderr) = await RunAsync(quotePath, collateral, "2026-12-05T12:00:00Z", false, files.RootPemPath);
        Assert.Equal(0, code);
        Assert.Equal("UpToDate", json.GetProperty("status").GetString());
        Assert.Contains("TEST root", stderr, StringComparison.Ordinal);

        // The same fields as a verified Intel-rooted quote of the same kind.
        var intel = tee == Attestation.TeeType.Sgx
            ? await RunAsync(SharedVectors.Get("phala-dcap-qvl/sgx_quote").QuotePath, SharedVectors.PathOf("phala-dcap-qvl/sgx_quote_collateral.json"), "2025-07-19T10:01:17Z", false)
            : await RunAsync(SharedVectors.Get("phala-dcap-qvl/tdx_quote").QuotePath, SharedVectors.PathOf("phala-dcap-qvl/tdx_quote_collateral.json"), "1752919234", false);
        Assert.Equal(0, intel.Code);
        Assert.Equal(intel.Json.EnumerateObject().Select(p => p.Name).Order(), json.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task A_test_root_file_that_is_not_one_self_signed_ca_is_a_usage_error()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        var notRoot = Path.Combine(_dir, "not-root.pem");
        await File.WriteAllTextAsync(notRoot, "not a certificate");

        var (code, json, stderr) = await RunAsync(v.QuotePath, SharedVectors.PathOf("phala-dcap-qvl/sgx_quote_collateral.json"), "2025-07-19T10:01:17Z", false, notRoot);

        Assert.Equal(2, code);
        Assert.Equal("UsageError", json.GetProperty("failure").GetString());
        Assert.Contains("--test-root", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1752919277", "2025-07-19T10:01:17+00:00")]
    [InlineData("2025-07-19T10:01:17Z", "2025-07-19T10:01:17+00:00")]
    [InlineData("2025-07-19T12:01:17+02:00", "2025-07-19T10:01:17+00:00")]
    [InlineData("2025-07-19T10:01:17", "2025-07-19T10:01:17+00:00")]
    public void The_instant_accepts_iso8601_and_unix_seconds(string text, string expected)
    {
        Assert.True(AttestVerifyCommand.TryParseInstant(text, TimeProvider.System, out var at));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), at);
        Assert.Equal(TimeSpan.Zero, at.Offset);
    }

    private static async Task<(int Code, JsonElement Json, string Stderr)> RunAsync(string quote, string collateral, string at, bool noRevocation, string? testRoot = null)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await AttestVerifyCommand.RunAsync(quote, collateral, at, noRevocation, testRoot, stdout, stderr);
        using var doc = JsonDocument.Parse(stdout.ToString()); // exactly one JSON object: Parse rejects trailing content
        return (code, doc.RootElement.Clone(), stderr.ToString());
    }
}
