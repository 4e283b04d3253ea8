using System.Text.Json;
using Grpc.Core;
using Orchestrator.Attestation;
using Orchestrator.Domain.Crypto;
using Orchestrator.EndToEnd.Tests.Infrastructure;
using Orchestrator.Testing.Tee;
using Secrets = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>
/// The attestation refusals through the real TEE path, as one table on one silo: `orchestrator serve` trusting a
/// test root, `orchestrator-worker` agents whose `orchestrator-enclave` runners quote through the test TEE's
/// /dev/attestation files (and, for the revoked machine as a TD, its configfs-tsm report directory), and machines that must not get the app's secrets: a revoked PCK (in the PCK CRL), a
/// platform whose collateral has expired (stale at the silo's clock), one at an OutOfDate TCB under a policy that
/// accepts only UpToDate, and an enclave of another measurement. Two rows need an agent that lies about what its
/// runner made (a swapped session key: REPORTDATA not binding it; an earlier challenge's quote replayed), which
/// the real agent never does: there the runner's real code quotes and a dishonest relay talks to the same silo
/// over gRPC. Each row is refused with the verifier's or the app policy's reason, and the task's secrets go
/// only to the policy's enclave: its audit holds that one release and nobody else.
/// </summary>
public sealed class EnclaveRefusalTests(TeePoolServer server) : IClassFixture<TeePoolServer>
{
    private const string Arguments = "alpha 'beta gamma'";
    private readonly string _apps = ExpectedResults.InstallApps(server.Directory);

    [Fact]
    public async Task Revoked_stale_out_of_date_foreign_unbound_and_replayed_enclaves_are_refused_with_their_reason_and_get_no_secret()
    {
        var measurement = Convert.ToHexStringLower(new TestEnclave().MrEnclave.AsSpan());
        var app = await RegisterAppAsync(measurement);

        // Machines under the trusted test root, each with its own collateral in the silo's collateral directory.
        using var revoked = Platform(0x02, new TestCollateralOptions { RevokePck = true });
        using var stale = Platform(0x03, new TestCollateralOptions(), at: DateTimeOffset.UtcNow.AddDays(-60)); // issued 60 days ago, valid 30
        using var outOfDate = Platform(0x04, new TestCollateralOptions { PlatformStatus = TcbStatus.OutOfDate });
        await using var revokedDevice = Device("revoked", revoked);
        await using var staleDevice = Device("stale", stale);
        await using var outOfDateDevice = Device("out-of-date", outOfDate);
        await using var foreignDevice = Device("foreign", server.Tee, new TestEnclave { MrEnclave = [.. Enumerable.Repeat((byte)0xBA, 32)] });
        await using var revokedTdDevice = TestTeeDevice.ConfigfsTsm(revoked, Path.Combine(server.Directory, "tsm-report-revoked"));
        using var revokedWorker = await StartAsync("revoked-pck", app, revokedDevice);
        using var revokedTd = await StartAsync("revoked-pck-td", app, revokedTdDevice, "Tdx", "ConfigfsTsm");
        using var staleWorker = await StartAsync("stale-collateral", app, staleDevice);
        using var outOfDateWorker = await StartAsync("out-of-date-tcb", app, outOfDateDevice);
        using var foreignWorker = await StartAsync("foreign-measurement", app, foreignDevice);

        // Verification failures end the handshake: the agent exits 3 with the verifier's reason, and no verdict is kept.
        await AssertRefusedAtHandshakeAsync(revokedWorker, "CertificateRevoked: ");
        await AssertRefusedAtHandshakeAsync(revokedTd, "CertificateRevoked: "); // the same machine as a TD, quoting through configfs-tsm
        await AssertRefusedAtHandshakeAsync(staleWorker, "CollateralExpired: ");

        // A quote that verifies but that the app's policy refuses: the session opens, the verdict names what the policy reads.
        Assert.Equal("OutOfDate", (await AttestationAsync(outOfDateWorker.Address, outOfDateWorker)).TcbStatus);
        Assert.Equal("ba", (await AttestationAsync(foreignWorker.Address, foreignWorker)).MrEnclave[..2]);

        var relayed = await RelayRowsAsync();

        // The deal exists while every refused machine is connected or has tried; only the policy's enclave gets it.
        var dealId = await server.SubmitDealAsync(app, tasks: 1, trust: 1, Arguments, teeTag: 0x5 /* SGX/Gramine */);
        await using var goodDevice = Device("good", server.Tee);
        using var good = await StartAsync("policy-enclave", app, goodDevice);
        await Eventually.UntilAsync($"deal {dealId} to finish", async () => (await server.DealAsync(dealId)).Deal.Open == 0, TimeSpan.FromSeconds(120),
            () => $"--- good\n{good.Process.Output}\n--- server\n{server.Process.Output}");
        var task = Assert.Single((await server.DealAsync(dealId)).Tasks);
        Assert.Equal(Orchestrator.Api.Admin.V1.TaskStatus.Completed, task.Status);
        Assert.Equal(good.Address.ToString(), Assert.Single(task.Replicates).Worker, ignoreCase: true);

        var audit = await server.Secrets.GetTaskAuditAsync(new Secrets.GetTaskAuditRequest { TaskId = task.TaskId }, server.Owner);
        var release = Assert.Single(audit.Entries);
        Assert.True(release.Granted);
        Assert.Equal(good.Address.ToLowerHex(), release.Worker);
        Assert.Equal("mrenclave:" + measurement, release.Measurement);
        Address[] refused = [revokedWorker.Address, revokedTd.Address, staleWorker.Address, outOfDateWorker.Address, foreignWorker.Address, .. relayed];
        Assert.DoesNotContain(audit.Entries, e => refused.Any(r => r.ToLowerHex() == e.Worker));
        Assert.Equal(0, audit.UnrecordedRefusals);
    }

