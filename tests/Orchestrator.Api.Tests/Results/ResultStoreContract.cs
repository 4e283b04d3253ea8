using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Api.Results;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests.Results;

/// <summary>
/// What every <see cref="IResultStore"/> promises, run against each backend on its real service (one
/// derived class per backend): whole-or-nothing adds, the first add wins, failed or cancelled writers
/// leave nothing, archives larger than a gRPC message stream through, logs per worker, tombstones after
/// the retention sweep, and drops.
/// </summary>
public abstract class ResultStoreContract : IAsyncLifetime
{
    /// <summary>Larger than the API's default gRPC message cap (4 MiB), several PostgreSQL chunks and more than one S3 part (5 MiB).</summary>
    private const int LargeBytes = 9 * 1024 * 1024;

    private readonly Hash32 _taskId = new(RandomNumberGenerator.GetBytes(32));

    /// <summary>The store's clock, starting now (S3 compares listing times, which are the server's real ones).</summary>
    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

    /// <summary>The store on this test's fresh, empty space of the backend (a new database, prefix or directory per test).</summary>
    protected Task<IResultStore> CreateStoreAsync() => CreateStoreAsync(sameSpace: true);

    /// <inheritdoc />
    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc />
    public virtual Task DisposeAsync() => Task.CompletedTask;

    [ResultStoreFact]
    public async Task An_added_archive_reads_back_whole_with_its_metadata_and_nothing_is_visible_before()
    {
        var store = await CreateStoreAsync();
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        Assert.Null(await store.FindAsync(_taskId, CancellationToken.None));

        var digest = new Hash32(RandomNumberGenerator.GetBytes(32));
        var expected = Expected(bytes) with { ResultDigest = digest, Encryption = "ecies-secp256k1-aes256gcm-v1", ContentType = "application/octet-stream" };
        var added = await store.AddAsync(expected, Writer(bytes), ReadBackFully, CancellationToken.None);

        Assert.True(added.Created);
        Assert.Equal(Clock.GetUtcNow(), added.Result.StoredAt);
        Assert.Null(added.Result.ExpiredAt);
        Assert.Equal(digest, added.Result.ResultDigest);
        Assert.Equal("ecies-secp256k1-aes256gcm-v1", added.Result.Encryption);
        Assert.Equal(added.Result, await store.FindAsync(_taskId, CancellationToken.None));
        Assert.Equal(bytes, await ReadAsync(await store.OpenAsync(_taskId, CancellationToken.None)));

        var plain = await store.AddAsync(Expected(bytes, new Hash32(RandomNumberGenerator.GetBytes(32))), Writer(bytes), NoCheck, CancellationToken.None);
        Assert.Equal(plain.Result.Sha256, plain.Result.ResultDigest); // unset, the result digest is the stored bytes' SHA-256
        Assert.Equal("", plain.Result.Encryption);
    }

    [ResultStoreFact]
    public async Task Of_two_concurrent_adds_exactly_one_stores_its_archive_and_both_report_it()
    {
        var store = await CreateStoreAsync();
        byte[] first = RandomNumberGenerator.GetBytes(2_000_000), second = RandomNumberGenerator.GetBytes(2_000_000);
        using var written = new CountdownEvent(2);

        // Each writer waits (when the backend lets both write at once) until both archives are written: the two commits then race.
        Func<Stream, CancellationToken, Task> Racing(byte[] bytes) => async (stream, ct) =>
        {
            await stream.WriteAsync(bytes, ct);
            written.Signal();
            await Task.Run(() => written.Wait(TimeSpan.FromSeconds(5), ct), ct);
        };

        var additions = await Task.WhenAll(
            Task.Run(() => store.AddAsync(Expected(first), Racing(first), NoCheck, CancellationToken.None)),
            Task.Run(async () => await (await CreateStoreAsync(sameSpace: true)).AddAsync(Expected(second), Racing(second), NoCheck, CancellationToken.None)));

        var created = Assert.Single(additions, a => a.Created);
        var other = Assert.Single(additions, a => !a.Created);
        Assert.Equal(created.Result, other.Result);
        var stored = await ReadAsync(await store.OpenAsync(_taskId, CancellationToken.None));
        Assert.Equal(created.Result.Sha256, new Hash32(SHA256.HashData(stored)));
    }

