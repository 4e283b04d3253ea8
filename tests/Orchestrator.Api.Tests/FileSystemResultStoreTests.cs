using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Results;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests;

/// <summary>The dev store's once-only, all-or-nothing write, on a real directory.</summary>
public sealed class FileSystemResultStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orch-store-tests-" + Guid.NewGuid().ToString("n"));
    private readonly Hash32 _taskId = new(RandomNumberGenerator.GetBytes(32));

    private FileSystemResultStore Store(TimeProvider? time = null) => new(Options.Create(new ApiOptions { ResultDirectory = _directory }), time ?? TimeProvider.System);

    [Fact]
    public async Task Staging_debris_older_than_an_hour_is_swept_at_the_first_upload_and_a_live_upload_is_not()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        var staging = Path.Combine(_directory, ".partial");
        var crashed = Directory.CreateDirectory(Path.Combine(staging, $"{_taskId}.crashed"));
        File.WriteAllBytes(Path.Combine(crashed.FullName, "archive.bin"), new byte[10]);
        var live = Directory.CreateDirectory(Path.Combine(staging, $"{_taskId}.live"));
        Directory.SetLastWriteTimeUtc(crashed.FullName, clock.GetUtcNow().UtcDateTime - TimeSpan.FromHours(2));
        Directory.SetLastWriteTimeUtc(live.FullName, clock.GetUtcNow().UtcDateTime - TimeSpan.FromMinutes(10));

        var store = Store(clock);
        var content = RandomNumberGenerator.GetBytes(100);
        Assert.True((await store.AddAsync(Expected(content), (file, ct) => file.WriteAsync(content, ct).AsTask(), NoCheck, CancellationToken.None)).Created);

        Assert.False(Directory.Exists(crashed.FullName));
        Assert.True(Directory.Exists(live.FullName));
        Assert.Equal(0, store.SweepAbandonedStaging()); // the live one is not old enough yet
        clock.Advance(FileSystemResultStore.AbandonedAfter);
        Assert.Equal(1, store.SweepAbandonedStaging());
    }

    [Fact]
    public async Task Of_two_adds_staged_at_the_same_time_exactly_one_becomes_the_result()
    {
        byte[] first = RandomNumberGenerator.GetBytes(50_000), second = RandomNumberGenerator.GetBytes(50_000);
        using var staged = new CountdownEvent(2);

        // Each writer waits until both archives are fully staged: the two renames then race.
        Func<Stream, CancellationToken, Task> Writer(byte[] bytes) => async (file, ct) =>
        {
            await file.WriteAsync(bytes, ct);
            staged.Signal();
            await Task.Run(() => staged.Wait(ct), ct);
        };

        var additions = await Task.WhenAll(
            Task.Run(() => Store().AddAsync(Expected(first), Writer(first), NoCheck, CancellationToken.None)),
            Task.Run(() => Store().AddAsync(Expected(second), Writer(second), NoCheck, CancellationToken.None)));

        var created = Assert.Single(additions, a => a.Created);
        var other = Assert.Single(additions, a => !a.Created);
        Assert.Equal(created.Result, other.Result);
        var stored = await ReadAsync();
        Assert.Equal(created.Result.Sha256, new Hash32(SHA256.HashData(stored)));
        Assert.Equal(created.Result, await Store().FindAsync(_taskId, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_directory, ".partial")));
    }

    [Fact]
    public async Task A_write_or_a_check_that_fails_midway_leaves_no_result_and_no_staging()
    {
        var bytes = RandomNumberGenerator.GetBytes(10_000);
        await Assert.ThrowsAsync<IOException>(() => Store().AddAsync(Expected(bytes), async (file, ct) =>
        {
            await file.WriteAsync(bytes.AsMemory(0, 5_000), ct);
            throw new IOException("the stream broke");
        }, NoCheck, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => Store().AddAsync(Expected(bytes), (file, ct) => file.WriteAsync(bytes, ct).AsTask(), (_, _) => throw new InvalidDataException("not the consensus"), CancellationToken.None));

        Assert.Null(await Store().FindAsync(_taskId, CancellationToken.None));
        Assert.Null(await Store().OpenAsync(_taskId, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_directory, ".partial")));

        var added = await Store().AddAsync(Expected(bytes), (file, ct) => file.WriteAsync(bytes, ct).AsTask(), NoCheck, CancellationToken.None);
        Assert.True(added.Created);
        Assert.Equal(bytes, await ReadAsync());
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static Task NoCheck(Stream staged, CancellationToken cancellationToken) => Task.CompletedTask;

    private StoredResult Expected(byte[] bytes)
        => new(_taskId, Secp256k1.AddressOf(Secp256k1.NewPrivateKey()), bytes.Length, new Hash32(SHA256.HashData(bytes)), "application/x-tar", string.Empty);

    private async Task<byte[]> ReadAsync()
    {
        await using var stream = await Store().OpenAsync(_taskId, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream!.CopyToAsync(copy);
        return copy.ToArray();
    }
}
