using Google.Protobuf.WellKnownTypes;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Attestation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Tests.Registry;
using Orchestrator.Simulation;
using Orchestrator.Testing.Tee;
using AdminProto = Orchestrator.Api.Admin.V1;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Grains.Tests.Trust;

/// <summary>
/// Attestation that stays true, through a live silo and real gRPC sessions with test-platform DCAP quotes: new
/// collateral that makes one platform's TCB OutOfDate takes that worker off a strict app's TEE tasks (given back,
/// audited, re-assigned to a worker on another platform) while it keeps a lenient app's task; and sessions
/// re-attest every interval on the fake clock, a worker that does not answer losing its TEE eligibility.
/// </summary>
public sealed class ReattestationTests(ReattestHost host) : IClassFixture<ReattestHost>
{
    private static readonly string MrEnclave = Convert.ToHexStringLower(new TestEnclave().MrEnclave.AsSpan());

    [Fact]
    public async Task New_collateral_making_a_platform_out_of_date_moves_a_strict_apps_task_to_another_worker_and_leaves_the_rest()
    {
        var owner = new OwnerClient(host.Channel);
        var strict = Address.Parse((await owner.RegisterAppAsync("strict", Image('b'), Policy())).Address);
        var lenient = Address.Parse((await owner.RegisterAppAsync("lenient", Image('c'), Policy(new SecretsProto.TcbStatusAllowance { Status = "OutOfDate", AllowedAdvisoryIds = { "INTEL-SA-00000-TEST" } }))).Address);
        var workers = new WorkerSession.WorkerSessionClient(host.Channel);

        // The first platform's worker takes a task of each app; the second platform's worker then takes a strict one.
        await using var first = await DcapWorkerStream.ConnectAsync(workers, host.Grains, host.First, slots: 2);
        var lenientTask = await AssignedAsync(first, await DealAsync(lenient));
        var movedTask = await AssignedAsync(first, await DealAsync(strict));
        await using var second = await DcapWorkerStream.ConnectAsync(workers, host.Grains, host.Second, slots: 2);
        await AssignedAsync(second, await DealAsync(strict));
        var before = (await host.PoolAdmin.GetWorkerAsync(new AdminProto.GetWorkerRequest { Address = first.Address.ToLowerHex() })).Attestation;
        Assert.Equal("UpToDate", before.TcbStatus);

        host.WriteCollateral(host.First, new TestCollateralOptions { PlatformStatus = TcbStatus.OutOfDate });
        try
        {
            await ThenTheStrictTaskMovesAsync(first, second, before, movedTask, lenientTask);
        }
        finally
        {
            host.WriteCollateral(host.First); // the next test starts from up-to-date collateral
            await host.Refresher.RefreshOnceAsync(CancellationToken.None);
        }
    }

