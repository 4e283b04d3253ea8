using Orchestrator.Domain.Deals;

namespace Orchestrator.Domain.Tests.Deals;

public sealed class DeadlineTests
{
    public static TheoryData<string, int, int> Categories() => new()
    {
        { "XS", 0, 300 },
        { "S", 1, 1_200 },
        { "M", 2, 3_600 },
        { "L", 3, 10_800 },
        { "XL", 4, 36_000 },
    };

    [Theory]
    [MemberData(nameof(Categories))]
    public void CategoryTimerefsAreThePocoOnes(string name, int id, int seconds)
    {
        Assert.True(CategoryCatalog.Default.TryGet(id, out var category));
        Assert.Equal(name, category.Name);
        Assert.Equal(TimeSpan.FromSeconds(seconds), category.Timeref);
        Assert.Same(category, CategoryCatalog.Default.FindByName(name.ToLowerInvariant()));
    }

    [Theory]
    [MemberData(nameof(Categories))]
    public void DeadlinesAreSevenTenAndTwoTimerefs(string name, int id, int seconds)
    {
        Assert.True(CategoryCatalog.Default.TryGet(id, out var category), name);
        var start = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var consensus = start.AddSeconds(123);

        Assert.Equal(start.AddSeconds(7L * seconds), Deadlines.Contribution(start, category.Timeref));
        Assert.Equal(start.AddSeconds(10L * seconds), Deadlines.Final(start, category.Timeref));
        Assert.Equal(consensus.AddSeconds(2L * seconds), Deadlines.Reveal(consensus, category.Timeref));
    }

    [Theory]
    [MemberData(nameof(Categories))]
    public void TaskTermsForADealCarryTheDeadlines(string name, int id, int seconds)
    {
        Assert.True(CategoryCatalog.Default.TryGet(id, out var category), name);
        var start = new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.FromHours(2));
        var deal = new DealSpec
        {
            DealId = TestKit.RandomHash(),
            Requester = Orchestrator.Domain.Crypto.Address.Zero,
            App = Orchestrator.Domain.Crypto.Address.Zero,
            CategoryId = id,
            Trust = 3,
            BotFirst = 10,
            BotSize = 5,
            StartTime = start,
        };
        var terms = Orchestrator.Domain.Tasks.TaskTerms.For(deal, category, 2);
        Assert.Equal(12, terms.Index);
        Assert.Equal(TimeSpan.FromSeconds(seconds), terms.Timeref);
        Assert.Equal(start + TimeSpan.FromSeconds(7L * seconds), terms.ContributionDeadline);
        Assert.Equal(start + TimeSpan.FromSeconds(10L * seconds), terms.FinalDeadline);
        Assert.Equal(Orchestrator.Domain.Ids.ProtocolIds.TaskId(deal.DealId, 12UL), deal.TaskIdAt(2));
    }

    [Fact]
    public void PoolCategoriesMustHaveAPositiveTimeref()
    {
        Assert.Throws<ArgumentException>(() => new CategoryCatalog([new Category(9, "ZERO", TimeSpan.Zero)]));
        var catalog = new CategoryCatalog([new Category(9, "XXL", TimeSpan.FromDays(1))]);
        Assert.True(catalog.TryGet(9, out var xxl));
        Assert.Equal(TimeSpan.FromDays(1), xxl.Timeref);
        Assert.Equal(6, catalog.All.Count);
    }
}
