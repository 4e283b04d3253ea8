using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Results;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests.Results;

/// <summary>The retention sweep on the injected clock: what it deletes, when, and what it counts.</summary>
public sealed class ResultRetentionServiceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orch-retention-" + Guid.NewGuid().ToString("n"));
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly FileSystemResultStore _store;

    public ResultRetentionServiceTests() => _store = new FileSystemResultStore(Options.Create(new ApiOptions { ResultDirectory = _directory }), _clock);

    [Fact]
    public async Task A_sweep_deletes_what_is_older_than_the_retention_in_batches_and_counts_objects_and_bytes()
    {
        var old = await AddAsync(3, 1_000);
        _clock.Advance(TimeSpan.FromDays(20));
        var young = await AddAsync(1, 2_000);
        _clock.Advance(TimeSpan.FromDays(11)); // the first three are 31 days old, the last one 11
        var measured = new List<(string Name, long Value, object? Kind)>();
        using var listener = Listen(measured);

        var swept = await Service(TimeSpan.FromDays(30), batch: 2).SweepAsync(CancellationToken.None);

        Assert.Equal(new ResultSweep(3, 0, 3_000), swept);
        Assert.All(old, id => Assert.NotNull(_store.FindAsync(id, CancellationToken.None).Result?.ExpiredAt));
        Assert.Null((await _store.FindAsync(young[0], CancellationToken.None))!.ExpiredAt);
        Assert.Equal(3, measured.Where(m => m.Name == "orchestrator.results.expired" && Equals(m.Kind, "result")).Sum(m => m.Value));
        Assert.Equal(3_000, measured.Where(m => m.Name == "orchestrator.results.expired_bytes").Sum(m => m.Value));
    }

    [Fact]
    public async Task A_zero_retention_keeps_everything_forever()
    {
        var ids = await AddAsync(1, 500);
        _clock.Advance(TimeSpan.FromDays(3650));

        Assert.Equal(new ResultSweep(0, 0, 0), await Service(TimeSpan.Zero).SweepAsync(CancellationToken.None));
        Assert.Null((await _store.FindAsync(ids[0], CancellationToken.None))!.ExpiredAt);
    }

    [Fact]
    public async Task The_running_service_sweeps_when_the_clock_reaches_the_next_interval()
    {
        var ids = await AddAsync(1, 700);
        var service = Service(TimeSpan.FromDays(30));
        await service.StartAsync(CancellationToken.None);
        try
        {
            _clock.Advance(TimeSpan.FromDays(29)); // ticks on the way: nothing is old enough yet
            Assert.Null((await _store.FindAsync(ids[0], CancellationToken.None))!.ExpiredAt);

            _clock.Advance(TimeSpan.FromDays(2));
            // The tick's sweep runs on the service's own task: wait for its effect, not for time.
            await Eventually.UntilAsync("the sweep to expire the result", async () => (await _store.FindAsync(ids[0], CancellationToken.None))!.ExpiredAt is not null);
            Assert.Null(await _store.OpenAsync(ids[0], CancellationToken.None));
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void The_expiry_message_names_the_task_the_date_and_the_retention()
    {
        var taskId = new Hash32(RandomNumberGenerator.GetBytes(32));
        var tombstone = new StoredResult(taskId, Address.Zero, 1, taskId, "", "") { ExpiredAt = new DateTimeOffset(2027, 1, 4, 9, 0, 0, TimeSpan.Zero) };

        Assert.Equal($"the result of task {taskId} expired on 2027-01-04 (retention 30 days)", ResultRetentionService.ExpiredMessage(tombstone, TimeSpan.FromDays(30)));
        Assert.Equal($"the result of task {taskId} expired on 2027-01-04 (retention 0.5 days)", ResultRetentionService.ExpiredMessage(tombstone, TimeSpan.FromHours(12)));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private ResultRetentionService Service(TimeSpan retention, int batch = 500)
        => new(_store, Options.Create(new ResultsOptions { Retention = retention, SweepInterval = TimeSpan.FromHours(1), SweepBatch = batch }), _clock, NullLogger<ResultRetentionService>.Instance);

    private async Task<List<Hash32>> AddAsync(int count, int size)
    {
        var ids = new List<Hash32>();
        for (var i = 0; i < count; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(size);
            var id = new Hash32(RandomNumberGenerator.GetBytes(32));
            await _store.AddAsync(new StoredResult(id, Address.Zero, size, new Hash32(SHA256.HashData(bytes)), "", ""), (s, ct) => s.WriteAsync(bytes, ct).AsTask(), (_, _) => Task.CompletedTask, CancellationToken.None);
            ids.Add(id);
        }

        return ids;
    }

    private static MeterListener Listen(List<(string Name, long Value, object? Kind)> measured)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name.StartsWith("orchestrator.results.expired", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            object? kind = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "kind")
                {
                    kind = tag.Value;
                }
            }

            lock (measured)
            {
                measured.Add((instrument.Name, value, kind));
            }
        });
        listener.Start();
        return listener;
    }
}
