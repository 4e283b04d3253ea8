using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;

namespace Orchestrator.Domain.Tests.Registry;

public sealed class AddressPagingTests
{
    private static readonly Address[] Sorted = [.. Enumerable.Range(1, 5).Select(i => Address.Parse("0x" + i.ToString("x40", System.Globalization.CultureInfo.InvariantCulture)))];

    [Fact]
    public void Pages_follow_each_other_to_the_last_which_has_no_token()
    {
        var (first, next) = AddressPaging.Of(Sorted, null, 2);
        Assert.Equal(Sorted[..2], first);
        Assert.Equal(Sorted[1], next);
        var (second, next2) = AddressPaging.Of(Sorted, next, 2);
        Assert.Equal(Sorted[2..4], second);
        var (last, none) = AddressPaging.Of(Sorted, next2, 2);
        Assert.Equal([Sorted[4]], last);
        Assert.Null(none);
        Assert.Null(AddressPaging.Of(Sorted, null, 5).Next); // exactly one full page: no empty page after it
    }

    [Fact]
    public void A_token_between_addresses_starts_after_it_and_one_past_the_end_gives_nothing()
    {
        var between = Address.Parse("0x" + new string('0', 39) + "3");
        Assert.Equal(Sorted[3..], AddressPaging.Of([Sorted[0], Sorted[1], Sorted[3], Sorted[4]], between, 10).Page);
        Assert.Empty(AddressPaging.Of(Sorted, Address.Parse("0x" + new string('f', 40)), 10).Page);
    }
}
