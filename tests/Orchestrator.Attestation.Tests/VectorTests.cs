using System.Text.Json;
using Orchestrator.Attestation.Quotes;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

public sealed class VectorTests
{
    private static readonly DcapQuoteVerifier Strict = new();
    private static readonly DcapQuoteVerifier NoRevocation = new(new QuoteVerificationOptions { CheckRevocation = false });

    public static TheoryData<string> AllVectors => SharedVectors.Ids(_ => true);

    public static TheoryData<string> VerdictVectors => SharedVectors.Ids(v => v.ExpectedKind == "verdict");

    public static TheoryData<string> WithoutCrlVectors => SharedVectors.Ids(v => v.ExpectedKind == "verdict-without-crls");

    public static TheoryData<string> FailureVectors => SharedVectors.Ids(v => v.ExpectedKind == "failure");

    [Fact]
    public void The_manifest_lists_every_vector_the_readme_summarises() =>
        Assert.Equal(16, SharedVectors.Vectors.Count);

    [Theory]
    [MemberData(nameof(VerdictVectors))]
    public void Verdict_vectors_give_the_expected_status_and_advisories(string id)
    {
        var v = SharedVectors.Get(id);
        var result = Strict.Verify(v.Quote, v.LoadCollateral(), v.At!.Value);

        Assert.True(result.IsVerified, $"{id}: {result.Failure} {result.FailureMessage}");
        Assert.Equal(v.Expected.GetProperty("status").GetString(), result.Status!.Value.ToIntelString());
        Assert.Equal(v.Expected.GetProperty("advisory_ids").EnumerateArray().Select(a => a.GetString()!), result.AdvisoryIds);
        Assert.True(result.RevocationChecked);
        AssertMeasurements(v, result);
    }

    [Theory]
    [MemberData(nameof(WithoutCrlVectors))]
    public void Vectors_without_crls_fail_strictly_with_CrlMissing(string id)
    {
        var v = SharedVectors.Get(id);
        var result = Strict.Verify(v.Quote, v.LoadCollateral(), v.At!.Value);

        Assert.False(result.IsVerified);
        Assert.Equal(VerificationFailureReason.CrlMissing, result.Failure);
    }

    [Theory]
    [MemberData(nameof(WithoutCrlVectors))]
    public void Vectors_without_crls_pass_only_with_revocation_checking_off(string id)
    {
        var v = SharedVectors.Get(id);
        var result = NoRevocation.Verify(v.Quote, v.LoadCollateral(), v.At!.Value);

        Assert.True(result.IsVerified, $"{id}: {result.Failure} {result.FailureMessage}");
        Assert.False(result.RevocationChecked);
        Assert.Equal(v.Expected.GetProperty("status").GetString(), result.Status!.Value.ToIntelString());
        Assert.Equal(v.Expected.GetProperty("advisory_ids").EnumerateArray().Select(a => a.GetString()!), result.AdvisoryIds);
        AssertMeasurements(v, result);
    }

    [Theory]
    [MemberData(nameof(FailureVectors))]
    public void Failure_vectors_fail_for_the_expected_cause(string id)
    {
        var v = SharedVectors.Get(id);
        var expected = v.Expected.GetProperty("reason").GetString() switch
        {
            "TcbLevelNotSupported" => VerificationFailureReason.NoMatchingTcbLevel,
            "CollateralExpired" => VerificationFailureReason.CollateralExpired,
            "UnsupportedCertificationDataType" => VerificationFailureReason.UnsupportedCertificationDataType,
            "MissingCollateral" => VerificationFailureReason.CrlMissing,
            var other => throw new InvalidOperationException("unmapped reason " + other),
        };
        var collateral = v.HasCollateral ? v.LoadCollateral() : null;
        var at = v.At ?? DateTimeOffset.UnixEpoch;

        // Vectors without CRLs are judged with revocation off so that the TCB cause is reached;
        // strictly they fail earlier (CrlMissing), which must not be a pass either.
        var crlLess = collateral is not null && collateral.PckCrl is null;
        var result = (crlLess ? NoRevocation : Strict).Verify(v.Quote, collateral, at);
        Assert.False(result.IsVerified);
        Assert.Equal(expected, result.Failure);
        if (crlLess)
        {
            Assert.Equal(VerificationFailureReason.CrlMissing, Strict.Verify(v.Quote, collateral, at).Failure);
        }

        AssertMeasurements(v, result);
    }

    [Theory]
    [MemberData(nameof(AllVectors))]
    public void Every_vector_parses_with_the_expected_fields(string id)
    {
        var v = SharedVectors.Get(id);
        var parsed = QuoteParser.Parse(v.Quote);
        Assert.True(parsed.Quote is not null, $"{id}: {parsed.Failure} {parsed.Message}");
        var q = parsed.Quote!;
        var f = v.Fields;

        Assert.Equal(f.GetProperty("tee").GetString(), q.TeeType == TeeType.Sgx ? "SGX" : "TDX");
        Assert.Equal(f.GetProperty("quote_version").GetInt32(), q.Version);
        if (f.TryGetProperty("qe_svn", out var qeSvn))
        {
            Assert.Equal(qeSvn.GetInt32(), q.QeSvn);
            Assert.Equal(f.GetProperty("pce_svn").GetInt32(), q.PceSvn);
        }

        if (f.TryGetProperty("trailing_bytes", out var trailing))
        {
            Assert.Equal(trailing.GetInt32(), q.TrailingByteCount);
        }

        if (f.TryGetProperty("certification_data_type", out var certType))
        {
            Assert.Equal(certType.GetInt32(), q.CertificationDataType);
            Assert.Equal(f.GetProperty("certification_data_size").GetInt32(), q.CertificationData.Length);
        }

        if (f.TryGetProperty("td_report", out var tdReport))
        {
            Assert.Equal(tdReport.GetString() == "1.5", q.TdReport!.IsVersion15);
        }

        AssertMeasurements(v, new QuoteVerificationResult { Enclave = q.EnclaveReport, TdReport = q.TdReport, TeeType = q.TeeType });
    }

