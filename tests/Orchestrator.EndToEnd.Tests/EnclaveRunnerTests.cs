using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.EndToEnd.Tests.Infrastructure;
using Orchestrator.Testing;
using Orchestrator.Testing.Tee;
using Secrets = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// The hardware TEE path with real processes and nothing simulated: `orchestrator serve` trusting a test root CA,
/// an `orchestrator-worker` whose trusted runner (`orchestrator-enclave`) gets its quotes through Gramine's
/// /dev/attestation file interface (answered by the test TEE), the secret service releasing the task's key and
/// secrets sealed to the runner's session key, the app run by the runner, and the enclave-signed fast path.
/// </summary>
public sealed class EnclaveRunnerTests(TeePoolServer server) : IClassFixture<TeePoolServer>
{
    private const string Arguments = "alpha 'beta gamma'";
    private const string ArgumentsSeen = "alpha beta gamma";
    private readonly string _apps = ExpectedResults.InstallApps(server.Directory);

    [Fact]
    public async Task A_tee_deal_completes_through_the_trusted_runner_with_a_test_root_quote_and_secrets_released_only_to_its_measurement()
    {
        var started = Stopwatch.StartNew();
        var appOwner = await KeygenAsync("app-owner.key");
        var datasetOwner = await KeygenAsync("dataset-owner.key");
        var requester = await KeygenAsync("requester.key");

        // The app's policy names the test enclave's MRENCLAVE and does not allow simulation.
        var measurement = Convert.ToHexStringLower(new TestEnclave().MrEnclave.AsSpan());
        var policyFile = Path.Combine(server.Directory, "runner-policy.json");
        await File.WriteAllTextAsync(policyFile, $$"""{"tee":"TEE_KIND_SGX","mrEnclaves":["{{measurement}}"]}""");
        var app = Address.Parse(await OwnerCliAsync("address", "app", "register", "--key", appOwner.KeyFile, "--name", "runner-app",
            "--image", "127.0.0.1:5000/runner-app@sha256:" + new string('7', 64), "--policy", policyFile));
        var dataset = await OwnerCliAsync("address", "dataset", "register", "--key", datasetOwner.KeyFile, "--name", "runner-data",
            "--checksum", "0x" + new string('8', 64), "--uri", "https://data.example/runner-data.enc", "--allow-requester", requester.Address);
        var datasetKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await OwnerCliAsync("name", "secret", "push", "--key", datasetOwner.KeyFile, "--kind", "dataset", "--target", dataset, "--name", "key", "--value", datasetKey);
        await OwnerCliAsync("name", "secret", "push", "--key", requester.KeyFile, "--name", "api-token", "--value", "s3cret");

        // The enclave: the test TEE behind a /dev/attestation directory, quoting as the policy's enclave.
        await using var device = TestTeeDevice.Gramine(server.Tee, Path.Combine(server.Directory, "dev-attestation"));
        using var worker = await WorkerAgentProcess.StartWithRunnerAsync(server, "gramine", new TestApp(app, Script("tee.sh")), "Sgx",
            "--quote-provider", "Gramine", "--quote-root", device.Root, "--private-dir", Path.Combine(server.Directory, "enclave-private"));
        var dealId = await SubmitAsync(app, tasks: 2, Address.Parse(dataset), requester.Address);

        var (deal, tasks) = await WaitForDealAsync(dealId, worker);
        Assert.Equal(2, deal.Completed);
        var firstResult = started.Elapsed;
        Assert.All(tasks, t =>
        {
            Assert.Equal(Orchestrator.Api.Admin.V1.TaskStatus.Completed, t.Status);
            var expected = ExpectedResults.TeeDigest((long)t.Index, ArgumentsSeen, datasetKey, "IEXEC_REQUESTER_SECRET_1=s3cret\n");
            Assert.Equal(expected.ToString(), t.ResultDigest);
            Assert.Equal(ReplicateStatus.Revealed, Assert.Single(t.Replicates).Status); // one enclave-signed contribution
        });
        Assert.True(device.Answers >= 1, "the runner made no quote through the file interface");

        // The worker's evidence is a verified hardware-format quote under the test root, not simulated evidence.
        var attestation = await server.Secrets.GetWorkerAttestationAsync(new Secrets.GetWorkerAttestationRequest { Address = worker.Address.ToString() }, server.Owner);
        Assert.True(attestation.Verified, attestation.Failure);
        Assert.False(attestation.Simulated);
        Assert.Equal(measurement, attestation.MrEnclave);
        Assert.NotNull(attestation.Collateral); // the verdict names the collateral it was judged with
        Assert.Matches("^[0-9a-f]{16}$", attestation.Collateral.Fingerprint);
        Assert.True(attestation.Collateral.TcbEvaluationDataNumber > 0);

        // Asked to attest again (`pool reattest`), the runner quotes again through the file interface over the server's
        // new nonce, and the verdict is a new one: verified later, same measurement.
        var quotesBefore = device.Answers;
        await server.Admin.ReattestWorkerAsync(new ReattestWorkerRequest { Address = worker.Address.ToString() }, server.Owner);
        var renewed = attestation;
        await Eventually.UntilAsync("the runner's new quote to be judged", async () =>
        {
            renewed = await server.Secrets.GetWorkerAttestationAsync(new Secrets.GetWorkerAttestationRequest { Address = worker.Address.ToString() }, server.Owner);
            return renewed.VerifiedAt.ToDateTimeOffset() > attestation.VerifiedAt.ToDateTimeOffset();
        }, TimeSpan.FromSeconds(60), () => server.Process.Output);
        Assert.True(renewed.Verified, renewed.Failure);
        Assert.Equal(measurement, renewed.MrEnclave);
        Assert.True(device.Answers > quotesBefore, "the re-attestation did not go through the quote interface");

        // Each task's key and secrets went to that measurement, once, audited without "(simulated)".
        foreach (var task in tasks)
        {
            var audit = await server.Secrets.GetTaskAuditAsync(new Secrets.GetTaskAuditRequest { TaskId = task.TaskId }, server.Owner);
            var granted = Assert.Single(audit.Entries, e => e.Granted);
            Assert.Equal(worker.Address.ToLowerHex(), granted.Worker);
            Assert.Equal("mrenclave:" + measurement, granted.Measurement);
            Assert.Equal(["enclave-key", $"dataset/{dataset}/key", $"requester/{requester.Address.ToLowerInvariant()}/1"], granted.Released);
        }

        // The agent's disk never held the dataset key: the runner's private directory is gone, the workspaces hold no secret.
        Assert.False(Directory.Exists(Path.Combine(server.Directory, "enclave-private")) && Directory.EnumerateFileSystemEntries(Path.Combine(server.Directory, "enclave-private")).Any());
        Assert.DoesNotContain(datasetKey, worker.Process.Output, StringComparison.Ordinal);
        // The figure for the README: from a task's assignment to its secrets released into the enclave, from the agent's log clock.
        var delays = tasks.Select(t => SecretsDelay(worker.Process.Output, t.TaskId)).OfType<TimeSpan>().Select(d => $"{d.TotalMilliseconds:0} ms");
        Console.WriteLine($"enclave runner e2e: deal of 2 TEE tasks completed {firstResult.TotalSeconds:0.0} s after the test started; assignment to secrets in the enclave: {string.Join(", ", delays)}");
    }

