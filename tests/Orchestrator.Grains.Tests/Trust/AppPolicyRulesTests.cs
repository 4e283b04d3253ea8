using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Trust;

namespace Orchestrator.Grains.Tests.Trust;

public sealed class AppPolicyRulesTests
{
    private static readonly Address App = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

    [Fact]
    public void A_valid_policy_has_no_problems()
    {
        Assert.Empty(AppPolicyRules.Validate(AttestationMappingTests.Policy()));
        Assert.Empty(AppPolicyRules.Validate(new AppAttestationPolicy { App = App, Tee = TeeKind.Tdx, TdxMeasurements = [new TdxMeasurement(new string('a', 96), Rtmr3: new string('b', 96))] }));
    }

    [Fact]
    public void Every_problem_is_named()
    {
        var errors = AppPolicyRules.Validate(new AppAttestationPolicy
        {
            App = App,
            Tee = TeeKind.Sgx,
            MrEnclaves = ["abc"],
            Signers = [new SgxSigner("zz", 70000, -1)],
            AcceptedTcbStatuses = [new TcbStatusAllowance("Fine"), new TcbStatusAllowance("Revoked")],
            MaxEvidenceAge = TimeSpan.FromMinutes(-1),
            TdxMeasurements = [new TdxMeasurement(new string('a', 96))],
        });
        Assert.Contains(errors, e => e.Contains("MRENCLAVE 'abc' must be 64 hex digits", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("MRSIGNER 'zz'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("ISV product id 70000", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("minimum ISV SVN -1", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'Fine' is not one of", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Revoked can never be accepted", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("must not be negative", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("cannot list TDX", StringComparison.Ordinal));

        Assert.Contains("at least one MRENCLAVE", Assert.Single(AppPolicyRules.Validate(new AppAttestationPolicy { App = App, Tee = TeeKind.Sgx })), StringComparison.Ordinal);
        Assert.Contains("at least one MRTD", Assert.Single(AppPolicyRules.Validate(new AppAttestationPolicy { App = App, Tee = TeeKind.Tdx })), StringComparison.Ordinal);
        Assert.Contains("SGX or TDX", Assert.Single(AppPolicyRules.Validate(new AppAttestationPolicy { App = App, Tee = TeeKind.None })), StringComparison.Ordinal);
        Assert.Contains(AppPolicyRules.Validate(new AppAttestationPolicy { App = App, Tee = TeeKind.Tdx, TdxMeasurements = [new TdxMeasurement(new string('a', 96), Rtmr0: "00")] }),
            e => e.Contains("RTMR0 '00'", StringComparison.Ordinal));
    }
}