    [Fact]
    public void Trailing_bytes_are_tolerated_by_default_and_precise_when_rejected()
    {
        var v = SharedVectors.Get("oasis-core/quote_v4_tdx_ecdsa_p256_trailing.bin");
        var lenient = QuoteParser.Parse(v.Quote);
        Assert.Equal(70, lenient.Quote!.TrailingByteCount);
        Assert.Equal(4936, lenient.Quote.Length);

        var strict = QuoteParser.Parse(v.Quote, rejectTrailingData: true);
        Assert.Null(strict.Quote);
        Assert.Equal(VerificationFailureReason.TrailingData, strict.Failure);

        var trimmed = QuoteParser.Parse(v.Quote.AsSpan(0, 4936), rejectTrailingData: true);
        Assert.NotNull(trimmed.Quote);
    }

    [Fact]
    public void The_debug_enclave_is_reported_as_debug()
    {
        var v = SharedVectors.Get("teepot/vault_proxy");
        var result = Strict.Verify(v.Quote, v.LoadCollateral(), v.At!.Value);
        Assert.True(result.IsVerified);
        Assert.True(result.IsDebug);
        Assert.False(Strict.Verify(SharedVectors.Get("teepot/azure").Quote, SharedVectors.Get("teepot/azure").LoadCollateral(), v.At!.Value).IsDebug);
    }

    [Theory]
    [MemberData(nameof(VerdictVectors))]
    public void Verdicts_hold_across_the_validity_window_start(string id)
    {
        // README: any instant inside the validity window gives the same verdict. Check 1 minute after its start.
        var v = SharedVectors.Get(id);
        var collateral = v.LoadCollateral();
        var start = LatestIssue(collateral);
        var result = Strict.Verify(v.Quote, collateral, start.AddMinutes(1));
        Assert.True(result.IsVerified, $"{id}: {result.Failure} {result.FailureMessage}");
        Assert.Equal(v.Expected.GetProperty("status").GetString(), result.Status!.Value.ToIntelString());
    }

    private static DateTimeOffset LatestIssue(Collateral.QuoteCollateral c)
    {
        static DateTimeOffset Issue(string json)
        {
            using var d = JsonDocument.Parse(json);
            return DateTimeOffset.Parse(d.RootElement.GetProperty("issueDate").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }

        return new[] { Issue(c.TcbInfo), Issue(c.QeIdentity) }.Max();
    }

    internal static void AssertMeasurements(Vector v, QuoteVerificationResult result)
    {
        var f = v.Fields;
        string? Field(string name) => f.TryGetProperty(name, out var p) ? p.GetString() : null;
        static string Hex(System.Collections.Immutable.ImmutableArray<byte> b) => Convert.ToHexStringLower(b.AsSpan());

        if (Field("report_data") is { } reportData)
        {
            Assert.Equal(reportData, Hex(result.ReportData));
        }

        if (result.TeeType == TeeType.Sgx)
        {
            var e = result.Enclave!;
            if (Field("mrenclave") is { } mrEnclave)
            {
                Assert.Equal(mrEnclave, Hex(e.MrEnclave));
            }

            if (Field("mrsigner") is { } mrSigner)
            {
                Assert.Equal(mrSigner, Hex(e.MrSigner));
            }

            if (f.TryGetProperty("isv_prod_id", out var prod))
            {
                Assert.Equal(prod.GetInt32(), e.IsvProdId);
                Assert.Equal(f.GetProperty("isv_svn").GetInt32(), e.IsvSvn);
            }

            if (f.TryGetProperty("debug", out var debug))
            {
                Assert.Equal(debug.GetBoolean(), e.IsDebug);
            }

            if (Field("cpusvn") is { } cpuSvn)
            {
                Assert.Equal(cpuSvn, Hex(e.CpuSvn));
            }

            if (Field("attributes") is { } attributes)
            {
                Assert.Equal(attributes, Hex(e.Attributes));
            }
        }
        else
        {
            var td = result.TdReport!;
            Assert.Equal(Field("mrtd"), Hex(td.MrTd));
            for (var i = 0; i < 4; i++)
            {
                if (Field($"rtmr{i}") is { } rtmr)
                {
                    Assert.Equal(rtmr, Hex(td.Rtmrs[i]));
                }
            }

            if (Field("tee_tcb_svn") is { } teeTcbSvn)
            {
                Assert.Equal(teeTcbSvn, Hex(td.TeeTcbSvn));
            }

            if (Field("tee_tcb_svn2") is { } teeTcbSvn2)
            {
                Assert.Equal(teeTcbSvn2, Hex(td.TeeTcbSvn2!.Value));
            }

            if (Field("td_attributes") is { } tdAttributes)
            {
                Assert.Equal(tdAttributes, Hex(td.TdAttributes));
            }

            if (Field("mr_signer_seam") is { } mrSignerSeam)
            {
                Assert.Equal(mrSignerSeam, Hex(td.MrSignerSeam));
            }

            if (Field("mr_service_td") is { } mrServiceTd)
            {
                Assert.Equal(mrServiceTd, Hex(td.MrServiceTd!.Value));
            }
        }
    }
}
