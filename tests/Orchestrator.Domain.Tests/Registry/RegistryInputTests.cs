using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;

namespace Orchestrator.Domain.Tests.Registry;

public sealed class RegistryInputTests
{
    private static readonly string Digest = string.Concat(Enumerable.Repeat("ab", 32));

    [Theory]
    [InlineData("127.0.0.1:5000/hello@sha256:")]
    [InlineData("registry.example/team/app@sha256:")]
    public void AnImagePinnedByDigestIsAccepted(string prefix) => Assert.Null(ImageReference.Problem(prefix + Digest));

    [Theory]
    [InlineData("127.0.0.1:5000/hello:latest", "has no digest")]
    [InlineData("127.0.0.1:5000/hello", "has no digest")]
    [InlineData("@sha256:" + "ab", "no repository name")]
    [InlineData("hello@sha256:ABAB", "64 lowercase hex")]
    [InlineData("", "is required")]
    public void AnImageWithoutADigestIsRefusedWithTheRule(string image, string rule)
        => Assert.Contains(rule, ImageReference.Problem(image), StringComparison.Ordinal);

    [Fact]
    public void DatasetRestrictionsNameTheRuleADealBreaks()
    {
        var dataset = Address.Parse("0x00000000000000000000000000000000000000d1");
        var app = Address.Parse("0x00000000000000000000000000000000000000a1");
        var appOwner = Address.Parse("0x00000000000000000000000000000000000000a0");
        var requester = Address.Parse("0x00000000000000000000000000000000000000b1");
        var pool = Address.Parse("0x00000000000000000000000000000000000000c1");
        var stranger = Address.Parse("0x00000000000000000000000000000000000000ee");
        var byOwner = new DatasetRestrictions([], [appOwner], [requester], [pool]);

        Assert.Null(byOwner.Violation(dataset, app, appOwner, requester, pool));
        Assert.Contains("does not allow app", byOwner.Violation(dataset, app, stranger, requester, pool), StringComparison.Ordinal);
        Assert.Contains("does not allow requester " + stranger.ToLowerHex(), byOwner.Violation(dataset, app, appOwner, stranger, pool), StringComparison.Ordinal);
        Assert.Contains("does not allow pool", byOwner.Violation(dataset, app, appOwner, requester, stranger), StringComparison.Ordinal);
        Assert.Null(new DatasetRestrictions([app], [], [], []).Violation(dataset, app, null, stranger, stranger));
        Assert.Null(DatasetRestrictions.None.Violation(dataset, stranger, null, stranger, stranger));
    }

    [Theory]
    [InlineData("hello-tee", true)]
    [InlineData("a.b_c-1", true)]
    [InlineData("", false)]
    [InlineData("with space", false)]
    [InlineData("ünïcode", false)]
    public void NamesAreShortAndPlain(string name, bool valid) => Assert.Equal(valid, AssetNames.Problem(name) is null);
}

public sealed class AppPolicyTextTests
{
    [Fact]
    public void APolicyTextReadsBackToTheSameText()
    {
        var draft = new Orchestrator.Attestation.Policy.PolicyDraft
        {
            Tee = "Tdx",
            TdxMeasurements = [new(new string('a', 96), null, new string('b', 96))],
            MaxEvidenceAge = TimeSpan.FromHours(2),
        };
        var text = AppPolicyText.Of(draft, [("UpToDate", []), ("OutOfDate", ["INTEL-SA-1", "INTEL-SA-2"])], allowDebug: true, allowSimulated: false);
        Assert.True(AppPolicyText.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(text, AppPolicyText.Of(parsed!.Draft, parsed.Tcb, parsed.AllowDebug, parsed.AllowSimulated));
        Assert.Null(parsed.Draft.TdxMeasurements[0].Rtmr0);
        Assert.Equal(["INTEL-SA-1", "INTEL-SA-2"], parsed.Tcb[1].Advisories);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tee=sgx;mrenclave=aa")]
    [InlineData("tee=sgx;mrenclave=;signer=aa/1;tdx=;tcb=;maxage=0;debug=0;simulated=0")]
    [InlineData("tee=sgx;mrenclave=;signer=;tdx=;tcb=;maxage=-1;debug=0;simulated=0")]
    public void AMalformedPolicyTextIsRefused(string text) => Assert.False(AppPolicyText.TryParse(text, out _, out _));
}
