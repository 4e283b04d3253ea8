using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Quotes;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

/// <summary>Intel QVL's TCB level selection and status convergence, on synthetic TCB info (paths the vectors do not reach).</summary>
public sealed class TcbEvaluatorTests
{
    private static readonly QeOutcome QeUpToDate = new(TcbStatus.UpToDate, []);
    private static readonly DateTimeOffset T = DateTimeOffset.UnixEpoch;

    private static SgxPckExtensions Pck(params byte[] components) => new()
    {
        Ppid = [.. new byte[16]],
        TcbComponents = [.. Pad(components)],
        PceSvn = 13,
        CpuSvn = [.. Pad(components)],
        PceId = [0, 0],
        Fmspc = [.. new byte[6]],
    };

    private static byte[] Pad(byte[] b) => [.. b, .. new byte[16 - b.Length]];

    private static TcbLevel Level(TcbStatus status, byte[] sgx, int pce = 13, byte[]? tdx = null, params string[] advisories) =>
        new(Pad(sgx), pce, tdx is null ? null : Pad(tdx), T, status, advisories);

    private static TcbInfo Info(string id, params TcbLevel[] levels) => new()
    {
        Id = id,
        Version = 3,
        IssueDate = T,
        NextUpdate = T.AddDays(30),
        Fmspc = new byte[6],
        PceId = new byte[2],
        EvaluationDataNumber = 17,
        Levels = levels,
        TdxModule = new TdxModuleIdentity("TDX_MODULE", new byte[48], new byte[8], Enumerable.Repeat((byte)0xFF, 8).ToArray(), []),
        TdxModuleIdentities =
        [
            new TdxModuleIdentity("TDX_01", new byte[48], new byte[8], new byte[8],
                [new IsvSvnLevel(6, TcbStatus.UpToDate, []), new IsvSvnLevel(4, TcbStatus.OutOfDate, ["INTEL-SA-01036"])]),
        ],
    };

    private static DcapQuote Sgx => QuoteSurgery.Parse(SharedVectors.Get("phala-dcap-qvl/sgx_quote").Quote);

    private static DcapQuote Tdx(params byte[] teeTcbSvn)
    {
        var q = QuoteSurgery.Parse(SharedVectors.Get("phala-dcap-qvl/tdx_quote").Quote);
        return q with { TdReport = q.TdReport! with { TeeTcbSvn = [.. Pad(teeTcbSvn)] } };
    }

    [Fact]
    public void Components_are_compared_one_by_one_not_lexicographically()
    {
        // [3,0] is lexicographically above [2,9] but component 2 is lower: that level must not match.
        var info = Info("SGX", Level(TcbStatus.UpToDate, [2, 9]), Level(TcbStatus.OutOfDate, [1, 0], 5, null, "INTEL-SA-1"));
        var outcome = TcbEvaluator.Evaluate(info, Pck(3, 0), Sgx, QeUpToDate);
        Assert.Equal(TcbStatus.OutOfDate, outcome.Status);
        Assert.Equal(["INTEL-SA-1"], outcome.AdvisoryIds);
    }

    [Fact]
    public void A_lower_pcesvn_skips_a_level_and_no_level_is_not_supported()
    {
        var info = Info("SGX", Level(TcbStatus.UpToDate, [1], pce: 14), Level(TcbStatus.SWHardeningNeeded, [1], pce: 13));
        Assert.Equal(TcbStatus.SWHardeningNeeded, TcbEvaluator.Evaluate(info, Pck(1), Sgx, QeUpToDate).Status);

        var ex = Assert.Throws<AttestationException>(() => TcbEvaluator.Evaluate(Info("SGX", Level(TcbStatus.UpToDate, [2])), Pck(1), Sgx, QeUpToDate));
        Assert.Equal(VerificationFailureReason.NoMatchingTcbLevel, ex.Reason);
    }

    [Theory]
    [InlineData(TcbStatus.UpToDate, TcbStatus.OutOfDate, TcbStatus.OutOfDate)]
    [InlineData(TcbStatus.SWHardeningNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDate)]
    [InlineData(TcbStatus.ConfigurationNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.ConfigurationAndSWHardeningNeeded, TcbStatus.OutOfDate, TcbStatus.OutOfDateConfigurationNeeded)]
    [InlineData(TcbStatus.UpToDate, TcbStatus.Revoked, TcbStatus.Revoked)]
    [InlineData(TcbStatus.Revoked, TcbStatus.UpToDate, TcbStatus.Revoked)]
    [InlineData(TcbStatus.ConfigurationNeeded, TcbStatus.UpToDate, TcbStatus.ConfigurationNeeded)]
    public void The_qe_status_converges_with_the_platform_status_as_intel_does(TcbStatus platform, TcbStatus qe, TcbStatus expected)
    {
        var info = Info("SGX", Level(platform, [1], 13, null, "INTEL-SA-A"));
        var outcome = TcbEvaluator.Evaluate(info, Pck(1), Sgx, new QeOutcome(qe, ["INTEL-SA-QE", "INTEL-SA-A"]));
        Assert.Equal(expected, outcome.Status);
        Assert.Equal(platform, outcome.PlatformStatus);
        Assert.Equal(["INTEL-SA-A", "INTEL-SA-QE"], outcome.AdvisoryIds);
    }

