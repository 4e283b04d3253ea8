using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Bridge.Leadership;

namespace Orchestrator.Bridge.Tests.Unit;

/// <summary>
/// The lease rules on the injected clock: one holder at a time, a token that grows on every change of
/// holder, a local view that ends before the lease does (so two leaders never overlap), and a step
/// down that ends the term when the lease went elsewhere.
/// </summary>
public sealed class LeadershipTests
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(9);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UnixEpoch);

    private BridgeLeadership Claim(ILeaseStore store, string holder) => new(store, "sender:1:0xaa", holder, Duration, _clock, NullLogger.Instance);

    [Fact]
    public async Task OneHolderAtATimeAndTheTokenGrowsOnEveryChangeOfHolder()
    {
        var store = new InMemoryLeaseStore(_clock);
        var a = Claim(store, "a");
        var b = Claim(store, "b");

        Assert.True(await a.RenewOnceAsync(default));
        Assert.False(await b.RenewOnceAsync(default));
        Assert.Equal(1, a.Token);
        Assert.Equal(0, b.Token);

        // Renewed by its holder: same term, same token.
        _clock.Advance(a.RenewInterval);
        Assert.True(await a.RenewOnceAsync(default));
        Assert.Equal(1, a.Token);

        // A stops renewing (killed): the lease runs out and B takes it with a new token.
        _clock.Advance(Duration);
        Assert.False(a.IsLeader);
        Assert.True(await b.RenewOnceAsync(default));
        Assert.Equal(2, b.Token);
        Assert.False(await a.RenewOnceAsync(default));
        Assert.True(a.Term.IsCancellationRequested);
        Assert.Throws<LeadershipLostException>(a.EnsureLeader);
    }

    [Fact]
    public async Task TheLocalViewEndsBeforeTheLeaseSoASuccessorNeverOverlaps()
    {
        var store = new InMemoryLeaseStore(_clock);
        var a = Claim(store, "a");
        var b = Claim(store, "b");
        Assert.True(await a.RenewOnceAsync(default));
        var term = a.Term;

        // Past the local view (the lease minus the safety margin) but before the lease's end:
        // A no longer acts, and B cannot start yet.
        _clock.Advance(Duration - a.SafetyMargin);
        Assert.False(a.IsLeader);
        Assert.Equal(0, a.Token);
        Assert.False(await b.RenewOnceAsync(default));

        _clock.Advance(a.SafetyMargin);
        Assert.True(await b.RenewOnceAsync(default));
        Assert.False(term.IsCancellationRequested); // A's loop has not looked yet…
        Assert.False(await a.RenewOnceAsync(default));
        Assert.True(term.IsCancellationRequested); // …and ends the term when it does
    }

    [Fact]
    public async Task ARenewalThatFailsStepsDownAndAGracefulReleaseLetsTheSuccessorInAtOnce()
    {
        var store = new InMemoryLeaseStore(_clock);
        var a = Claim(store, "a");
        Assert.True(await a.RenewOnceAsync(default));

        var broken = Claim(new UnreachableLeaseStore(), "a");
        Assert.False(await broken.RenewOnceAsync(default));
        Assert.False(broken.IsLeader);

        var elected = new List<long>();
        var b = Claim(store, "b");
        b.Elected += elected.Add;
        await a.ReleaseAsync(default);
        Assert.False(a.IsLeader);
        Assert.True(await b.RenewOnceAsync(default));
        Assert.Equal([2L], elected);
    }

    [Fact]
    public async Task AFencedInMemoryStoreRefusesWritesOutsideTheTerm()
    {
        var store = new InMemoryLeaseStore(_clock);
        var a = Claim(store, "a");
        var bridgeStore = new Orchestrator.Bridge.Storage.InMemoryBridgeStore();
        var fenced = bridgeStore.FencedBy(a);

        var refused = await Assert.ThrowsAsync<LeadershipLostException>(() => fenced.SetCursorAsync("deals", 5, default));
        Assert.Contains("does not hold the lease sender:1:0xaa", refused.Message, StringComparison.Ordinal);
        Assert.Null(await bridgeStore.GetCursorAsync("deals", default));

        Assert.True(await a.RenewOnceAsync(default));
        await fenced.SetCursorAsync("deals", 5, default);
        Assert.Equal(5, await bridgeStore.GetCursorAsync("deals", default));
    }

    private sealed class UnreachableLeaseStore : ILeaseStore
    {
        public Task<LeaseGrant?> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken)
            => throw new TimeoutException("the database did not answer");

        public Task ReleaseAsync(string name, string holder, long token, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