    [ResultStoreFact]
    public async Task A_write_or_a_check_that_fails_stores_nothing_and_a_later_add_succeeds()
    {
        var store = await CreateStoreAsync();
        var bytes = RandomNumberGenerator.GetBytes(LargeBytes);
        await Assert.ThrowsAsync<IOException>(() => store.AddAsync(Expected(bytes), async (stream, ct) =>
        {
            await stream.WriteAsync(bytes.AsMemory(0, 6_000_000), ct);
            throw new IOException("the stream broke");
        }, NoCheck, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidDataException>(() => store.AddAsync(Expected(bytes), Writer(bytes), (staged, _) =>
        {
            ReadBackFully(staged, CancellationToken.None);
            throw new InvalidDataException("not the consensus");
        }, CancellationToken.None));

        Assert.Null(await store.FindAsync(_taskId, CancellationToken.None));
        Assert.Null(await store.OpenAsync(_taskId, CancellationToken.None));

        var added = await store.AddAsync(Expected(bytes), Writer(bytes), NoCheck, CancellationToken.None);
        Assert.True(added.Created);
        Assert.Equal(bytes, await ReadAsync(await store.OpenAsync(_taskId, CancellationToken.None)));
    }

    [ResultStoreFact]
    public async Task A_writer_cancelled_mid_upload_leaves_nothing_visible()
    {
        var store = await CreateStoreAsync();
        var bytes = RandomNumberGenerator.GetBytes(LargeBytes);
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.AddAsync(Expected(bytes), async (stream, ct) =>
        {
            await stream.WriteAsync(bytes.AsMemory(0, 7_000_000), ct); // past a chunk and a multipart part
            await cancel.CancelAsync();
            await stream.WriteAsync(bytes.AsMemory(7_000_000), ct);
        }, NoCheck, cancel.Token));

        Assert.Null(await store.FindAsync(_taskId, CancellationToken.None));
        Assert.Null(await store.OpenAsync(_taskId, CancellationToken.None));
        Assert.Equal(0, await StoredObjectCountAsync());
    }

    [ResultStoreFact]
    public async Task An_archive_larger_than_a_grpc_message_streams_in_and_out_in_pieces()
    {
        var store = await CreateStoreAsync();
        var bytes = RandomNumberGenerator.GetBytes(LargeBytes + 12_345);
        var added = await store.AddAsync(Expected(bytes), async (stream, ct) =>
        {
            for (var offset = 0; offset < bytes.Length; offset += 64 * 1024)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(64 * 1024, bytes.Length - offset)), ct);
            }
        }, ReadBackFully, CancellationToken.None);

        Assert.Equal(bytes.Length, added.Result.Size);
        await using var read = await store.OpenAsync(_taskId, CancellationToken.None);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[100_000];
        int n;
        while ((n = await read!.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
        }

        Assert.Equal(added.Result.Sha256, new Hash32(hash.GetHashAndReset()));
    }

    [ResultStoreFact]
    public async Task Logs_are_kept_once_per_worker_beside_the_result()
    {
        var store = await CreateStoreAsync();
        Address a = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()), b = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        byte[] logsA = RandomNumberGenerator.GetBytes(5_000), logsB = RandomNumberGenerator.GetBytes(7_000), again = RandomNumberGenerator.GetBytes(100);

        Assert.True((await store.AddLogsAsync(Expected(logsA) with { Worker = a }, Writer(logsA), CancellationToken.None)).Created);
        Assert.True((await store.AddLogsAsync(Expected(logsB) with { Worker = b }, Writer(logsB), CancellationToken.None)).Created);
        var second = await store.AddLogsAsync(Expected(again) with { Worker = a }, Writer(again), CancellationToken.None);
        await Assert.ThrowsAsync<IOException>(() => store.AddLogsAsync(Expected(again) with { Worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()) }, (_, _) => throw new IOException("broken"), CancellationToken.None));

        Assert.False(second.Created); // the first logs of a worker are kept
        Assert.Equal(a, second.Result.Worker);
        var listed = await store.ListLogsAsync(_taskId, CancellationToken.None);
        Assert.Equal(new[] { a, b }.Order(), listed.Select(l => l.Worker));
        Assert.Equal(logsA, await ReadAsync(await store.OpenLogsAsync(_taskId, a, CancellationToken.None)));
        Assert.Equal(logsB, await ReadAsync(await store.OpenLogsAsync(_taskId, b, CancellationToken.None)));
        Assert.Null(await store.OpenLogsAsync(_taskId, Secp256k1.AddressOf(Secp256k1.NewPrivateKey()), CancellationToken.None));
        Assert.Null(await store.FindAsync(_taskId, CancellationToken.None)); // logs are not the result
        Assert.Empty(await store.ListLogsAsync(new Hash32(RandomNumberGenerator.GetBytes(32)), CancellationToken.None));
    }

    [ResultStoreFact]
    public async Task The_retention_sweep_deletes_old_bytes_and_leaves_tombstones()
    {
        var store = await CreateStoreAsync();
        var worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        byte[] old = RandomNumberGenerator.GetBytes(40_000), logs = RandomNumberGenerator.GetBytes(3_000), recent = RandomNumberGenerator.GetBytes(20_000);
        var stored = (await store.AddAsync(Expected(old), Writer(old), NoCheck, CancellationToken.None)).Result;
        await store.AddLogsAsync(Expected(logs) with { Worker = worker }, Writer(logs), CancellationToken.None);
        Clock.Advance(TimeSpan.FromDays(10));
        var recentTask = new Hash32(RandomNumberGenerator.GetBytes(32));
        await store.AddAsync(Expected(recent) with { TaskId = recentTask }, Writer(recent), NoCheck, CancellationToken.None);

        var swept = await store.DeleteExpiredAsync(Clock.GetUtcNow() - TimeSpan.FromDays(5), 100, CancellationToken.None);

        Assert.Equal(new ResultSweep(1, 1, old.Length + logs.Length), swept);
        var tombstone = await store.FindAsync(_taskId, CancellationToken.None);
        Assert.Equal(stored with { ExpiredAt = Clock.GetUtcNow() }, tombstone);
        Assert.Null(await store.OpenAsync(_taskId, CancellationToken.None));
        Assert.Null(await store.OpenLogsAsync(_taskId, worker, CancellationToken.None));
        Assert.Equal(Clock.GetUtcNow(), Assert.Single(await store.ListLogsAsync(_taskId, CancellationToken.None)).ExpiredAt);
        Assert.Equal(recent, await ReadAsync(await store.OpenAsync(recentTask, CancellationToken.None)));

        // Swept once only; and the task's result never changes, even once expired.
        Assert.Equal(new ResultSweep(0, 0, 0), await store.DeleteExpiredAsync(Clock.GetUtcNow() - TimeSpan.FromDays(5), 100, CancellationToken.None));
        var again = await store.AddAsync(Expected(recent), Writer(recent), NoCheck, CancellationToken.None);
        Assert.False(again.Created);
        Assert.Equal(tombstone, again.Result);
    }

    [ResultStoreFact]
    public async Task The_sweep_stops_at_its_batch_size()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 3; i++)
        {
            var bytes = RandomNumberGenerator.GetBytes(1_000);
            await store.AddAsync(Expected(bytes) with { TaskId = new Hash32(RandomNumberGenerator.GetBytes(32)) }, Writer(bytes), NoCheck, CancellationToken.None);
        }

        Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(2, (await store.DeleteExpiredAsync(Clock.GetUtcNow() - TimeSpan.FromDays(1), 2, CancellationToken.None)).Objects);
        Assert.Equal(1, (await store.DeleteExpiredAsync(Clock.GetUtcNow() - TimeSpan.FromDays(1), 2, CancellationToken.None)).Objects);
    }

    [ResultStoreFact]
    public async Task A_dropped_candidate_is_gone_and_the_task_can_store_again()
    {
        var store = await CreateStoreAsync();
        byte[] first = RandomNumberGenerator.GetBytes(10_000), second = RandomNumberGenerator.GetBytes(10_000);
        await store.AddAsync(Expected(first), Writer(first), NoCheck, CancellationToken.None);

        await store.DropAsync(_taskId, CancellationToken.None);
        await store.DropAsync(_taskId, CancellationToken.None); // idempotent

        Assert.Null(await store.FindAsync(_taskId, CancellationToken.None));
        Assert.Null(await store.OpenAsync(_taskId, CancellationToken.None));
        Assert.True((await store.AddAsync(Expected(second), Writer(second), NoCheck, CancellationToken.None)).Created);
        Assert.Equal(second, await ReadAsync(await store.OpenAsync(_taskId, CancellationToken.None)));
    }

    /// <summary>A new store instance on this test's space (as another silo would open it).</summary>
    protected abstract Task<IResultStore> CreateStoreAsync(bool sameSpace);

    /// <summary>How many objects (committed or staged) the backend holds for this test's space: debris counts.</summary>
    protected abstract Task<int> StoredObjectCountAsync();

    private static Task NoCheck(Stream staged, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Reads the staged bytes back as the archive digest check does: rewind, then synchronous reads.</summary>
    private static Task ReadBackFully(Stream staged, CancellationToken cancellationToken)
    {
        staged.Position = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81_920];
        int n;
        while ((n = staged.Read(buffer, 0, buffer.Length)) > 0)
        {
            hash.AppendData(buffer, 0, n);
        }

        Assert.Equal(staged.Length, staged.Position);
        return Task.CompletedTask;
    }

    private static Func<Stream, CancellationToken, Task> Writer(byte[] bytes) => (stream, ct) => stream.WriteAsync(bytes, ct).AsTask();

    private static async Task<byte[]> ReadAsync(Stream? stream)
    {
        Assert.NotNull(stream);
        await using (stream)
        {
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            return copy.ToArray();
        }
    }

    private StoredResult Expected(byte[] bytes, Hash32? taskId = null)
        => new(taskId ?? _taskId, Secp256k1.AddressOf(Secp256k1.NewPrivateKey()), bytes.Length, new Hash32(SHA256.HashData(bytes)), "application/x-tar", string.Empty);
}

/// <summary>
/// A contract fact: it needs PostgreSQL and s3rver (the backends' real services). Skipped with the reason
/// when one is not installed, except under CI=true, where it runs and fails: CI never passes without them.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResultStoreFactAttribute : FactAttribute
{
    /// <summary>Checks the services (outside CI).</summary>
    public ResultStoreFactAttribute()
        => Skip = S3rverNode.Required ? null : PostgresServer.UnavailableReason ?? S3rverNode.UnavailableReason;
}
