using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Tasks;
using Orchestrator.Domain.Workers;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class FailureTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_replicate_given_back_with_the_apps_failure_keeps_the_reason_in_the_tasks_view()
    {
        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var worker = new ManualWorker(fixture.Grains);
        await worker.RegisterAsync();
        var assignment = (await worker.TakeAsync()).Single(c => c.Assignment.DealId == deal.DealId).Assignment;
        const string oom = "the app went over its memory limit of 64 MiB and was killed (out of memory, exit 137)";

        Assert.True((await worker.Grain.GiveBackAsync(assignment.TaskId, oom)).Accepted);

        var task = await fixture.Grains.Task(assignment.TaskId).GetViewAsync();
        Assert.Equal($"worker {worker.Address.ToLowerHex()} gave it back: {oom}", task.LastFailure);
        Assert.Equal(ReplicateStatus.Abandoned, Assert.Single(task.Replicates).Status);

        // The task went back to the queue: another worker runs it (the shared cluster keeps no queued leftover).
        var rescuer = new ManualWorker(fixture.Grains);
        await rescuer.RegisterAsync();
        var retaken = Assert.Single(await rescuer.TakeAsync()).Assignment;
        Assert.Equal(assignment.TaskId, retaken.TaskId);
        Assert.True((await rescuer.ContributeAsync(retaken.TaskId, ManualWorker.Digest(retaken))).Accepted);
    }

    [Fact]
    public async Task A_vanished_workers_replicate_is_redispatched_and_the_task_completes()
    {
        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var vanishing = new ManualWorker(fixture.Grains);
        await vanishing.RegisterAsync();
        var taken = await vanishing.TakeAsync();
        var assignment = Assert.Single(taken).Assignment;

        var rescuer = new ManualWorker(fixture.Grains);
        await rescuer.RegisterAsync();
        Assert.Empty(await rescuer.TakeAsync()); // the task is held; nothing to take yet

        // The vanishing worker sends nothing more; its heartbeat timeout passes on the protocol clock.
        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        await rescuer.Grain.HeartbeatAsync(rescuer.Session);
        Assert.True(await vanishing.Grain.CheckLivenessAsync());
        Assert.Equal(WorkerState.Lost, (await vanishing.Grain.GetViewAsync()).State);
        var task = await fixture.Grains.Task(assignment.TaskId).GetViewAsync();
        Assert.Equal(ReplicateStatus.WorkerLost, Assert.Single(task.Replicates).Status);

        var retaken = Assert.Single(await rescuer.TakeAsync()).Assignment;
        Assert.Equal(assignment.TaskId, retaken.TaskId);
        var result = await rescuer.ContributeAsync(retaken.TaskId, ManualWorker.Digest(retaken));
        Assert.True(result.Accepted, result.Message);
        Assert.True(result.RevealNow);
        var reveal = await rescuer.Grain.RevealAsync(retaken.TaskId, ManualWorker.Digest(retaken));
        Assert.True(reveal.Accepted, reveal.Message);
        Assert.Equal(TaskStatus.Completed, (await fixture.Grains.Task(retaken.TaskId).GetViewAsync()).Status);

        // The lost worker's late contribution changes nothing.
        var late = await vanishing.ContributeAsync(assignment.TaskId, ManualWorker.Digest(assignment));
        Assert.False(late.Accepted);
        Assert.Equal(TaskRefusalCode.TaskFinal, late.Refusal);
        Assert.Contains(fixture.Ledger.OfType<WorkerLostV1>(), e => e.Worker == vanishing.Address);
    }

    [Fact]
    public async Task A_lost_workers_last_sighting_survives_its_grain_reactivating()
    {
        var worker = new ManualWorker(fixture.Grains);
        await worker.RegisterAsync();
        Assert.True(await worker.Grain.HeartbeatAsync(worker.Session));
        var seen = (await worker.Grain.GetViewAsync()).LastHeartbeat;
        Assert.NotNull(seen);
        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(await worker.Grain.CheckLivenessAsync());
        Assert.Equal(seen, (await worker.Grain.GetViewAsync()).LastHeartbeat);

        // An hour later the grain is reloaded and written again (the pool revokes the lost worker): it
        // must still say when the worker was last heard from, not when the grain woke up.
        fixture.Time.Advance(TimeSpan.FromHours(1));
        await fixture.Cluster.DeactivateAsync(worker.Grain);
        await fixture.Grains.Pool().RevokeAsync([worker.Address]);
        var revoked = await worker.Grain.GetViewAsync();
        Assert.Equal(WorkerState.Revoked, revoked.State);
        Assert.Equal(seen, revoked.LastHeartbeat);
        await fixture.Cluster.DeactivateAsync(worker.Grain);
        Assert.Equal(seen, (await worker.Grain.GetViewAsync()).LastHeartbeat);
    }

    [Fact]
    public async Task A_deal_whose_workers_are_too_slow_fails_at_the_final_deadline_and_refunds()
    {
        var deal = Deals.New(fixture, tasks: 3, trust: 3);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var slow = new ManualWorker(fixture.Grains, slots: 1);
        await slow.RegisterAsync();
        var taken = Assert.Single(await slow.TakeAsync(1)).Assignment;
        var contributed = await slow.ContributeAsync(taken.TaskId, ManualWorker.Digest(taken));
        Assert.True(contributed.Accepted, contributed.Message);
        Assert.False(contributed.RevealNow); // trust 3 needs a second agreeing worker, who never comes

        fixture.Time.Advance(10 * ClusterFixture.TestCategory.Timeref + TimeSpan.FromSeconds(1));
        await fixture.Grains.Deal(deal.DealId).CheckDeadlinesAsync(); // what the deal's reminder does

        var view = await Deals.WaitFinishedAsync(fixture.Grains, deal.DealId, TimeSpan.FromSeconds(20));
        Assert.Equal(3, view.Failed);
        Assert.Equal(0, view.Completed);
        await DealLifecycleTests.WaitForAsync(() => fixture.Ledger.OfType<TaskFailedV1>().Count(e => e.DealId == deal.DealId) == 3);
        var refunds = fixture.Ledger.OfType<TaskFailedV1>().Where(e => e.DealId == deal.DealId).ToList();
        Assert.Equal(3, refunds.Count);
        Assert.All(refunds, r => Assert.Equal(deal.TaskPrice, r.Refund));
        Assert.DoesNotContain(fixture.Ledger.OfType<TaskCompletedV1>(), e => e.DealId == deal.DealId);
        Assert.Equal(0, (await slow.Grain.GetViewAsync()).Losses); // nobody is punished for a failed task
    }

    [Fact]
    public async Task Refused_inputs_are_refused_precisely_and_change_nothing()
    {
        var deal = Deals.New(fixture, tasks: 1, trust: 3);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var a = new ManualWorker(fixture.Grains, slots: 1);
        var b = new ManualWorker(fixture.Grains, slots: 1);
        var outsider = new ManualWorker(fixture.Grains, slots: 1);
        await a.RegisterAsync();
        await b.RegisterAsync();
        await outsider.RegisterAsync();
        var ta = Assert.Single(await a.TakeAsync(1)).Assignment;
        var tb = Assert.Single(await b.TakeAsync(1)).Assignment;
        Assert.Equal(ta.TaskId, tb.TaskId); // trust 3: two replicates of the one task, to two different workers
        var taskGrain = fixture.Grains.Task(ta.TaskId);
        var digest = ManualWorker.Digest(ta);

        // A worker that holds no replicate.
        var before = await taskGrain.GetViewAsync();
        var notHolder = await outsider.ContributeAsync(ta.TaskId, digest);
        Assert.Equal(TaskRefusalCode.NotAssigned, notHolder.Refusal);
        AssertUnchanged(before, await taskGrain.GetViewAsync());

        // A bad signature.
        var (hash, seal, _) = a.Contribution(ta.TaskId, digest);
        var forged = b.Contribution(ta.TaskId, digest).Signature;
        Assert.Equal(TaskRefusalCode.InvalidSignature, (await a.Grain.ContributeAsync(ta.TaskId, hash, seal, forged)).Refusal);
        AssertUnchanged(before, await taskGrain.GetViewAsync());

        // A first contribution is accepted; a second one is refused.
        Assert.True((await a.ContributeAsync(ta.TaskId, digest)).Accepted);
        var afterFirst = await taskGrain.GetViewAsync();
        Assert.Equal(TaskRefusalCode.AlreadyContributed, (await a.ContributeAsync(ta.TaskId, digest)).Refusal);
        AssertUnchanged(afterFirst, await taskGrain.GetViewAsync());

        // A reveal before consensus.
        Assert.Equal(TaskRefusalCode.NotRevealing, (await a.Grain.RevealAsync(ta.TaskId, digest)).Refusal);

        // Consensus with the second worker; a reveal whose digest does not match is refused.
        var second = await b.ContributeAsync(tb.TaskId, digest);
        Assert.True(second.RevealNow);
        var revealing = await taskGrain.GetViewAsync();
        Assert.Equal(TaskStatus.Revealing, revealing.Status);
        Assert.Equal(TaskRefusalCode.RevealMismatch, (await a.Grain.RevealAsync(ta.TaskId, new Hash32(new byte[32]))).Refusal);
        AssertUnchanged(revealing, await taskGrain.GetViewAsync());

        // Contributions after consensus are closed.
        Assert.Equal(TaskRefusalCode.NotAssigned, (await outsider.ContributeAsync(ta.TaskId, digest)).Refusal);

        // After the reveal deadline, a reveal is refused.
        fixture.Time.Advance(2 * ClusterFixture.TestCategory.Timeref + TimeSpan.FromSeconds(1));
        Assert.Equal(TaskRefusalCode.RevealDeadlinePassed, (await a.Grain.RevealAsync(ta.TaskId, digest)).Refusal);
        AssertUnchanged(revealing, await taskGrain.GetViewAsync());
    }

    [Fact]
    public async Task A_contribution_after_the_contribution_deadline_is_refused()
    {
        var deal = Deals.New(fixture, tasks: 1, trust: 1);
        await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        var worker = new ManualWorker(fixture.Grains, slots: 1);
        await worker.RegisterAsync();
        var taken = Assert.Single(await worker.TakeAsync(1)).Assignment;
        fixture.Time.Advance(7 * ClusterFixture.TestCategory.Timeref);
        await worker.Grain.HeartbeatAsync(worker.Session);
        var before = await fixture.Grains.Task(taken.TaskId).GetViewAsync();
        var late = await worker.ContributeAsync(taken.TaskId, ManualWorker.Digest(taken));
        Assert.Equal(TaskRefusalCode.ContributionDeadlinePassed, late.Refusal);
        AssertUnchanged(before, await fixture.Grains.Task(taken.TaskId).GetViewAsync());
    }

    [Fact]
    public async Task An_unauthorized_worker_is_refused()
    {
        var stranger = new ManualWorker(fixture.Grains);
        var registration = await stranger.RegisterAsync(authorize: false);
        Assert.Equal(RegistrationOutcome.NotAuthorized, registration.Outcome);
        var poll = await stranger.Grain.PollAsync(stranger.Session, 4);
        Assert.False(poll.Registered);
    }

    [Fact]
    public async Task A_tee_task_completes_in_one_enclave_signed_step_and_a_wrong_enclave_signature_is_refused()
    {
        var policy = await fixture.Grains.Pool().GetPolicyAsync();
        await fixture.Grains.Pool().SetPolicyAsync(policy with { AllowSimulatedTee = true });
        var deal = Deals.New(fixture, tasks: 1, trust: 1, new TeeTag(TeeTag.Tee | TeeTag.Scone)) with { App = Deals.NewAddress() };
        // A measurement of its own, so no other test's queued TEE task is admitted for this worker.
        var mrEnclave = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Assert.True((await fixture.Grains.AppPolicy(deal.App).SetAsync(Simulation.DemoRunner.DemoAppPolicy(deal.App) with { MrEnclaves = [mrEnclave] })).Accepted);
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Accepted);
        var worker = new ManualWorker(fixture.Grains, TeeKind.Sgx, slots: 1, mrEnclave, fixture.Time.GetUtcNow);
        Assert.Equal(RegistrationOutcome.Accepted, (await worker.RegisterAsync()).Outcome);
        var command = Assert.Single(await worker.TakeAsync(1));
        Assert.Null(command.EnclaveKey); // the key comes from the secret service, sealed to the attested enclave
        var a = command.Assignment;
        Assert.True(a.TeeFastPath);
        var (enclaveKey, _, fetched) = await worker.FetchAsync(a.TaskId);
        Assert.True(fetched.Granted, fetched.Message);
        Assert.Equal(Secp256k1.AddressOf(enclaveKey!), a.EnclaveChallenge);
        var digest = ManualWorker.Digest(a);
        var hash = Domain.Ids.ProtocolIds.ResultHash(a.TaskId, digest);
        var seal = Domain.Ids.ProtocolIds.ResultSeal(worker.Address, a.TaskId, digest);
        var message = Domain.Ids.ProtocolIds.EnclaveMessage(hash, seal).ToArray();

        var wrong = EthereumMessage.Sign(message, worker.Key).ToBytes65();
        Assert.Equal(TaskRefusalCode.InvalidSignature, (await worker.Grain.ContributeAndFinalizeAsync(a.TaskId, digest, wrong)).Refusal);

        var right = EthereumMessage.Sign(message, enclaveKey!).ToBytes65();
        var result = await worker.Grain.ContributeAndFinalizeAsync(a.TaskId, digest, right);
        Assert.True(result.Accepted, result.Message);
        Assert.Equal(TaskStatus.Completed, result.Status);
    }

    private static void AssertUnchanged(TaskView before, TaskView after)
    {
        Assert.Equal(before.Status, after.Status);
        Assert.Equal(before.ConsensusHash, after.ConsensusHash);
        Assert.Equal(before.Replicates.Count, after.Replicates.Count);
        for (var i = 0; i < before.Replicates.Count; i++)
        {
            Assert.Equal(before.Replicates[i].Status, after.Replicates[i].Status);
            Assert.Equal(before.Replicates[i].ResultHash, after.Replicates[i].ResultHash);
        }
    }
}
