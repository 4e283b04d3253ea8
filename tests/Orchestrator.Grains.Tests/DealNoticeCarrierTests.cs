using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Deals;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Tests;

/// <summary>Final notices go to their deal one flight at a time: alone when the deal is quiet, together when they queued behind a flight.</summary>
public sealed class DealNoticeCarrierTests
{
    private static readonly Hash32 DealA = new(Enumerable.Repeat((byte)0xA, 32).ToArray());
    private static readonly Hash32 DealB = new(Enumerable.Repeat((byte)0xB, 32).ToArray());

    [Fact]
    public async Task Notices_queued_behind_a_flight_leave_together_and_each_completes_only_when_its_flight_landed()
    {
        var flights = new Flights();
        var carrier = new DealNoticeCarrier(flights.SendAsync);

        var first = carrier.SendAsync(DealA, Notice(0));
        var held = await flights.NextAsync();
        Assert.Equal(new[] { 0L }, held.Indices);

        // While the first flight is out, three more queue; another deal's notice does not wait for it.
        var queued = Enumerable.Range(1, 3).Select(i => carrier.SendAsync(DealA, Notice(i))).ToList();
        var other = carrier.SendAsync(DealB, Notice(7));
        var otherFlight = await flights.NextAsync();
        Assert.Equal(DealB, otherFlight.Deal);
        Assert.Equal(new[] { 7L }, otherFlight.Indices);
        Assert.False(first.IsCompleted);
        Assert.All(queued, q => Assert.False(q.IsCompleted));

        held.Land();
        await first;
        var second = await flights.NextAsync();
        Assert.Equal(DealA, second.Deal);
        Assert.Equal(new[] { 1L, 2L, 3L }, second.Indices);
        Assert.All(queued, q => Assert.False(q.IsCompleted));
        second.Land();
        await Task.WhenAll(queued);

        otherFlight.Land();
        await other;
        await Eventually.UntilAsync("every flight to be over", () => Task.FromResult(carrier.DealsInFlight == 0), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_failed_flight_fails_exactly_its_own_notices_and_the_next_ones_still_leave()
    {
        var flights = new Flights();
        var carrier = new DealNoticeCarrier(flights.SendAsync);

        var first = carrier.SendAsync(DealA, Notice(0));
        var failing = await flights.NextAsync();
        var later = carrier.SendAsync(DealA, Notice(1));
        failing.Fail(new TimeoutException("the deal's silo did not answer"));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => first);
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        var retried = await flights.NextAsync();
        Assert.Equal(new[] { 1L }, retried.Indices);
        retried.Land();
        await later;
    }

    private static TaskFinalNotice Notice(long index) => new(index, TaskStatus.Completed);

    /// <summary>A deal that answers when the test says: each call is held until landed or failed.</summary>
    private sealed class Flights
    {
        private readonly System.Threading.Channels.Channel<Flight> _sent = System.Threading.Channels.Channel.CreateUnbounded<Flight>();

        public Task SendAsync(Hash32 deal, IReadOnlyList<TaskFinalNotice> notices)
        {
            var flight = new Flight(deal, notices.Select(n => n.Index).ToArray());
            _sent.Writer.TryWrite(flight);
            return flight.Landed.Task;
        }

        public async Task<Flight> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await _sent.Reader.ReadAsync(timeout.Token);
        }
    }

    private sealed record Flight(Hash32 Deal, long[] Indices)
    {
        public TaskCompletionSource Landed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Land() => Landed.SetResult();

        public void Fail(Exception error) => Landed.SetException(error);
    }
}
