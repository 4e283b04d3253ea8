using Orchestrator.Attestation.Policy;

namespace Orchestrator.Attestation.Tests;

/// <summary>The app policy check, pure: a valid policy passes and every problem is named with its field.</summary>
public sealed class AppPolicyRulesTests
{
    private static readonly string MrEnclave = new('1', 64);

    [Fact]
    public void A_valid_policy_has_no_problems()
    {
        Assert.Empty(AppPolicyRules.Validate(new PolicyDraft { Tee = "Sgx", MrEnclaves = [MrEnclave], TcbStatuses = ["UpToDate", "SWHardeningNeeded"] }));
        Assert.Empty(AppPolicyRules.Validate(new PolicyDraft { Tee = "Sgx", Signers = [new SignerDraft(new string('2', 64), 65535, 0)] }));
        Assert.Empty(AppPolicyRules.Validate(new PolicyDraft { Tee = "Tdx", TdxMeasurements = [new TdxMeasurementRule(new string('a', 96), Rtmr3: new string('b', 96))] }));
    }

    [Fact]
    public void Every_problem_is_named()
    {
        var errors = AppPolicyRules.Validate(new PolicyDraft
        {
            Tee = "Sgx",
            MrEnclaves = ["abc"],
            Signers = [new SignerDraft("zz", 70000, -1)],
            TcbStatuses = ["Fine", "Revoked"],
            MaxEvidenceAge = TimeSpan.FromMinutes(-1),
            TdxMeasurements = [new TdxMeasurementRule(new string('a', 96))],
        });
        Assert.Contains(errors, e => e.Contains("MRENCLAVE 'abc' must be 64 hex digits", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("MRSIGNER 'zz'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ISV product id 70000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("minimum ISV SVN -1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'Fine' is not one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Revoked can never be accepted", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("must not be negative", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("cannot list TDX", StringComparison.Ordinal));
        Assert.Equal(8, errors.Count);

        Assert.Contains("at least one MRENCLAVE", Assert.Single(AppPolicyRules.Validate(new PolicyDraft { Tee = "Sgx" })), StringComparison.Ordinal);
        Assert.Contains("at least one MRTD", Assert.Single(AppPolicyRules.Validate(new PolicyDraft { Tee = "Tdx" })), StringComparison.Ordinal);
        Assert.Contains("cannot list SGX", Assert.Single(AppPolicyRules.Validate(new PolicyDraft { Tee = "Tdx", TdxMeasurements = [new TdxMeasurementRule(new string('a', 96))], MrEnclaves = [MrEnclave] })), StringComparison.Ordinal);
        Assert.Contains("SGX or TDX, got None", Assert.Single(AppPolicyRules.Validate(new PolicyDraft { Tee = "None", MrEnclaves = [MrEnclave] })), StringComparison.Ordinal);
        Assert.Contains("SGX or TDX", Assert.Single(AppPolicyRules.Validate(new PolicyDraft { Tee = "7", MrEnclaves = [MrEnclave] })), StringComparison.Ordinal);
        Assert.Contains(AppPolicyRules.Validate(new PolicyDraft { Tee = "Tdx", TdxMeasurements = [new TdxMeasurementRule(new string('a', 96), Rtmr0: "00")] }),
            e => e.Contains("RTMR0 '00'", StringComparison.Ordinal));
    }
}