    [Fact]
    public void Tdx_levels_need_the_tee_tcb_svn_and_skip_module_bytes_when_a_module_version_is_present()
    {
        var info = Info("TDX",
            Level(TcbStatus.UpToDate, [1], 13, [9, 9, 3]),
            Level(TcbStatus.OutOfDate, [1], 13, [0, 0, 2]));

        // Module version 1, ISV SVN 6: bytes 0-1 are judged by module identity TDX_01, byte 2 = 3 matches the first level.
        Assert.Equal(TcbStatus.UpToDate, TcbEvaluator.Evaluate(info, Pck(1), Tdx(6, 1, 3), QeUpToDate).Status);

        // Byte 2 = 2: second level.
        Assert.Equal(TcbStatus.OutOfDate, TcbEvaluator.Evaluate(info, Pck(1), Tdx(6, 1, 2), QeUpToDate).Status);

        // No module version: all bytes compared, 5 < 9 on byte 0 -> second level.
        Assert.Equal(TcbStatus.OutOfDate, TcbEvaluator.Evaluate(info, Pck(1), Tdx(5, 0, 3), QeUpToDate).Status);

        // Byte 2 below every level.
        Assert.Equal(VerificationFailureReason.NoMatchingTcbLevel, Assert.Throws<AttestationException>(() => TcbEvaluator.Evaluate(info, Pck(1), Tdx(6, 1, 1), QeUpToDate)).Reason);
    }

    [Fact]
    public void The_tdx_module_identity_level_converges_into_the_status()
    {
        var info = Info("TDX", Level(TcbStatus.UpToDate, [1], 13, [0, 0, 1], "INTEL-SA-P"));

        var outdatedModule = TcbEvaluator.Evaluate(info, Pck(1), Tdx(4, 1, 1), QeUpToDate);
        Assert.Equal(TcbStatus.OutOfDate, outdatedModule.Status);
        Assert.Equal(["INTEL-SA-P", "INTEL-SA-01036"], outdatedModule.AdvisoryIds);

        Assert.Equal(VerificationFailureReason.NoMatchingTcbLevel, Assert.Throws<AttestationException>(() => TcbEvaluator.Evaluate(info, Pck(1), Tdx(3, 1, 1), QeUpToDate)).Reason);
        Assert.Equal(VerificationFailureReason.TdxModuleMismatch, Assert.Throws<AttestationException>(() => TcbEvaluator.Evaluate(info, Pck(1), Tdx(9, 2, 1), QeUpToDate)).Reason);
    }

    [Fact]
    public void The_tdx_module_signer_and_attributes_must_match()
    {
        var info = Info("TDX", Level(TcbStatus.UpToDate, [1], 13, [0, 0, 1]));
        TcbEvaluator.CheckTdxModuleIdentity(info, Tdx(6, 1, 1));

        var q = Tdx(6, 1, 1);
        var signer = new byte[48];
        signer[0] = 1;
        var otherSigner = q with { TdReport = q.TdReport! with { MrSignerSeam = [.. signer] } };
        Assert.Equal(VerificationFailureReason.TdxModuleMismatch, Assert.Throws<AttestationException>(() => TcbEvaluator.CheckTdxModuleIdentity(info, otherSigner)).Reason);

        var attributes = new byte[8];
        attributes[7] = 1;
        var otherAttributes = q with { TdReport = q.TdReport! with { SeamAttributes = [.. attributes] } };
        Assert.Equal(VerificationFailureReason.TdxModuleMismatch, Assert.Throws<AttestationException>(() => TcbEvaluator.CheckTdxModuleIdentity(info, otherAttributes)).Reason);
    }

    [Fact]
    public void Td_report_15_with_an_updated_module_is_told_to_relaunch()
    {
        var info = Info("TDX", Level(TcbStatus.UpToDate, [1], 13, [0, 0, 1]));
        var q = Tdx(4, 1, 1); // running module SVN 4: OutOfDate by module identity TDX_01
        var relaunch = q with { TdReport = q.TdReport! with { IsVersion15 = true, TeeTcbSvn2 = [.. Pad([6, 1, 1])], MrServiceTd = [.. new byte[48]] } };
        Assert.Equal(TcbStatus.TDRelaunchAdvised, TcbEvaluator.Evaluate(info, Pck(1), relaunch, QeUpToDate).Status);

        var notUpdated = q with { TdReport = q.TdReport! with { IsVersion15 = true, TeeTcbSvn2 = [.. Pad([4, 1, 1])], MrServiceTd = [.. new byte[48]] } };
        Assert.Equal(TcbStatus.OutOfDate, TcbEvaluator.Evaluate(info, Pck(1), notUpdated, QeUpToDate).Status);
    }
}