    [Fact]
    public async Task Enclaves_under_an_unknown_root_or_of_another_measurement_get_no_task_and_no_secret_while_the_policys_enclave_gets_both()
    {
        var appOwner = await KeygenAsync("negative-app-owner.key");
        var measurement = Convert.ToHexStringLower(new TestEnclave().MrEnclave.AsSpan());
        var policyFile = Path.Combine(server.Directory, "negative-policy.json");
        await File.WriteAllTextAsync(policyFile, $$"""{"tee":"TEE_KIND_SGX","mrEnclaves":["{{measurement}}"]}""");
        var app = Address.Parse(await OwnerCliAsync("address", "app", "register", "--key", appOwner.KeyFile, "--name", "negative-app",
            "--image", "127.0.0.1:5000/negative-app@sha256:" + new string('9', 64), "--policy", policyFile));

        // Two enclaves the policy must refuse, connected before the deal exists: one quoting under another
        // (unknown) root CA, one quoting as another enclave under the trusted test root.
        using var strangerTee = new TestTee(DateTimeOffset.UtcNow);
        var other = new TestEnclave { MrEnclave = [.. Enumerable.Repeat((byte)0xBA, 32)] };
        await using var strangerDevice = TestTeeDevice.Gramine(strangerTee, Path.Combine(server.Directory, "dev-attestation-stranger"));
        await using var otherDevice = TestTeeDevice.Gramine(server.Tee, Path.Combine(server.Directory, "dev-attestation-other"), other);
        using var stranger = await StartAsync("unknown-root", app, strangerDevice);
        using var impostor = await StartAsync("other-measurement", app, otherDevice);
        // The unknown root is refused at the session's handshake: the agent exits 3 with the verifier's reason.
        Assert.True(await stranger.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the unknown-root worker keeps running:\n" + stranger.Process.Output);
        Assert.Equal(3, stranger.Process.ExitCode);
        Assert.Contains("PermissionDenied: attestation refused: UntrustedRoot: PCK certificate chain ends in 'CN=Orchestrator TEST SGX Root CA", stranger.Process.Output, StringComparison.Ordinal);
        Assert.Contains("neither the pinned Intel SGX Root CA nor a configured test root", stranger.Process.Output, StringComparison.Ordinal);
        var otherMeasurement = await AttestationAsync(impostor);
        Assert.True(otherMeasurement.Verified, otherMeasurement.Failure);
        Assert.Equal(Convert.ToHexStringLower(other.MrEnclave.AsSpan()), otherMeasurement.MrEnclave);

        var dealId = await SubmitAsync(app, tasks: 1, dataset: null, requester: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        await using var device = TestTeeDevice.Gramine(server.Tee, Path.Combine(server.Directory, "dev-attestation-good"));
        using var good = await StartAsync("policy-enclave", app, device);

        var (deal, tasks) = await WaitForDealAsync(dealId, good);
        Assert.Equal(1, deal.Completed);
        var task = Assert.Single(tasks);
        Assert.Equal(ExpectedResults.HonestDigest((long)task.Index, ArgumentsSeen).ToString(), task.ResultDigest);
        Assert.Equal(good.Address.ToString(), Assert.Single(task.Replicates).Worker, ignoreCase: true);
        var audit = await server.Secrets.GetTaskAuditAsync(new Secrets.GetTaskAuditRequest { TaskId = task.TaskId }, server.Owner);
        var entry = Assert.Single(audit.Entries); // no fetch from the refused enclaves (the other measurement is never dispatched to), one release to the policy's
        Assert.True(entry.Granted);
        Assert.Equal(good.Address.ToLowerHex(), entry.Worker);
        Assert.Equal(["enclave-key"], entry.Released);
    }

    private string Script(string name) => Path.Combine(_apps, name);

    /// <summary>The time between "task T: assigned" and "task T: the secret service released" in the agent's log, when both are there.</summary>
    private static TimeSpan? SecretsDelay(string output, string taskId)
    {
        TimeSpan? At(string marker) => output.Split('\n').FirstOrDefault(l => l.Contains($"task {taskId}: {marker}", StringComparison.OrdinalIgnoreCase)) is { Length: > 12 } line
            && TimeSpan.TryParseExact(line[..12], @"hh\:mm\:ss\.fff", System.Globalization.CultureInfo.InvariantCulture, out var at) ? at : null;
        return At("assigned") is { } assigned && At("the secret service released") is { } released ? released - assigned : null;
    }

    private Task<WorkerAgentProcess> StartAsync(string name, Address app, TestTeeDevice device) =>
        WorkerAgentProcess.StartWithRunnerAsync(server, name, new TestApp(app, Script("honest.sh")), "Sgx",
            "--quote-provider", "Gramine", "--quote-root", device.Root, "--private-dir", Path.Combine(server.Directory, name + "-private"));

    private async Task<Secrets.WorkerAttestation> AttestationAsync(WorkerAgentProcess worker)
    {
        Secrets.WorkerAttestation? found = null;
        await Eventually.UntilAsync($"{worker} to present its evidence", async () =>
        {
            try
            {
                found = await server.Secrets.GetWorkerAttestationAsync(new Secrets.GetWorkerAttestationRequest { Address = worker.Address.ToString() }, server.Owner);
                return true;
            }
            catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.NotFound)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), () => worker.Process.Output);
        return found!;
    }

    private async Task<string> OwnerCliAsync(string field, params string[] arguments)
    {
        var result = await BuiltCli.RunAsync([.. arguments, "--api", server.Url], timeout: TimeSpan.FromMinutes(2));
        Assert.True(result.Code == 0, $"orchestrator {string.Join(' ', arguments)} exited {result.Code}: {result.Err}");
        return JsonDocument.Parse(result.Out).RootElement.GetProperty(field).GetString()!;
    }

    private async Task<(string KeyFile, string Address)> KeygenAsync(string name)
    {
        var file = Path.Combine(server.Directory, Guid.NewGuid().ToString("n")[..8] + "-" + name);
        var result = await BuiltCli.RunAsync(["result", "keygen", "--out", file]);
        Assert.True(result.Code == 0, $"keygen exited {result.Code}: {result.Err}");
        return (file, JsonDocument.Parse(result.Out).RootElement.GetProperty("address").GetString()!);
    }

    private Task<string> SubmitAsync(Address app, int tasks, Address? dataset, string requester)
        => server.SubmitDealAsync(app, tasks, trust: 1, Arguments, teeTag: 0x5 /* SGX/Gramine */, dataset, requester,
            dataset is null ? null : new Dictionary<int, string> { [1] = "api-token" });

    private async Task<(DealSummary Deal, IReadOnlyList<TaskInfo> Tasks)> WaitForDealAsync(string dealId, WorkerAgentProcess worker)
    {
        await Eventually.UntilAsync($"deal {dealId} to finish", async () => (await server.DealAsync(dealId)).Deal.Open == 0, TimeSpan.FromSeconds(120),
            () => $"--- {worker}\n{worker.Process.Output}\n--- server\n{server.Process.Output}");
        return await server.DealAsync(dealId);
    }
}
