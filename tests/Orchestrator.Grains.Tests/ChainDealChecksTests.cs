using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Bridge.Listening;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Grains.Tests;

/// <summary>
/// The chain listener's checks before a chain deal is created. A deal bought on chain selects requester secrets in its params (iExec's iexec_secrets), the one field
/// the hub carries: the listener's mapping reads the selection, its checks refuse a deal selecting a
/// secret the requester never pushed (nothing created), and the created deal carries exactly that selection (what the SMS releases);
/// a deal naming an app outside the pool owner's allow-list is refused with the rule.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ChainDealChecksTests(ClusterFixture fixture)
{
    private const string Parameters = """{"iexec_args": "--report", "iexec_secrets": {"1": "api-token", "3": "db-password"}}""";

    [Fact]
    public async Task A_chain_deal_selects_requester_secrets_in_its_params_and_is_refused_while_one_is_missing()
    {
        var requester = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        var pool = Deals.NewAddress();
        Assert.True(DealCreatedMapping.TryMap(ChainDealLog.Of(requester, Deals.NewAddress(), fixture.Time.GetUtcNow(), Parameters, tag: 0), out var spec, out var error), error);
        Assert.Equal(new Dictionary<int, string> { [1] = "api-token", [3] = "db-password" }, spec!.RequesterSecrets);
        spec = spec with { PublicResults = true };

        var store = fixture.Grains.Secrets(new SecretOwner(SecretOwnerKind.Requester, requester));
        await store.PutAsync("api-token", "t"u8.ToArray());
        var refused = await RegistryEvents.CheckDealAsync(fixture.Grains, spec, pool);
        Assert.Equal("requester secret \"db-password\" selected as index 3 does not exist (rule: a deal selects only secrets its requester pushed, `orchestrator secret push`)", refused);
        Assert.False((await fixture.Grains.Deal(spec.DealId).GetViewAsync()).Exists);

        await store.PutAsync("db-password", "p"u8.ToArray());
        Assert.Null(await RegistryEvents.CheckDealAsync(fixture.Grains, spec, pool));
        Assert.True((await fixture.Grains.Deal(spec.DealId).CreateAsync(spec)).Created);
        Assert.Equal(spec.RequesterSecrets, await fixture.Grains.Deal(spec.DealId).GetRequesterSecretsAsync());
    }

    [Fact]
    public async Task A_chain_deal_naming_an_app_the_pool_does_not_run_is_refused_by_the_listeners_check()
    {
        var allowed = Deals.NewAddress();
        var other = Deals.NewAddress();
        var requester = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        Assert.True(DealCreatedMapping.TryMap(ChainDealLog.Of(requester, other, fixture.Time.GetUtcNow(), "args", tag: 0), out var refused, out var error), error);
        Assert.True(DealCreatedMapping.TryMap(ChainDealLog.Of(requester, allowed, fixture.Time.GetUtcNow(), "args", tag: 0), out var accepted, out error), error);
        var before = await fixture.Grains.Pool().GetPolicyAsync();
        try
        {
            await fixture.Grains.Pool().SetPolicyAsync(before with { AllowedApps = [allowed] });
            Assert.Equal(
                $"the pool does not run app {other.ToLowerHex()} (not registered) (rule: the pool's owner runs only apps [{allowed.ToLowerHex()}] and apps of owners [])",
                await RegistryEvents.CheckDealAsync(fixture.Grains, refused!, Deals.NewAddress()));
            Assert.Null(await RegistryEvents.CheckDealAsync(fixture.Grains, accepted!, Deals.NewAddress()));
        }
        finally
        {
            await fixture.Grains.Pool().SetPolicyAsync(before);
        }
    }

    [Theory]
    [InlineData("""{"iexec_secrets": {"0": "api-token"}}""", "params.iexec_secrets: index \"0\" must be 1..100")]
    [InlineData("""{"iexec_secrets": {"1": "no spaces"}}""", "params.iexec_secrets[1]: a secret name is 1..128 characters")]
    [InlineData("""{"iexec_secrets": ["api-token"]}""", "params.iexec_secrets: must be an object")]
    public void A_chain_deal_whose_params_select_badly_is_skipped_with_the_rule(string parameters, string rule)
    {
        var log = ChainDealLog.Of(Secp256k1.AddressOf(Secp256k1.NewPrivateKey()), Deals.NewAddress(), fixture.Time.GetUtcNow(), parameters, tag: 0);
        Assert.False(DealCreatedMapping.TryMap(log, out _, out var error));
        Assert.Contains(rule, error, StringComparison.Ordinal);
    }
}
