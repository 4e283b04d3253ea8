using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.EndToEnd.Tests.Infrastructure;
using Orchestrator.Simulation;
using Secrets = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// The pool with real processes over loopback: `orchestrator serve` with Kestrel on a free port, and
/// `orchestrator-worker` processes running Apps/*.sh through the process executor. The test is the
/// pool owner: it authorizes workers, submits deals and reads the outcome through the admin gRPC API.
/// </summary>
public sealed class WorkerPoolTests(PoolServer server) : IClassFixture<PoolServer>
{
    private const string Arguments = "alpha 'beta gamma'";
    private const string ArgumentsSeen = "alpha beta gamma";
    private static readonly TimeSpan DealDeadline = TimeSpan.FromSeconds(120);
    private readonly string _apps = ExpectedResults.InstallApps(server.Directory);

    [Fact]
    public async Task Thirty_tasks_at_trust_3_complete_with_the_consensus_result_although_a_worker_is_killed_mid_task()
    {
        var app = NewApp();
        var flag = Path.Combine(server.Directory, "stall-" + Guid.NewGuid().ToString("n")[..8]);
        using var a = await WorkerAgentProcess.StartAuthorizedAsync(server, "honest-a", new TestApp(app, Script("honest.sh")));
        using var b = await WorkerAgentProcess.StartAuthorizedAsync(server, "honest-b", new TestApp(app, Script("honest.sh")));
        using var victim = await WorkerAgentProcess.StartAuthorizedAsync(server, "victim", new TestApp(app, Script("honest.sh"), "--stall-after", "2", flag));
        var dealId = await SubmitAsync(app, tasks: 30, trust: 3);

        // The victim's app runs two tasks honestly, then hangs in the next: kill the worker (SIGKILL)
        // while it is running that task. (Waiting for its contributions and then setting a flag raced
        // the two honest workers, who can finish the whole deal first on a fast machine.)
        var stalled = await Eventually.ForAsync("the victim to be mid-task", () => Task.FromResult(Directory.GetFiles(server.Directory, Path.GetFileName(flag) + ".stalled-*")), files => files.Length > 0, TimeSpan.FromSeconds(60), describe: _ => victim.Process.Output);
        var stalledIndex = long.Parse(stalled[0][(stalled[0].LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        victim.Process.Kill();

        var (deal, tasks) = await WaitForDealAsync(dealId, a, b, victim);
        Assert.Equal(30, deal.Completed);
        Assert.Equal(0, deal.Failed);
        AssertHonestResults(tasks, deal.BotFirst);

        // The task the victim was running was finished by others. The victim's replicate ends in one
        // of three legal ways depending on the machine's speed: released as WorkerLost when the loss is
        // seen first, TimedOut when it was held past one timeref, or still Assigned when the honest
        // workers' credibility reached trust 3 without it (a final task takes nothing back; with scores
        // of 12 and more one honest worker alone is enough). It never contributed in any of them.
        var redone = tasks.Single(t => t.Index == (ulong)stalledIndex);
        var victims = redone.Replicates.Where(r => r.Worker.Equals(victim.Address.ToString(), StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.NotEmpty(victims);
        Assert.All(victims, r => Assert.Contains(r.Status, new[] { ReplicateStatus.WorkerLost, ReplicateStatus.TimedOut, ReplicateStatus.Assigned }));
        Assert.All(victims, r => Assert.Empty(r.ResultHash));
        Assert.True(redone.Replicates.Count(r => r.Status == ReplicateStatus.Revealed) >= 1, redone.ToString());
        await Eventually.UntilAsync("the killed victim to be found lost", async () => (await server.WorkerAsync(victim))!.State == WorkerState.Lost, TimeSpan.FromSeconds(60), () => server.Process.Output);

        // The winners uploaded their archives: the stored bytes are the canonical archive whose SHA-256 is the digest.
        var withResult = tasks.Where(t => t.HasResult).ToList();
        Assert.NotEmpty(withResult);
        var sample = withResult[0];
        using var download = server.Admin.DownloadResult(new DownloadResultRequest { TaskId = sample.TaskId }, server.Owner);
        using var bytes = new MemoryStream();
        await foreach (var chunk in download.ResponseStream.ReadAllAsync())
        {
            chunk.Data.WriteTo(bytes);
        }

        Assert.Equal(sample.ResultDigest, Hex.Encode(SHA256.HashData(bytes.ToArray())));

        // SIGTERM drains: nothing is running any more, so both exit 0 at once.
        a.Process.Terminate();
        b.Process.Terminate();
        await AssertExitAsync(a, 0);
        await AssertExitAsync(b, 0);
    }

    [Fact]
    public async Task A_worker_whose_app_computes_something_else_loses_every_vote()
    {
        var app = NewApp();
        // The forger runs alone until it has contributed: three honest workers started with it could
        // settle all twelve tasks before a slow-starting forger polls once, and the test would show nothing.
        using var forger = await WorkerAgentProcess.StartAuthorizedAsync(server, "forger", new TestApp(app, Script("wrong.sh")));
        var dealId = await SubmitAsync(app, tasks: 12, trust: 3);
        await Eventually.ForAsync("the forger to contribute before any honest worker runs", () => server.WorkerAsync(forger), w => w is { Contributions: > 0 }, TimeSpan.FromSeconds(60));
        using var h1 = await WorkerAgentProcess.StartAuthorizedAsync(server, "h1", new TestApp(app, Script("honest.sh")));
        using var h2 = await WorkerAgentProcess.StartAuthorizedAsync(server, "h2", new TestApp(app, Script("honest.sh")));
        using var h3 = await WorkerAgentProcess.StartAuthorizedAsync(server, "h3", new TestApp(app, Script("honest.sh")));

        var (deal, tasks) = await WaitForDealAsync(dealId, h1, h2, h3, forger);
        Assert.Equal(12, deal.Completed);
        AssertHonestResults(tasks, deal.BotFirst);

        // Outcomes reach the workers one-way after settlement: wait until every contribution is judged.
        var forged = await Eventually.ForAsync("the forger's contributions to be judged", async () => (await server.WorkerAsync(forger))!, w => w.Contributions > 0 && w.Losses + w.Wins >= w.Contributions, TimeSpan.FromSeconds(30));
        Assert.Equal(0, forged.Wins);
        Assert.Equal(forged.Contributions, forged.Losses);
        var rejected = tasks.SelectMany(t => t.Replicates).Where(r => r.Worker.Equals(forger.Address.ToString(), StringComparison.OrdinalIgnoreCase) && r.ResultHash.Length > 0).ToList();
        Assert.NotEmpty(rejected);
        Assert.All(rejected, r => Assert.Equal(ReplicateStatus.Rejected, r.Status));
        // On a loaded machine one honest worker may start late and win nothing (its score stays where the
        // forger's is); every honest worker that won outscores the forger, and at least two did.
        var winners = 0;
        foreach (var honest in new[] { h1, h2, h3 })
        {
            var info = (await server.WorkerAsync(honest))!;
            Assert.Equal(0, info.Losses);
            if (info.Wins == 0) continue;
            winners++;
            Assert.True(info.Score > forged.Score, $"{honest} score {info.Score} vs forger {forged.Score}");
        }

        Assert.True(winners >= 2, $"{winners} honest workers won a vote");
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_gives_back_what_it_cannot_finish_and_exits_0()
    {
        var app = NewApp();
        var flag = Path.Combine(server.Directory, "drain-" + Guid.NewGuid().ToString("n")[..8]);
        await File.WriteAllTextAsync(flag, "stall from the start");
        using var drainer = await WorkerAgentProcess.StartAuthorizedAsync(server, "drainer", new TestApp(app, Script("honest.sh"), "--stall-if", flag), drainGrace: TimeSpan.FromSeconds(1));
        var dealId = await SubmitAsync(app, tasks: 4, trust: 1);
        await Eventually.UntilAsync("the drainer to be running two tasks", () => Task.FromResult(Directory.GetFiles(server.Directory, Path.GetFileName(flag) + ".stalled-*").Length == 2), TimeSpan.FromSeconds(60), () => drainer.Process.Output);

        drainer.Process.Terminate();
        await AssertExitAsync(drainer, 0);
        Assert.Contains("drained: 0 replicates finished, 2 given back", drainer.Process.Output, StringComparison.Ordinal);
        Assert.Empty((await server.WorkerAsync(drainer))!.Assignments);

        // What it gave back goes to the next worker.
        using var rescuer = await WorkerAgentProcess.StartAuthorizedAsync(server, "rescuer", new TestApp(app, Script("honest.sh")));
        var (deal, tasks) = await WaitForDealAsync(dealId, drainer, rescuer);
        Assert.Equal(4, deal.Completed);
        AssertHonestResults(tasks, deal.BotFirst);
        Assert.All(tasks.SelectMany(t => t.Replicates).Where(r => r.Worker.Equals(drainer.Address.ToString(), StringComparison.OrdinalIgnoreCase)),
            r => Assert.NotEqual(ReplicateStatus.Revealed, r.Status));
        rescuer.Process.Terminate();
        await AssertExitAsync(rescuer, 0);
    }

    [Fact]
    public Task Four_keys_an_owners_app_dataset_and_secrets_reach_only_the_attested_enclaves_of_a_tee_deal_on_two_workers()
        => FourKeysAsync(containers: false);

    /// <summary>
    /// The same, with the app as its owner registered it: an image by digest in the local registry, pulled
    /// and run in containers by two workers with the Docker executor (podman) and no app list of their own.
    /// </summary>
    [ContainerFact]
    public Task Four_keys_with_the_registered_image_pulled_and_run_in_containers_on_two_workers()
        => FourKeysAsync(containers: true);

    private async Task FourKeysAsync(bool containers)
    {
        var policy = await server.Admin.GetPolicyAsync(new GetPolicyRequest(), server.Owner);
        var allowing = policy.Clone();
        allowing.AllowSimulatedTee = true;
        await server.Admin.SetPolicyAsync(new SetPolicyRequest { Policy = allowing }, server.Owner);
        try
        {
            // Four keys: the app's owner, the dataset's owner and the requester each sign with their own
            // (through the CLI); the pool owner holds only the bearer token.
            var appOwner = await KeygenAsync("app-owner.key");
            var datasetOwner = await KeygenAsync("dataset-owner.key");
            var requester = await KeygenAsync("requester.key");
            var stranger = await KeygenAsync("stranger.key");

            // The app: its image by digest and its policy (the agent's simulated enclave measurement, simulation allowed).
            var policyFile = Path.Combine(server.Directory, "tee-policy.json");
            var measurement = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(SimulatedEnclave.MeasurementLabel)));
            await File.WriteAllTextAsync(policyFile, $$"""{"tee":"TEE_KIND_SGX","mrEnclaves":["{{measurement}}"],"allowSimulated":true}""");
            var image = containers ? ContainerRuntime.AppImage : "127.0.0.1:5000/tee-app@sha256:" + new string('5', 64);
            var app = Address.Parse(await OwnerCliAsync("address", "app", "register", "--key", appOwner.KeyFile, "--name", "tee-app",
                "--image", image, "--policy", policyFile));

            // The dataset, usable only by the requester and by the app owner's apps; its key pushed by its owner.
            var dataset = await OwnerCliAsync("address", "dataset", "register", "--key", datasetOwner.KeyFile, "--name", "tee-data",
                "--checksum", "0x" + new string('6', 64), "--uri", "https://data.example/tee-data.enc",
                "--allow-requester", requester.Address, "--allow-app-owner", appOwner.Address);
            var datasetKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            await OwnerCliAsync("name", "secret", "push", "--key", datasetOwner.KeyFile, "--kind", "dataset", "--target", dataset, "--name", "key", "--value", datasetKey);

            // Two requester secrets pushed; the deal selects one.
            await OwnerCliAsync("name", "secret", "push", "--key", requester.KeyFile, "--name", "api-token", "--value", "s3cret");
            await OwnerCliAsync("name", "secret", "push", "--key", requester.KeyFile, "--name", "unselected", "--value", "never released");
            var listed = await BuiltCli.RunAsync(["secret", "list", "--api", server.Url, "--key", requester.KeyFile]);
            Assert.True(listed.Code == 0, listed.Err);
            Assert.Contains("\"api-token\"", listed.Out, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cret", listed.Out, StringComparison.Ordinal);

            // The pool's token can push no one's secret.
            var pushed = await Assert.ThrowsAsync<RpcException>(() => server.Secrets.PutSecretAsync(new Secrets.PutSecretRequest
            {
                Owner = new Secrets.Owner { Kind = Secrets.OwnerKind.Dataset, Address = dataset }, Name = "key", Value = ByteString.CopyFromUtf8("the pool's"),
            }, server.Owner).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, pushed.StatusCode);

            // A requester the dataset does not allow is refused at creation, naming the restriction.
            var refused = await Assert.ThrowsAsync<RpcException>(() => SubmitAsync(app, tasks: 1, trust: 1, teeTag: 0x3, dataset: Address.Parse(dataset), requester: stranger.Address));
            Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
            Assert.Contains("does not allow requester " + stranger.Address.ToLowerInvariant(), refused.Status.Detail, StringComparison.Ordinal);

            // In a container the image's entrypoint takes the mode first (scripts/test-images.sh), then the deal's arguments.
            using var first = await StartTeeWorkerAsync("sgx-a", app, containers);
            using var second = await StartTeeWorkerAsync("sgx-b", app, containers);
            var dealId = await server.SubmitDealAsync(app, tasks: 6, trust: 1, containers ? "tee " + Arguments : Arguments, teeTag: 0x3,
                Address.Parse(dataset), requester.Address, new Dictionary<int, string> { [1] = "api-token" });

            var (deal, tasks) = await WaitForDealAsync(dealId, first, second);
            Assert.Equal(6, deal.Completed);
            AssertResults(tasks, deal.BotFirst, index => ExpectedResults.TeeDigest(index, ArgumentsSeen, datasetKey, "IEXEC_REQUESTER_SECRET_1=s3cret\n"));
            Assert.All(tasks, t => Assert.Equal(ReplicateStatus.Revealed, Assert.Single(t.Replicates).Status)); // one enclave-signed contribution each

            // Each task's key, the dataset key and the selected requester secret went to one attested enclave, audited.
            var workers = new[] { first.Address.ToLowerHex(), second.Address.ToLowerHex() };
            foreach (var task in tasks)
            {
                var audit = await server.Secrets.GetTaskAuditAsync(new Secrets.GetTaskAuditRequest { TaskId = task.TaskId }, server.Owner);
                var granted = Assert.Single(audit.Entries, e => e.Granted);
                Assert.Contains(granted.Worker, workers);
                Assert.Equal(["enclave-key", $"dataset/{dataset}/key", $"requester/{requester.Address.ToLowerInvariant()}/1"], granted.Released);
                Assert.Contains("(simulated)", granted.Measurement, StringComparison.Ordinal);
            }
        }
        finally
        {
            await server.Admin.SetPolicyAsync(new SetPolicyRequest { Policy = policy }, server.Owner);
        }
    }

    [Fact]
    public async Task A_worker_the_pool_has_not_authorized_is_refused_and_exits_with_a_clear_message()
    {
        using var stranger = WorkerAgentProcess.Start(server, "stranger", new TestApp(NewApp(), Script("honest.sh")));

        Assert.True(await stranger.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the refused worker keeps running:\n" + stranger.Process.Output);
        Assert.Equal(3, stranger.Process.ExitCode);
        Assert.Contains("refused worker " + stranger.Address, stranger.Process.Output, StringComparison.Ordinal);
        Assert.Contains("PermissionDenied", stranger.Process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_with_a_bad_configuration_exits_2_naming_the_key()
    {
        using var process = ChildProcess.Start("misconfigured", Build.Worker, ["--server", "tcp://nowhere", "--slots", "0"]);
        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("OrchestratorWorker:ServerUrl must be an absolute http", process.Output, StringComparison.Ordinal);
        Assert.Contains("OrchestratorWorker:Capabilities:Slots", process.Output, StringComparison.Ordinal);

        // The same agent as `orchestrator worker`.
        using var viaCli = ChildProcess.Start("misconfigured-cli", Build.Server, ["worker", "--server", "tcp://nowhere"]);
        Assert.True(await viaCli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(2, viaCli.ExitCode);
        Assert.Contains("OrchestratorWorker:ServerUrl must be an absolute http", viaCli.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_with_a_bad_pool_category_refuses_to_start_naming_the_key()
    {
        var config = Path.Combine(server.Directory, "bad-categories.json");
        await File.WriteAllTextAsync(config, """
            { "Orchestrator": { "SiloPort": 1, "GatewayPort": 2, "Categories": [ { "Id": 2, "Name": "M2", "Timeref": "00:00:10" }, { "Id": 200, "Name": "", "Timeref": "00:00:00" } ] } }
            """);
        using var silo = ChildProcess.Start("bad-silo", Build.Server, ["serve", "--config", config]);
        Assert.True(await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the silo started anyway:\n" + silo.Output);
        Assert.NotEqual(0, silo.ExitCode);
        Assert.Contains("Orchestrator:Categories:0:Id must be 5..1000000", silo.Output, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Categories:1:Name is required", silo.Output, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Categories:1:Timeref must be positive", silo.Output, StringComparison.Ordinal);
    }

    private Task<WorkerAgentProcess> StartTeeWorkerAsync(string name, Address app, bool containers) => containers
        ? WorkerAgentProcess.StartDockerAuthorizedAsync(server, name, ContainerRuntime.SocketPath, tee: "Sgx")
        : WorkerAgentProcess.StartAuthorizedAsync(server, name, new TestApp(app, Script("tee.sh")), tee: "Sgx");

    private static Address NewApp() => new(RandomNumberGenerator.GetBytes(20));

    private string Script(string name) => Path.Combine(_apps, name);

    /// <summary>Runs an owner's CLI command against the server; the JSON reply's <paramref name="field"/>.</summary>
    private async Task<string> OwnerCliAsync(string field, params string[] arguments)
    {
        var result = await BuiltCli.RunAsync([.. arguments, "--api", server.Url], timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.Code == 0, $"orchestrator {string.Join(' ', arguments)} exited {result.Code}: {result.Err}");
        return System.Text.Json.JsonDocument.Parse(result.Out).RootElement.GetProperty(field).GetString()!;
    }

    private async Task<(string KeyFile, string Address)> KeygenAsync(string name)
    {
        var file = Path.Combine(server.Directory, Guid.NewGuid().ToString("n")[..8] + "-" + name);
        var result = await BuiltCli.RunAsync(["result", "keygen", "--out", file]);
        Assert.True(result.Code == 0, $"keygen exited {result.Code}: {result.Err}");
        return (file, System.Text.Json.JsonDocument.Parse(result.Out).RootElement.GetProperty("address").GetString()!);
    }

    private Task<string> SubmitAsync(Address app, int tasks, int trust, uint teeTag = 0, Address? dataset = null, string? requester = null, Dictionary<int, string>? requesterSecrets = null)
        => server.SubmitDealAsync(app, tasks, trust, Arguments, teeTag, dataset, requester, requesterSecrets);

    private async Task<(DealSummary Deal, IReadOnlyList<TaskInfo> Tasks)> WaitForDealAsync(string dealId, params WorkerAgentProcess[] workers)
    {
        await Eventually.UntilAsync($"deal {dealId} to finish", async () => (await server.DealAsync(dealId)).Deal.Open == 0, DealDeadline, () => $"deal: {server.DealAsync(dealId).Result.Deal}\n" + string.Join("\n", workers.Select(w => $"--- {w}\n{w.Process.Output}")) + "\n--- server\n" + server.Process.Output);
        return await server.DealAsync(dealId);
    }

    private static void AssertHonestResults(IReadOnlyList<TaskInfo> tasks, ulong botFirst)
        => AssertResults(tasks, botFirst, index => ExpectedResults.HonestDigest(index, ArgumentsSeen));

    private static void AssertResults(IReadOnlyList<TaskInfo> tasks, ulong botFirst, Func<long, Hash32> expectedDigest)
    {
        Assert.All(tasks, t =>
        {
            Assert.Equal(Orchestrator.Api.Admin.V1.TaskStatus.Completed, t.Status);
            var expected = expectedDigest((long)t.Index);
            Assert.Equal(expected.ToString(), t.ResultDigest);
            Assert.Equal(ProtocolIds.ResultHash(Hash32.Parse(t.TaskId), expected).ToString(), t.ConsensusHash);
        });
        Assert.Equal(Enumerable.Range(0, tasks.Count).Select(i => botFirst + (ulong)i), tasks.Select(t => t.Index).Order());
    }

    private static async Task AssertExitAsync(WorkerAgentProcess worker, int code)
    {
        Assert.True(await worker.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"{worker} did not exit:\n{worker.Process.Output}");
        Assert.True(worker.Process.ExitCode == code, $"{worker} exited {worker.Process.ExitCode}:\n{worker.Process.Output}");
    }
}
