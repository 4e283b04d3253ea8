using Microsoft.Extensions.Time.Testing;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests;

/// <summary>Sessions per worker per fixed window, on a fake clock.</summary>
public sealed class SessionWindowsTests
{
    private static readonly Address A = new(Enumerable.Repeat((byte)1, 20).ToArray());
    private static readonly Address B = new(Enumerable.Repeat((byte)2, 20).ToArray());

    [Fact]
    public void A_worker_past_its_limit_is_refused_until_its_window_ends_and_others_are_not()
    {
        var time = new FakeTimeProvider();
        var windows = new SessionWindows(2, TimeSpan.FromMinutes(1), time);

        Assert.Null(windows.TryAdmit(A));
        time.Advance(TimeSpan.FromSeconds(20));
        Assert.Null(windows.TryAdmit(A));
        Assert.Equal(TimeSpan.FromSeconds(40), windows.TryAdmit(A)); // the window began at its first session
        Assert.Null(windows.TryAdmit(B));

        time.Advance(TimeSpan.FromSeconds(39));
        Assert.Equal(TimeSpan.FromSeconds(1), windows.TryAdmit(A));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(windows.TryAdmit(A)); // a new window
        Assert.Null(windows.TryAdmit(A));
        Assert.NotNull(windows.TryAdmit(A));
    }

    [Fact]
    public void Windows_that_ended_are_swept_and_a_refusal_counts_nothing()
    {
        var time = new FakeTimeProvider();
        var windows = new SessionWindows(1, TimeSpan.FromMinutes(1), time);
        Assert.Null(windows.TryAdmit(A));
        Assert.NotNull(windows.TryAdmit(A));
        Assert.NotNull(windows.TryAdmit(A));
        Assert.Equal(1, windows.Open);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(windows.TryAdmit(B)); // the sweep, due once per window, drops A's ended window
        Assert.Equal(1, windows.Open);
        Assert.Null(windows.TryAdmit(A));
    }
}
