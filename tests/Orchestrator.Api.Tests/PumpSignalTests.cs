using Microsoft.Extensions.Time.Testing;
using Orchestrator.Api.Workers;

namespace Orchestrator.Api.Tests;

/// <summary>The session pump's wake-up: signals collapse, waits end by signal, timeout or close, and a busy session's wait arms no timer.</summary>
public sealed class PumpSignalTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task Signals_that_arrive_before_the_wait_collapse_into_one_immediate_wake()
    {
        var signal = new PumpSignal(_clock);
        signal.Set();
        signal.Set();

        var first = signal.WaitAsync(Timeout.InfiniteTimeSpan);
        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(await first);
        var second = signal.WaitAsync(Timeout.InfiniteTimeSpan);
        Assert.False(second.IsCompleted); // both signals were taken by the first look
        signal.Set();
        Assert.True(await second.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_timed_wait_ends_false_at_its_timeout_on_the_given_clock_and_a_zero_wait_only_takes_a_waiting_signal()
    {
        var signal = new PumpSignal(_clock);
        Assert.False(await signal.WaitAsync(TimeSpan.Zero));

        var wait = signal.WaitAsync(TimeSpan.FromSeconds(5)).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(wait.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10)));

        // The expired wait's timer is gone: a later signal is kept for the next wait, not lost to it.
        signal.Set();
        Assert.True(await signal.WaitAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_wait_for_a_signal_alone_arms_no_timer_and_close_ends_it_and_every_later_wait()
    {
        var signal = new PumpSignal(_clock);
        var wait = signal.WaitAsync(Timeout.InfiniteTimeSpan).AsTask();
        _clock.Advance(TimeSpan.FromDays(1));
        Assert.False(wait.IsCompleted);

        signal.Close();
        Assert.False(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        signal.Set(); // a signal after the close is dropped
        Assert.False(await signal.WaitAsync(Timeout.InfiniteTimeSpan));
    }
}
