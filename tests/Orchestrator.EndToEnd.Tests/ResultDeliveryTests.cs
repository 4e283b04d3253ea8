using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.EndToEnd.Tests.Infrastructure;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// Issue #14 end to end with real processes: two silos on PostgreSQL, two worker agents on the first
/// silo, a requester with their own key (made by `orchestrator result keygen`). The workers encrypt each
/// result for the deal's beneficiary key; the requester reads it with `orchestrator result get` through
/// the OTHER silo after the one that took the uploads was killed and restarted, and reads the app's
/// output with `orchestrator result logs`. A stranger's key is refused.
/// </summary>
public sealed class ResultDeliveryTests(TwoSiloPool pool) : IClassFixture<TwoSiloPool>
{
    private const string Arguments = "alpha 'beta gamma'";
    private const string ArgumentsSeen = "alpha beta gamma";
    private static readonly TimeSpan DealDeadline = TimeSpan.FromSeconds(150);
    private readonly string _apps = ExpectedResults.InstallApps(pool.Directory);

    [PostgresFact]
    public async Task A_requester_downloads_the_consensus_result_through_another_silo_after_a_restart()
    {
        var requester = await KeygenAsync("requester.key");
        var stranger = await KeygenAsync("stranger.key");
        var app = new Address(RandomNumberGenerator.GetBytes(20));
        using var a = await WorkerAgentProcess.StartAuthorizedAsync(pool, "worker-a", new TestApp(app, Path.Combine(_apps, "honest.sh")));
        using var b = await WorkerAgentProcess.StartAuthorizedAsync(pool, "worker-b", new TestApp(app, Path.Combine(_apps, "honest.sh")));
        var reply = await pool.Admin(0).SubmitDealAsync(new SubmitDealRequest
        {
            Deal = new Deal
            {
                Requester = requester.Address,
                BeneficiaryKey = "0x" + requester.PublicKey,
                App = app.ToString(),
                Category = TwoSiloPool.TestCategory,
                Trust = 3,
                BotSize = 3,
                Cores = 1,
                MemoryMb = 256,
                Params = Arguments,
            },
        }, pool.Owner);

        string Diagnostics() => $"{a}\n{a.Process.Output}\n{b}\n{b.Process.Output}\n--- silo 0\n{pool.Output(0)}";
        await Eventually.UntilAsync("the deal to finish", async () => (await pool.DealAsync(reply.DealId)).Deal.Open == 0, DealDeadline, Diagnostics);
        var (deal, tasks) = await pool.DealAsync(reply.DealId);
        Assert.Equal(3, deal.Completed);
        Assert.All(tasks, t => Assert.Equal(ExpectedResults.HonestDigest((long)t.Index, ArgumentsSeen).ToString(), t.ResultDigest));
        await Eventually.UntilAsync("every result uploaded", async () => (await pool.DealAsync(reply.DealId)).Tasks.All(t => t.HasResult), TimeSpan.FromSeconds(60), Diagnostics);

        // A worker sends a task's logs after its result: wait for them too, or the restart below may cut that upload.
        var task = tasks.OrderBy(t => t.Index).First();
        await Eventually.UntilAsync("the task's logs uploaded",
            async () => (await CliAsync("result", "logs", task.TaskId, "--api", pool.ApiUrl(0), "--key", requester.KeyFile)).Code == 0, TimeSpan.FromSeconds(60), Diagnostics);

        // The silo that took every upload dies without a goodbye and comes back; the requester asks the other one.
        await pool.RestartAsync(0);
        var output = Path.Combine(pool.Directory, "result.tar");
        var get = await CliAsync("result", "get", task.TaskId, "--api", pool.ApiUrl(1), "--key", requester.KeyFile, "--out", output);
        Assert.True(get.Code == 0, $"result get exited {get.Code}: {get.Err}\n--- silo 1\n{pool.Output(1)}");
        var written = JsonDocument.Parse(get.Out).RootElement;
        Assert.True(written.GetProperty("encrypted").GetBoolean(), get.Out);
        Assert.Equal(task.ResultDigest, Hex.Encode(SHA256.HashData(await File.ReadAllBytesAsync(output))));

        // Anyone else's signature is refused, and nothing is written.
        var strangerOutput = Path.Combine(pool.Directory, "stolen.tar");
        var refused = await CliAsync("result", "get", task.TaskId, "--api", pool.ApiUrl(1), "--key", stranger.KeyFile, "--out", strangerOutput);
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("PermissionDenied", refused.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(strangerOutput));

        // The app's own output, decrypted by the requester.
        var logs = await CliAsync("result", "logs", task.TaskId, "--api", pool.ApiUrl(1), "--key", requester.KeyFile);
        Assert.True(logs.Code == 0, $"result logs exited {logs.Code}: {logs.Err}");
        Assert.Contains($"honest app: computing task {task.Index}", logs.Out, StringComparison.Ordinal);
        Assert.Contains($"honest app: arguments {ArgumentsSeen}", logs.Out, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_worker_killed_mid_upload_leaves_no_result_and_no_chunk_stored()
    {
        // 60 MiB that do not compress (under the worker's 64 MiB default cap): the upload streams into one
        // PostgreSQL transaction for a second or more (the store takes ~45 MiB/s here).
        var app = new Address(RandomNumberGenerator.GetBytes(20));
        using var worker = await WorkerAgentProcess.StartAuthorizedAsync(pool, "uploader", new TestApp(app, Path.Combine(_apps, "large.sh"), "60"), slots: 1);
        var reply = await pool.Admin(0).SubmitDealAsync(new SubmitDealRequest
        {
            Deal = new Deal
            {
                Requester = new Address(RandomNumberGenerator.GetBytes(20)).ToString(),
                App = app.ToString(),
                Category = TwoSiloPool.TestCategory,
                Trust = 1,
                BotSize = 1,
                Cores = 1,
                MemoryMb = 256,
            },
        }, pool.Owner);
        await using var database = Npgsql.NpgsqlDataSource.Create(pool.ConnectionString);

        string Diagnostics() => $"{worker}\n{worker.Process.Output}\n--- silo 0\n{pool.Output(0)}";
        // Polled every 10 ms (not with Eventually's growing pauses): the window is a second or two.
        var watching = System.Diagnostics.Stopwatch.StartNew();
        while (await UploadsInProgressAsync(database) == 0)
        {
            if (watching.Elapsed > DealDeadline)
            {
                var (_, tasks) = await pool.DealAsync(reply.DealId);
                Assert.Fail($"the upload was never seen streaming into the store (task {tasks.Single().Status}, result stored: {tasks.Single().HasResult})\n{Diagnostics()}");
            }

            await Task.Delay(10);
        }

        worker.Process.Kill();

        // The silo sees the stream end without its last chunk and rolls the transaction back.
        await Eventually.UntilAsync("the interrupted upload to be rolled back", async () => await UploadsInProgressAsync(database) == 0, TimeSpan.FromSeconds(60), Diagnostics);
        var task = Assert.Single((await pool.DealAsync(reply.DealId)).Tasks);
        Assert.False(task.HasResult, "a half upload became the task's result");
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM result_objects o WHERE o.kind = 0 AND o.task_id = decode(@task, 'hex')", ("task", task.TaskId[2..])));
        Assert.Equal(0L, await ScalarAsync(database, "SELECT count(*) FROM result_chunks c WHERE NOT EXISTS (SELECT 1 FROM result_objects o WHERE o.id = c.object_id)"));
    }

    /// <summary>Sessions other than this one whose (last) statement writes result chunks, inside an open transaction.</summary>
    private static Task<long> UploadsInProgressAsync(Npgsql.NpgsqlDataSource database) => ScalarAsync(database,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%INSERT INTO result_chunks%' AND state IN ('active', 'idle in transaction')");

    private static async Task<long> ScalarAsync(Npgsql.NpgsqlDataSource database, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = database.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<(string KeyFile, string Address, string PublicKey)> KeygenAsync(string name)
    {
        var file = Path.Combine(pool.Directory, name);
        var result = await CliAsync("result", "keygen", "--out", file);
        Assert.True(result.Code == 0, $"keygen exited {result.Code}: {result.Err}");
        var json = JsonDocument.Parse(result.Out).RootElement;
        return (file, json.GetProperty("address").GetString()!, json.GetProperty("publicKey").GetString()!);
    }

    private static Task<(int Code, string Out, string Err)> CliAsync(params string[] arguments)
        => BuiltCli.RunAsync(arguments, timeout: TimeSpan.FromMinutes(2));
}
