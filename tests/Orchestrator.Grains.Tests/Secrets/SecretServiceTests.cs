using System.Security.Cryptography;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Secrets;
using Orchestrator.Simulation;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>
/// The secret service in a running cluster with in-process simulated TEE workers: dispatch gated by
/// the app's policy, the enclave key and the dataset key released only to the attested enclave that
/// holds the replicate, every decision audited.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SecretServiceTests(ClusterFixture fixture)
{
    private static readonly string Foreign = Convert.ToHexStringLower(SHA256.HashData("some other enclave"u8));

    private async Task<(DealSpecMessage Deal, byte[] DatasetKey)> TeeDealAsync(int tasks = 1, Func<Address, AppAttestationPolicy>? policy = null)
    {
        var pool = await fixture.Grains.Pool().GetPolicyAsync();
        await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        var deal = Deals.New(fixture, tasks, trust: 1, new TeeTag(TeeTag.Tee | TeeTag.Scone))
            with { App = Deals.NewAddress(), Dataset = Deals.NewAddress(), RequesterSecrets = new Dictionary<int, string> { [1] = "result-key" } };
        var registered = await fixture.Grains.AppPolicy(deal.App).SetAsync((policy ?? DemoRunner.DemoAppPolicy)(deal.App));
        Assert.True(registered.Accepted, string.Join("; ", registered.Errors));
        var datasetKey = RandomNumberGenerator.GetBytes(32);
        await fixture.Grains.Secrets(new SecretOwner(SecretOwnerKind.Dataset, deal.Dataset)).PutAsync("key", datasetKey);
        await fixture.Grains.Secrets(new SecretOwner(SecretOwnerKind.App, deal.App)).PutAsync("api-token", "app-token"u8.ToArray());
        await fixture.Grains.Secrets(new SecretOwner(SecretOwnerKind.Requester, deal.Requester)).PutAsync("result-key", "requester"u8.ToArray());
        await fixture.Grains.Secrets(new SecretOwner(SecretOwnerKind.Requester, deal.Requester)).PutAsync("unselected", "never released"u8.ToArray());
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Accepted);
        return (deal, datasetKey);
    }

    /// <summary>Takes until a replicate of <paramref name="dealId"/> arrives (the cluster is shared: others' TEE tasks are given back).</summary>
    private static async Task<Assignment?> TakeOwnAsync(ManualWorker worker, Hash32 dealId)
    {
        for (var i = 0; i < 20; i++)
        {
            var taken = await worker.TakeAsync(1);
            if (taken.Count == 0)
            {
                return null;
            }

            foreach (var command in taken)
            {
                if (command.Assignment.DealId == dealId)
                {
                    return command.Assignment;
                }

                await worker.Grain.GiveBackAsync(command.TaskId);
            }
        }

        return null;
    }

    private ManualWorker Tee(string? mrEnclave = null) => new(fixture.Grains, TeeKind.Sgx, slots: 1, mrEnclave, fixture.Time.GetUtcNow);

    [Fact]
    public async Task An_attested_worker_gets_the_dataset_key_and_completes_the_tee_task_while_a_foreign_measurement_gets_neither_task_nor_key()
    {
        var (deal, datasetKey) = await TeeDealAsync();
        var impostor = Tee(Foreign);
        Assert.Equal(RegistrationOutcome.Accepted, (await impostor.RegisterAsync()).Outcome); // it may run standard work
        Assert.Empty(await impostor.TakeAsync(1)); // never assigned the app's TEE task

        var honest = Tee();
        Assert.Equal(RegistrationOutcome.Accepted, (await honest.RegisterAsync()).Outcome);
        var a = (await TakeOwnAsync(honest, deal.DealId))!;
        Assert.NotNull(a);

        // The impostor asks for the key of a task it does not hold: refused, and audited.
        var refused = await impostor.FetchAsync(a.TaskId);
        Assert.False(refused.Result.Granted);
        Assert.Equal(SecretRefusal.NotHoldingReplicate, refused.Result.Refusal);
        Assert.Null(refused.EnclaveKey);
        Assert.Empty(refused.Result.Secrets);

        var (enclaveKey, secrets, result) = await honest.FetchAsync(a.TaskId);
        Assert.True(result.Granted, result.Message);
        Assert.Equal(a.EnclaveChallenge, Secp256k1.AddressOf(enclaveKey!));
        Assert.Equal(datasetKey, secrets[$"dataset/{deal.Dataset.ToLowerHex()}/key"]);
        Assert.Equal("app-token"u8.ToArray(), secrets[$"app/{deal.App.ToLowerHex()}/api-token"]);
        // The requester's secrets: only the one the deal selected, under its index (IEXEC_REQUESTER_SECRET_1).
        Assert.Equal("requester"u8.ToArray(), secrets[$"requester/{deal.Requester.ToLowerHex()}/1"]);
        Assert.Single(secrets.Keys, k => k.StartsWith("requester/", StringComparison.Ordinal));
        Assert.All(result.Secrets, s => Assert.NotEqual(datasetKey, s.SealedValue)); // sealed to the enclave session, never in clear

        var digest = ManualWorker.Digest(a);
        var message = Domain.Ids.ProtocolIds.EnclaveMessage(Domain.Ids.ProtocolIds.ResultHash(a.TaskId, digest), Domain.Ids.ProtocolIds.ResultSeal(honest.Address, a.TaskId, digest)).ToArray();
        var done = await honest.Grain.ContributeAndFinalizeAsync(a.TaskId, digest, EthereumMessage.Sign(message, enclaveKey!).ToBytes65());
        Assert.True(done.Accepted, done.Message);
        Assert.Equal(TaskStatus.Completed, done.Status);

        var audit = (await fixture.Grains.TaskSecrets(a.TaskId).GetViewAsync()).Audit;
        Assert.Equal(2, audit.Count);
        var refusal = audit[0];
        Assert.False(refusal.Granted);
        Assert.Equal(impostor.Address, refusal.Worker);
        Assert.Contains(Foreign, refusal.Measurement, StringComparison.Ordinal);
        var release = audit[1];
        Assert.True(release.Granted);
        Assert.Equal(honest.Address, release.Worker);
        Assert.Equal(a.TaskId, release.TaskId);
        Assert.Contains(SimulatedEnclave.DefaultMrEnclave, release.Measurement, StringComparison.Ordinal);
        Assert.Contains($"dataset/{deal.Dataset.ToLowerHex()}/key", release.Released);
        Assert.Contains("enclave-key", release.Released);
        Assert.Equal(fixture.Time.GetUtcNow(), release.At);

        // After completion it no longer holds the replicate: a second fetch is refused.
        Assert.Equal(SecretRefusal.NotHoldingReplicate, (await honest.FetchAsync(a.TaskId)).Result.Refusal);
    }

    [Fact]
    public async Task A_tee_task_whose_app_has_no_policy_is_dispatched_to_nobody_until_one_is_registered()
    {
        var pool = await fixture.Grains.Pool().GetPolicyAsync();
        await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        var deal = Deals.New(fixture, 1, trust: 1, new TeeTag(TeeTag.Tee | TeeTag.Scone)) with { App = Deals.NewAddress() };
        Assert.True((await fixture.Grains.Deal(deal.DealId).CreateAsync(deal)).Accepted);
        var worker = Tee();
        await worker.RegisterAsync();
        Assert.Null(await TakeOwnAsync(worker, deal.DealId));

        Assert.True((await fixture.Grains.AppPolicy(deal.App).SetAsync(DemoRunner.DemoAppPolicy(deal.App))).Accepted);
        Assert.Contains(deal.App, await fixture.Grains.AppPolicyIndex().ListAsync());
        Assert.NotNull(await TakeOwnAsync(worker, deal.DealId));
    }

    [Fact]
    public async Task Stale_evidence_gets_no_tee_work_and_no_key_until_the_worker_reattests()
    {
        var (deal, _) = await TeeDealAsync(tasks: 2, app => DemoRunner.DemoAppPolicy(app) with { MaxEvidenceAge = TimeSpan.FromMinutes(10) });
        var worker = Tee();
        await worker.RegisterAsync();
        var first = (await TakeOwnAsync(worker, deal.DealId))!;

        fixture.Time.Advance(TimeSpan.FromMinutes(11));
        await worker.Grain.HeartbeatAsync(worker.Session);
        var stale = await worker.FetchAsync(first.TaskId);
        Assert.Equal(SecretRefusal.AttestationRefused, stale.Result.Refusal);
        Assert.Contains("EvidenceTooOld", stale.Result.Message, StringComparison.Ordinal);
        Assert.True((await worker.Grain.GiveBackAsync(first.TaskId)).Accepted);
        Assert.Null(await TakeOwnAsync(worker, deal.DealId)); // its second task waits for fresh evidence

        // A replayed challenge, or one the worker chose, is refused; the server's fresh one renews the verdict.
        var replay = await worker.Grain.ReattestAsync(worker.Session, worker.Enclave!.Evidence(worker.Challenge, worker.Now));
        Assert.False(replay.Accepted);
        Assert.Contains("answers no re-attestation this server asked for", replay.Message, StringComparison.Ordinal);
        var chosen = await worker.Grain.ReattestAsync(worker.Session, worker.Enclave.Evidence(RandomNumberGenerator.GetBytes(32), worker.Now));
        Assert.False(chosen.Accepted);
        Assert.True(await worker.Grain.RequestReattestationAsync());
        await worker.TakeAsync(0);
        var renewed = await worker.Grain.ReattestAsync(worker.Session, worker.Enclave.Evidence(worker.Reattest!.Challenge, worker.Now));
        Assert.True(renewed.Accepted, renewed.Message);
        Assert.Equal(worker.Now, (await worker.Grain.GetAttestationAsync())!.VerifiedAt);
        var again = (await TakeOwnAsync(worker, deal.DealId))!;
        Assert.NotEqual(first.TaskId, again.TaskId);
        Assert.True((await worker.FetchAsync(again.TaskId)).Result.Granted);
    }

    [Fact]
    public async Task After_the_final_deadline_the_task_secrets_expire()
    {
        var (deal, _) = await TeeDealAsync();
        var worker = Tee();
        await worker.RegisterAsync();
        var a = (await TakeOwnAsync(worker, deal.DealId))!;
        Assert.True((await worker.FetchAsync(a.TaskId)).Result.Granted);
        fixture.Time.SetUtcNow(a.FinalDeadline); // the shared clock only moves forward; later tests start from here
        var expired = await worker.FetchAsync(a.TaskId);
        Assert.Equal(SecretRefusal.TaskExpired, expired.Result.Refusal);
        Assert.Null(expired.EnclaveKey);
        var view = await fixture.Grains.TaskSecrets(a.TaskId).GetViewAsync();
        Assert.Equal(a.EnclaveChallenge, view.EnclaveChallenge); // the address stays, for the record
        Assert.Equal(SecretRefusal.TaskExpired, view.Audit[^1].Refusal);
    }

    [Fact]
    public async Task Simulated_evidence_is_refused_at_registration_where_the_pool_does_not_allow_simulation()
    {
        var pool = await fixture.Grains.Pool().GetPolicyAsync();
        await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = false });
        try
        {
            var worker = Tee();
            var registration = await worker.RegisterAsync();
            Assert.NotEqual(RegistrationOutcome.Accepted, registration.Outcome);
            Assert.Contains("simulated", registration.Message, StringComparison.OrdinalIgnoreCase);
            Assert.False((await worker.Grain.PollAsync(worker.Session, 1)).Registered);
        }
        finally
        {
            await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        }
    }

    [Fact]
    public async Task A_pool_that_stops_allowing_simulation_stops_admitting_simulated_workers_already_registered()
    {
        var (deal, _) = await TeeDealAsync(tasks: 2);
        var worker = Tee();
        await worker.RegisterAsync();
        var a = (await TakeOwnAsync(worker, deal.DealId))!;
        var pool = await fixture.Grains.Pool().GetPolicyAsync();
        await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = false });
        try
        {
            var refused = await worker.FetchAsync(a.TaskId);
            Assert.Equal(SecretRefusal.AttestationRefused, refused.Result.Refusal);
            Assert.Contains("pool does not allow", refused.Result.Message, StringComparison.Ordinal);
            Assert.Null(await TakeOwnAsync(worker, deal.DealId));
        }
        finally
        {
            await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        }

        Assert.True((await worker.FetchAsync(a.TaskId)).Result.Granted);
    }

    [Fact]
    public async Task Evidence_that_does_not_bind_the_session_is_refused_at_registration_with_the_reason()
    {
        var pool = await fixture.Grains.Pool().GetPolicyAsync();
        await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        var worker = Tee();
        await fixture.Grains.Pool().AuthorizeAsync([worker.Address]);
        var evidence = worker.Enclave!.NewSession(RandomNumberGenerator.GetBytes(32), worker.Now) with { Challenge = RandomNumberGenerator.GetBytes(32) };
        var registration = await worker.Grain.RegisterAsync(new WorkerHello(worker.Address, new CapabilitiesMessage(TeeKind.Sgx, 4, 8192, false, 1, []), worker.Session, true, evidence));
        Assert.Equal(RegistrationOutcome.AttestationFailed, registration.Outcome);
        Assert.Contains("REPORTDATA", registration.Message, StringComparison.Ordinal);

        var missing = await worker.Grain.RegisterAsync(new WorkerHello(worker.Address, new CapabilitiesMessage(TeeKind.Sgx, 4, 8192, false, 1, []), worker.Session, true));
        Assert.Equal(RegistrationOutcome.AttestationFailed, missing.Outcome);

        var dcap = await worker.Grain.RegisterAsync(new WorkerHello(worker.Address, new CapabilitiesMessage(TeeKind.Sgx, 4, 8192, false, 1, []), worker.Session, false,
            new WorkerEvidence(EvidenceFormat.DcapQuote, [4, 0, 2, 0], worker.Enclave.SessionPublicKey, RandomNumberGenerator.GetBytes(32))));
        Assert.Equal(RegistrationOutcome.AttestationFailed, dcap.Outcome);
    }

    [Fact]
    public async Task Refusals_beyond_the_cap_are_counted_not_stored_and_fetches_for_unknown_tasks_store_nothing()
    {
        var (deal, _) = await TeeDealAsync();
        var holder = Tee();
        await holder.RegisterAsync();
        var a = (await TakeOwnAsync(holder, deal.DealId))!;
        var stranger = Tee(Foreign);
        await stranger.RegisterAsync();
        for (var i = 0; i < 70; i++)
        {
            Assert.False((await stranger.FetchAsync(a.TaskId)).Result.Granted);
        }

        var view = await fixture.Grains.TaskSecrets(a.TaskId).GetViewAsync();
        Assert.Equal(64, view.Audit.Count);
        Assert.Equal(6, view.UnrecordedRefusals);
        Assert.True((await holder.FetchAsync(a.TaskId)).Result.Granted); // a release is always recorded
        Assert.True((await fixture.Grains.TaskSecrets(a.TaskId).GetViewAsync()).Audit[^1].Granted);

        var unknown = new Hash32(RandomNumberGenerator.GetBytes(32));
        Assert.Equal(SecretRefusal.UnknownTask, (await stranger.FetchAsync(unknown)).Result.Refusal);
        var nothing = await fixture.Grains.TaskSecrets(unknown).GetViewAsync();
        Assert.Null(nothing.Terms);
        Assert.Empty(nothing.Audit);
    }

    [Fact]
    public async Task Secrets_are_stored_sealed_listed_without_values_rotated_and_deleted()
    {
        var owner = new SecretOwner(SecretOwnerKind.Requester, Deals.NewAddress());
        var store = fixture.Grains.Secrets(owner);
        var stored = await store.PutAsync("result-key", "v1"u8.ToArray());
        Assert.Equal(1, stored.Version);
        Assert.Equal("test-new", stored.MasterKeyId);
        Assert.Equal(2, (await store.PutAsync("result-key", "v22"u8.ToArray())).Version);
        var listed = Assert.Single(await store.ListAsync());
        Assert.Equal(3, listed.Length);
        var sealedValue = (await store.GetSealedAsync())["result-key"];
        Assert.DoesNotContain("v22", System.Text.Encoding.UTF8.GetString(sealedValue.Ciphertext), StringComparison.Ordinal);
        Assert.Equal(0, await store.RewrapAsync()); // already under the active key

        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync("bad name!", "x"u8.ToArray()));
        await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync("empty", []));
        Assert.True(await store.DeleteAsync("result-key"));
        Assert.False(await store.DeleteAsync("result-key"));
        Assert.Empty(await store.ListAsync());
    }

    [Fact]
    public async Task An_invalid_app_policy_is_refused_with_its_problems_and_a_valid_one_is_versioned()
    {
        var app = Deals.NewAddress();
        var bad = await fixture.Grains.AppPolicy(app).SetAsync(new AppAttestationPolicy { App = app, Tee = TeeKind.Sgx, MrEnclaves = ["00"] });
        Assert.False(bad.Accepted);
        Assert.Contains(bad.Errors, e => e.Contains("64 hex digits", StringComparison.Ordinal));
        var wrongGrain = await fixture.Grains.AppPolicy(app).SetAsync(DemoRunner.DemoAppPolicy(Deals.NewAddress()));
        Assert.False(wrongGrain.Accepted);
        Assert.Equal(1, (await fixture.Grains.AppPolicy(app).SetAsync(DemoRunner.DemoAppPolicy(app))).Policy!.Version);
        Assert.Equal(2, (await fixture.Grains.AppPolicy(app).SetAsync(DemoRunner.DemoAppPolicy(app))).Policy!.Version);
        Assert.True(await fixture.Grains.AppPolicy(app).RemoveAsync());
        Assert.Null(await fixture.Grains.AppPolicy(app).GetAsync());
        Assert.DoesNotContain(app, await fixture.Grains.AppPolicyIndex().ListAsync());
    }
}