    private async Task ThenTheStrictTaskMovesAsync(DcapWorkerStream first, DcapWorkerStream second, AdminProto.WorkerAttestation before, string movedTask, string lenientTask)
    {
        var report = await host.Refresher.RefreshOnceAsync(CancellationToken.None);
        Assert.Equal($"sgx-{host.First.Platform.FmspcHex}-platform", Assert.Single(report.Changed).Key);

        var cancel = (await first.SeenAsync("the strict task cancelled", m => m.Cancel?.TaskId == movedTask)).Cancel;
        Assert.Contains("TcbStatusNotAccepted", cancel.Reason, StringComparison.Ordinal);
        await second.HeartbeatAsync(1);
        await second.SeenAsync("the strict task re-assigned to the other platform", m => m.Assignment?.TaskId == movedTask);
        var task = await host.Grains.Task(Hash32.Parse(movedTask)).GetViewAsync();
        Assert.Contains($"worker {first.Address.ToLowerHex()} gave it back: the worker's attestation no longer satisfies the app's policy (TcbStatusNotAccepted)", task.LastFailure, StringComparison.Ordinal);
        Assert.DoesNotContain(first.Seen, m => m.Cancel?.TaskId == lenientTask);
        Assert.DoesNotContain(second.Seen, m => m.Cancel is not null);

        var info = await host.PoolAdmin.GetWorkerAsync(new AdminProto.GetWorkerRequest { Address = first.Address.ToLowerHex() });
        Assert.Equal("attested", info.TeeStatus);
        Assert.Contains("verified, TCB UpToDate -> verified, TCB OutOfDate; gave back 1 TEE task(s)", info.TeeReason, StringComparison.Ordinal);
        Assert.Equal("OutOfDate", info.Attestation.TcbStatus);
        Assert.Equal(before.VerifiedAt, info.Attestation.VerifiedAt); // judged again, not renewed
        Assert.NotNull(info.Attestation.ReviewedAt);
        Assert.NotEqual(before.Collateral.Fingerprint, info.Attestation.Collateral.Fingerprint);
        Assert.Equal([lenientTask], info.Assignments);
        Assert.Equal("UpToDate", (await host.PoolAdmin.GetWorkerAsync(new AdminProto.GetWorkerRequest { Address = second.Address.ToLowerHex() })).Attestation.TcbStatus);

        var audit = await host.SecretsAdmin.GetTaskAuditAsync(new SecretsProto.GetTaskAuditRequest { TaskId = movedTask });
        var entry = Assert.Single(audit.Entries, e => e.Worker == first.Address.ToLowerHex());
        Assert.Equal("AttestationRefused", entry.Refusal);
        Assert.StartsWith("re-attestation: the worker gave the replicate back", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crl_revoking_the_platforms_pck_takes_its_worker_off_every_app_at_once()
    {
        var owner = new OwnerClient(host.Channel);
        var lenient = Address.Parse((await owner.RegisterAppAsync("revoked", Image('d'), Policy(new SecretsProto.TcbStatusAllowance { Status = "OutOfDate", AllowedAdvisoryIds = { "INTEL-SA-00000-TEST" } }))).Address);
        await using var worker = await DcapWorkerStream.ConnectAsync(new WorkerSession.WorkerSessionClient(host.Channel), host.Grains, host.First, slots: 1);
        var held = await AssignedAsync(worker, await DealAsync(lenient));
        try
        {
            host.WriteCollateral(host.First, new TestCollateralOptions { RevokePck = true });
            await host.Refresher.RefreshOnceAsync(CancellationToken.None);

            var cancel = (await worker.SeenAsync("the task cancelled", m => m.Cancel?.TaskId == held)).Cancel;
            Assert.Contains("EvidenceNotVerified", cancel.Reason, StringComparison.Ordinal);
            Assert.Contains("CertificateRevoked", cancel.Reason, StringComparison.Ordinal);
            var info = await ViewAsync(worker);
            Assert.Equal("not eligible", info.TeeStatus);
            Assert.Contains("CertificateRevoked", info.TeeReason, StringComparison.Ordinal);
            Assert.Empty(info.Assignments);
        }
        finally
        {
            host.WriteCollateral(host.First);
            await host.Refresher.RefreshOnceAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Sessions_re_attest_every_interval_and_one_that_does_not_answer_loses_its_tee_eligibility()
    {
        var workers = new WorkerSession.WorkerSessionClient(host.Channel);
        await using var answering = await DcapWorkerStream.ConnectAsync(workers, host.Grains, host.Second, slots: 1);
        await using var silent = await DcapWorkerStream.ConnectAsync(workers, host.Grains, host.Second, slots: 1, answers: false);
        var due = (await ViewAsync(answering)).ReattestDueAt.ToDateTimeOffset();
        Assert.Equal(host.Time.GetUtcNow() + ReattestHost.Interval, due);

        host.Time.Advance(ReattestHost.Interval);
        await answering.HeartbeatAsync(0);
        await silent.HeartbeatAsync(0);
        await silent.SeenAsync("a re-attestation request", m => m.ReattestRequest is not null);
        var renewed = await Eventually.ForAsync("the answering worker's new verdict", () => ViewAsync(answering),
            w => w.Attestation.VerifiedAt.ToDateTimeOffset() == host.Time.GetUtcNow());
        Assert.Equal("attested", renewed.TeeStatus);
        Assert.Equal(1, answering.Answered);
        Assert.Equal("re-attesting", (await ViewAsync(silent)).TeeStatus);

        host.Time.Advance(ReattestHost.Timeout + TimeSpan.FromSeconds(1));
        await silent.HeartbeatAsync(0);
        var lost = await Eventually.ForAsync("the silent worker's lost eligibility", () => ViewAsync(silent), w => w.TeeStatus == "not eligible");
        Assert.Contains("no answer to the re-attestation", lost.TeeReason, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Attestation:ReattestTimeout", lost.TeeReason, StringComparison.Ordinal);
        Assert.False(lost.Attestation.Verified);
        Assert.Equal(AdminProto.WorkerState.Active, lost.State); // it keeps its session and its non-TEE standing

        // The operator asks for a quote now: the answering worker renews at once; a worker without TEE has nothing to re-attest.
        host.Time.Advance(TimeSpan.FromMinutes(1));
        var asked = await host.PoolAdmin.ReattestWorkerAsync(new AdminProto.ReattestWorkerRequest { Address = answering.Address.ToLowerHex() });
        Assert.Equal(answering.Address.ToLowerHex(), asked.Address);
        await Eventually.ForAsync("the renewal the operator asked for", () => ViewAsync(answering), w => w.Attestation.VerifiedAt.ToDateTimeOffset() == host.Time.GetUtcNow());
        Assert.Equal(2, answering.Answered);
    }

    [Fact]
    public async Task A_reattestation_that_answers_another_challenge_or_malformed_evidence_is_refused_and_changes_nothing()
    {
        var workers = new WorkerSession.WorkerSessionClient(host.Channel);
        await using var worker = await DcapWorkerStream.ConnectAsync(workers, host.Grains, host.Second, slots: 1, answers: false);
        var before = await ViewAsync(worker);

        var unasked = await host.Grains.Worker(worker.Address).ReattestAsync("not-the-session", new Abstractions.Messages.WorkerEvidence(
            Abstractions.Messages.EvidenceFormat.DcapQuote, host.Second.SgxQuote(new byte[64]), new byte[64], new byte[32]));
        Assert.False(unasked.Accepted);
        await worker.SendAsync(new WorkerMessage { Reattestation = new Reattestation { Nonce = Google.Protobuf.ByteString.CopyFrom(new byte[31]) } });
        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => worker.Ended.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("reattestation.nonce: must be the 32 bytes of the ReattestRequest answered, got 31", error.Status.Detail, StringComparison.Ordinal);
        var after = await host.Grains.Worker(worker.Address).GetAttestationAsync();
        Assert.True(after!.Verified);
        Assert.Equal(before.Attestation.VerifiedAt.ToDateTimeOffset(), after.VerifiedAt);

        var standard = new ManualWorker(host.Grains);
        await standard.RegisterAsync();
        var gone = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => host.PoolAdmin.ReattestWorkerAsync(new AdminProto.ReattestWorkerRequest { Address = standard.Address.ToLowerHex() }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.FailedPrecondition, gone.StatusCode);
        Assert.Contains("has no live TEE session", gone.Status.Detail, StringComparison.Ordinal);
    }

    private static string Image(char c) => "127.0.0.1:5000/reattest@sha256:" + new string(c, 64);

    private static SecretsProto.AppPolicy Policy(params SecretsProto.TcbStatusAllowance[] more) => new()
    {
        Tee = SecretsProto.TeeKind.Sgx,
        MrEnclaves = { MrEnclave },
        AcceptedTcbStatuses = { new[] { new SecretsProto.TcbStatusAllowance { Status = "UpToDate" } }.Concat(more) },
        MaxEvidenceAge = Duration.FromTimeSpan(TimeSpan.FromDays(2)),
    };

    private async Task<Hash32> DealAsync(Address app)
    {
        var deal = DemoRunner.NewDeal(new DemoSettings(1, 1, 1, 0, 0, true, TimeSpan.FromMinutes(1), CategoryId: 4), host.Time.GetUtcNow()) with { App = app };
        Assert.True((await host.Grains.Deal(deal.DealId).CreateAsync(deal)).Accepted);
        return deal.DealId;
    }

    private static async Task<string> AssignedAsync(DcapWorkerStream worker, Hash32 dealId) =>
        (await worker.SeenAsync($"an assignment of deal {dealId}", m => m.Assignment?.DealId == dealId.ToString())).Assignment.TaskId;

    private Task<AdminProto.WorkerInfo> ViewAsync(DcapWorkerStream worker) =>
        host.PoolAdmin.GetWorkerAsync(new AdminProto.GetWorkerRequest { Address = worker.Address.ToLowerHex() }).ResponseAsync;
}
