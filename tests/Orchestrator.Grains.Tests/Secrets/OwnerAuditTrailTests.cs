using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;
using Orchestrator.Grains.Secrets;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>
/// An owner's audit trail is paged (each record writes one page of <see cref="SecretStoreGrain.AuditPageSize"/>
/// entries, not the whole trail): the trail still reads oldest first across pages and keeps the newest
/// <see cref="SecretStoreGrain.MaxAuditEntries"/>.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class OwnerAuditTrailTests(ClusterFixture fixture)
{
    private static SecretAuditEntry Entry(int n) => new(
        DateTimeOffset.UnixEpoch.AddSeconds(n), new Hash32(new byte[32]), Deals.NewAddress(), $"session-{n}", "m", true, SecretRefusal.None, [$"s{n}"], "ok");

    [Fact]
    public async Task A_trail_across_pages_reads_oldest_first_and_a_page_holds_at_most_its_size()
    {
        var owner = new SecretOwner(SecretOwnerKind.App, Deals.NewAddress());
        var store = fixture.Grains.Secrets(owner);
        var count = (SecretStoreGrain.AuditPageSize * 2) + 3;
        for (var n = 0; n < count; n++)
        {
            await store.RecordAsync(Entry(n));
        }

        var trail = await store.GetAuditAsync();
        Assert.Equal(Enumerable.Range(0, count).Select(n => $"session-{n}"), trail.Select(e => e.SessionId));
        Assert.Equal(SecretStoreGrain.AuditPageSize, (await fixture.Grains.SecretAuditPage(owner, 0).GetAsync()).Count);
        Assert.Equal(3, (await fixture.Grains.SecretAuditPage(owner, 2).GetAsync()).Count);
        Assert.False(await fixture.Grains.SecretAuditPage(owner, 0).AppendAsync(Entry(-1), SecretStoreGrain.AuditPageSize));
        Assert.Equal(count, (await store.GetAuditAsync()).Count); // the refused append changed nothing
    }

    [Fact]
    public async Task The_trail_keeps_the_newest_entries_and_clears_the_pages_beyond_them()
    {
        var owner = new SecretOwner(SecretOwnerKind.Requester, Deals.NewAddress());
        var store = fixture.Grains.Secrets(owner);
        var count = SecretStoreGrain.MaxAuditEntries + (SecretStoreGrain.AuditPageSize * 2) + 1;
        for (var n = 0; n < count; n++)
        {
            await store.RecordAsync(Entry(n));
        }

        var trail = await store.GetAuditAsync();
        Assert.Equal(SecretStoreGrain.MaxAuditEntries, trail.Count);
        Assert.Equal($"session-{count - SecretStoreGrain.MaxAuditEntries}", trail[0].SessionId);
        Assert.Equal($"session-{count - 1}", trail[^1].SessionId);
        Assert.Empty(await fixture.Grains.SecretAuditPage(owner, 0).GetAsync());
    }

    [Fact]
    public async Task The_release_view_names_the_page_that_takes_the_next_entry_and_follows_every_change_of_the_secrets()
    {
        var owner = new SecretOwner(SecretOwnerKind.Dataset, Deals.NewAddress());
        var store = fixture.Grains.Secrets(owner);
        var empty = await store.GetReleaseViewAsync();
        Assert.Empty(empty.Sealed);
        Assert.Equal(0, empty.AuditPage);

        await store.PutAsync("key", "v1"u8.ToArray());
        var first = (await store.GetReleaseViewAsync()).Sealed["key"];
        await store.PutAsync("key", "v2"u8.ToArray());
        var second = (await store.GetReleaseViewAsync()).Sealed["key"];
        Assert.NotEqual(first.Ciphertext, second.Ciphertext); // a replaced value is never served from the earlier view
        Assert.Empty(empty.Sealed); // and a view already handed out never changes

        Assert.True(await store.DeleteAsync("key"));
        Assert.Empty((await store.GetReleaseViewAsync()).Sealed);
    }

    [Fact]
    public async Task Releases_in_flight_each_find_room_on_the_page_they_were_promised_and_the_trail_reads_in_time_order()
    {
        var owner = new SecretOwner(SecretOwnerKind.App, Deals.NewAddress());
        var store = fixture.Grains.Secrets(owner);
        var count = (SecretStoreGrain.AuditPageSize * 3) + 1;
        var promised = new List<long>();
        for (var n = 0; n < count; n++)
        {
            promised.Add((await store.GetReleaseViewAsync()).AuditPage); // every view before any append, as concurrent fetches do
        }

        Assert.Equal(3, promised[^1]); // each page was promised whole, then the next view turned it
        for (var n = count - 1; n >= 0; n--)
        {
            Assert.True(await fixture.Grains.SecretAuditPage(owner, promised[n]).AppendAsync(Entry(n), SecretStoreGrain.AuditPageSize));
        }

        await store.RecordAsync(Entry(count)); // a refusal's record takes the current page
        Assert.Equal(Enumerable.Range(0, count + 1).Select(n => $"session-{n}"), (await store.GetAuditAsync()).Select(e => e.SessionId));
    }
}
