using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;

namespace Orchestrator.Domain.Tests.Registry;

public sealed class PoolAppRestrictionTests
{
    private static readonly Address App = Address.Parse("0x" + new string('a', 40));
    private static readonly Address Other = Address.Parse("0x" + new string('b', 40));
    private static readonly Address Owner = Address.Parse("0x" + new string('c', 40));
    private static readonly Address Stranger = Address.Parse("0x" + new string('d', 40));

    [Fact]
    public void No_list_runs_any_app_registered_or_not()
    {
        Assert.False(PoolAppRestriction.None.Restricts);
        Assert.Null(PoolAppRestriction.None.Violation(App, null));
        Assert.Null(PoolAppRestriction.None.Violation(App, Stranger));
    }

    [Fact]
    public void An_app_passes_by_its_address_or_by_its_registered_owner()
    {
        var restriction = new PoolAppRestriction([App], [Owner]);
        Assert.Null(restriction.Violation(App, null));
        Assert.Null(restriction.Violation(Other, Owner));
    }

    [Fact]
    public void Any_other_app_is_refused_with_the_rule_naming_both_lists()
    {
        var restriction = new PoolAppRestriction([App], [Owner]);
        var byStranger = restriction.Violation(Other, Stranger);
        Assert.Equal(
            $"the pool does not run app {Other.ToLowerHex()} (owned by {Stranger.ToLowerHex()}) (rule: the pool's owner runs only apps [{App.ToLowerHex()}] and apps of owners [{Owner.ToLowerHex()}])",
            byStranger);
        Assert.Contains("(not registered)", restriction.Violation(Other, null), StringComparison.Ordinal);
        Assert.NotNull(new PoolAppRestriction([], [Owner]).Violation(App, null)); // an owner list trusts only the registry's owner
    }
}
