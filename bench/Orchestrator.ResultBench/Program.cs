using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Results;
using Orchestrator.Api.Results.Postgres;
using Orchestrator.Api.Results.S3;
using Orchestrator.Domain.Crypto;
using Orchestrator.Host.Persistence;
using Orchestrator.ResultBench;

// Usage: Orchestrator.ResultBench [MiB] [admin connection string]
// Writes one random archive of MiB mebibytes through each result store (FileSystem, PostgreSQL, S3 on a
// local s3rver) and reads it back, beside a plain file copy on the same disk: every figure of one run,
// so they compare as ratios. Uploads stream in 256 KiB pieces as the gRPC receiver writes them.
var mib = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var admin = args.Length > 1 && args[1].Length > 0 ? args[1]
    : Environment.GetEnvironmentVariable("ORCHESTRATOR_PG_ADMIN") ?? "Host=127.0.0.1;Port=5432;Database=orchestrator_test;Username=orchestrator;Password=orchestrator";
const int Piece = 256 * 1024;

var work = Directory.CreateTempSubdirectory("orch-resultbench-").FullName;
try
{
    var source = Path.Combine(work, "archive.bin");
    await WriteRandomAsync(source, mib);
    var sha256 = new Hash32(await SHA256.HashDataAsync(File.OpenRead(source)));
    Console.WriteLine($"{mib} MiB archive, {Piece / 1024} KiB pieces, one run on this machine ({Environment.ProcessorCount} cores)");
    Console.WriteLine($"{"store",-26} {"upload MiB/s",12} {"download MiB/s",15}");

    var rows = new List<(string Name, double Up, double Down)>();
    rows.Add(await PlainCopyAsync(source, Path.Combine(work, "copy.bin"), mib));
    Print(rows[^1]);

    var fileStore = new FileSystemResultStore(Options.Create(new ApiOptions { ResultDirectory = Path.Combine(work, "results") }), TimeProvider.System);
    rows.Add(await MeasureAsync("FileSystem store", fileStore, source, sha256, mib));
    Print(rows[^1]);

    await using (var database = await ScratchDatabase.CreateAsync(admin))
    await using (var dataSource = PostgresDataSource.Create(database.ConnectionString))
    {
        await new SchemaMigrator(dataSource).MigrateAsync();
        rows.Add(await MeasureAsync("PostgreSQL store", new PostgresResultStore(dataSource, TimeProvider.System), source, sha256, mib));
        Print(rows[^1]);
    }

    await using (var s3rver = await S3rver.StartAsync(Path.Combine(work, "s3rver")))
    {
        var options = new S3ResultOptions { ServiceUrl = s3rver.Endpoint, Bucket = s3rver.Bucket, AccessKey = "S3RVER", SecretKey = "S3RVER" };
        using var client = S3Client.Create(options);
        rows.Add(await MeasureAsync("S3 store (s3rver 3.7.1)", new S3ResultStore(client, options, TimeProvider.System), source, sha256, mib));
        Print(rows[^1]);
    }

    Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB");
    return 0;
}
finally
{
    Directory.Delete(work, recursive: true);
}

static void Print((string Name, double Up, double Down) row)
    => Console.WriteLine($"{row.Name,-26} {row.Up,12:F1} {row.Down,15:F1}");

static async Task WriteRandomAsync(string path, int mib)
{
    await using var file = File.Create(path);
    var block = new byte[1024 * 1024];
    for (var i = 0; i < mib; i++)
    {
        RandomNumberGenerator.Fill(block);
        await file.WriteAsync(block);
    }
}

// The floor: the same bytes copied file to file (flushed to disk), then read back, on the same disk.
static async Task<(string, double, double)> PlainCopyAsync(string source, string target, int mib)
{
    var clock = Stopwatch.StartNew();
    await using (var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, Piece, useAsync: true))
    await using (var to = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, Piece, useAsync: true))
    {
        await from.CopyToAsync(to, Piece);
        to.Flush(flushToDisk: true);
    }

    var up = mib / clock.Elapsed.TotalSeconds;
    clock.Restart();
    await using (var back = new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read, Piece, useAsync: true))
    {
        await back.CopyToAsync(Stream.Null, Piece);
    }

    return ("plain file copy", up, mib / clock.Elapsed.TotalSeconds);
}

static async Task<(string, double, double)> MeasureAsync(string name, IResultStore store, string source, Hash32 sha256, int mib)
{
    var taskId = new Hash32(RandomNumberGenerator.GetBytes(32));
    var expected = new StoredResult(taskId, Address.Zero, new FileInfo(source).Length, sha256, "application/x-tar", "");
    var clock = Stopwatch.StartNew();
    var added = await store.AddAsync(expected, async (stream, ct) =>
    {
        await using var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, Piece, useAsync: true);
        var buffer = new byte[Piece];
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read), ct);
        }
    }, (_, _) => Task.CompletedTask, CancellationToken.None);
    var up = mib / clock.Elapsed.TotalSeconds;
    if (!added.Created)
    {
        throw new InvalidOperationException($"{name}: the archive was not stored");
    }

    clock.Restart();
    await using (var read = await store.OpenAsync(taskId, CancellationToken.None) ?? throw new InvalidOperationException($"{name}: the archive cannot be opened"))
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[Piece];
        int n;
        while ((n = await read.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, n);
        }

        if (new Hash32(hash.GetHashAndReset()) != sha256)
        {
            throw new InvalidOperationException($"{name}: the archive read back differs");
        }
    }

    return (name, up, mib / clock.Elapsed.TotalSeconds);
}