    /// <summary>
    /// The two rows only a lying agent produces, against the same silo: the runner's quote presented with another
    /// session key, and a quote accepted for its own challenge replayed in a later session. Returns their addresses.
    /// </summary>
    private async Task<Address[]> RelayRowsAsync()
    {
        await using var device = Device("relay", server.Tee);
        using var swapper = await DishonestRelay.StartAsync(server, device, Path.Combine(server.Directory, "relay-private"));
        var swapped = await swapper.JoinAsync(async challenge => (await swapper.OtherSessionKeyAsync(), (await swapper.RunnerEvidenceAsync(challenge)).Quote));
        AssertBindingRefused(swapped);

        using var replayer = await DishonestRelay.StartAsync(server, device, Path.Combine(server.Directory, "replay-private"));
        (byte[] PublicKey, byte[] Quote) first = default;
        var honest = await replayer.JoinAsync(async challenge => first = await replayer.RunnerEvidenceAsync(challenge));
        Assert.True(honest.StatusCode == StatusCode.OK, $"the runner's own evidence for its own challenge was refused: {honest}");
        AssertBindingRefused(await replayer.JoinAsync(_ => Task.FromResult(first)));
        return [swapper.Address, replayer.Address];
    }

    private static void AssertBindingRefused(Status status)
    {
        Assert.Equal(StatusCode.PermissionDenied, status.StatusCode);
        Assert.Equal("attestation refused: REPORTDATA does not bind this session key and the server's challenge (replayed or foreign evidence)", status.Detail);
    }

    private async Task AssertRefusedAtHandshakeAsync(WorkerAgentProcess worker, string reason)
    {
        Assert.True(await worker.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"{worker} keeps running:\n{worker.Process.Output}");
        Assert.Equal(3, worker.Process.ExitCode);
        Assert.Contains("PermissionDenied: attestation refused: " + reason, worker.Process.Output, StringComparison.Ordinal);
        // The silo's audit log names the worker and the same reason (a Warning of the attestor, counted in orchestrator.attestation.verdicts).
        Assert.Contains($"Worker {worker.Address} attestation refused: {reason}", server.Process.Output, StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Secrets.GetWorkerAttestationAsync(
            new Secrets.GetWorkerAttestationRequest { Address = worker.Address.ToString() }, server.Owner).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    private TestTee Platform(byte family, TestCollateralOptions collateral, DateTimeOffset? at = null)
    {
        var platform = server.Tee.Sibling(new TestPlatform { Fmspc = [0x7E, 0x57, 0x00, 0x00, 0x00, family] }, at);
        platform.WriteFiles(server.Files.CollateralDirectory, collateral);
        return platform;
    }

    private TestTeeDevice Device(string name, TestTee tee, TestEnclave? enclave = null) =>
        TestTeeDevice.Gramine(tee, Path.Combine(server.Directory, "dev-attestation-" + name), enclave);

    private Task<WorkerAgentProcess> StartAsync(string name, Address app, TestTeeDevice device, string tee = "Sgx", string provider = "Gramine") =>
        WorkerAgentProcess.StartWithRunnerAsync(server, name, new TestApp(app, Path.Combine(_apps, "honest.sh")), tee,
            "--quote-provider", provider, "--quote-root", device.Root, "--private-dir", Path.Combine(server.Directory, name + "-private"));

    private async Task<Secrets.WorkerAttestation> AttestationAsync(Address address, WorkerAgentProcess worker)
    {
        Secrets.WorkerAttestation? found = null;
        await Eventually.UntilAsync($"{worker} to present its evidence", async () =>
        {
            try
            {
                found = await server.Secrets.GetWorkerAttestationAsync(new Secrets.GetWorkerAttestationRequest { Address = address.ToString() }, server.Owner);
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), () => worker.Process.Output);
        Assert.True(found!.Verified, found.Failure);
        return found;
    }

    /// <summary>An app whose owner's policy admits only the default test enclave at an UpToDate TCB.</summary>
    private async Task<Address> RegisterAppAsync(string measurement)
    {
        var keyFile = Path.Combine(server.Directory, "refusal-app-owner.key");
        var keygen = await BuiltCli.RunAsync(["result", "keygen", "--out", keyFile]);
        Assert.True(keygen.Code == 0, keygen.Err);
        var policyFile = Path.Combine(server.Directory, "refusal-policy.json");
        await File.WriteAllTextAsync(policyFile, $$"""{"tee":"TEE_KIND_SGX","mrEnclaves":["{{measurement}}"],"acceptedTcbStatuses":[{"status":"UpToDate"}]}""");
        var registered = await BuiltCli.RunAsync(["app", "register", "--key", keyFile, "--name", "refusal-app",
            "--image", "127.0.0.1:5000/refusal-app@sha256:" + new string('6', 64), "--policy", policyFile, "--api", server.Url], timeout: TimeSpan.FromMinutes(2));
        Assert.True(registered.Code == 0, registered.Err);
        return Address.Parse(JsonDocument.Parse(registered.Out).RootElement.GetProperty("address").GetString()!);
    }
}
