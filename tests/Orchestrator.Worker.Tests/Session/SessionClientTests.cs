using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Secrets.V1;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Worker.Session;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>The agent's session client over real gRPC (Kestrel on loopback) against a scripted server.</summary>
public sealed class SessionClientTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly AgentHarness _agent = new();

    [Fact]
    public async Task A_dropped_session_is_resumed_and_the_running_replicate_is_not_run_twice()
    {
        var task = AgentHarness.Assignment(5);
        var contributions = new List<Contribution>();
        var revealed = new TaskCompletionSource<Reveal>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hellos = new List<Hello>();
        await using var pool = await FakePool.StartAsync(async (connection, s) =>
        {
            if (connection == 0)
            {
                await s.HandshakeAsync();
                hellos.Add(s.Hello);
                await s.SendAsync(new ServerMessage { Assignment = task });
                contributions.Add((await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution)).Contribution);
                throw new RpcException(new Status(StatusCode.Unavailable, "the silo went away")); // no answer: the session drops
            }

            var again = task.Clone();
            again.Resumed = true;
            await s.HandshakeAsync(again);
            hellos.Add(s.Hello);
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution);
            contributions.Add(contribution.Contribution);
            await s.AnswerAsync(contribution, revealNow: true);
            var reveal = await s.NextAsync(WorkerMessage.BodyOneofCase.Reveal);
            await s.AnswerAsync(reveal);
            revealed.SetResult(reveal.Reveal);
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        var reveal = await revealed.Task.WaitAsync(Deadline);
        await Eventually.UntilAsync("the result upload", () => pool.Uploads.ContainsKey(task.TaskId), Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.Equal(1, _agent.RunCount);
        Assert.Equal(2, pool.Connections);
        Assert.Contains(task.TaskId, hellos[1].RunningTaskIds);
        var taskId = Hash32.Parse(task.TaskId);
        var digest = _agent.ExpectedDigest(5);
        Assert.Equal(digest.ToString(), reveal.ResultDigest);
        Assert.All(contributions, c =>
        {
            Assert.Equal(ProtocolIds.ResultHash(taskId, digest).ToString(), c.ResultHash);
            Assert.Equal(ProtocolIds.ResultSeal(_agent.Identity.Address, taskId, digest).ToString(), c.ResultSeal);
            Assert.True(Signature.TryFromBytes65(c.WorkerSignature.Span, out var signature, out _));
            Assert.True(EthereumMessage.TryRecover(ProtocolIds.ContributionMessage(taskId, ProtocolIds.ResultHash(taskId, digest), ProtocolIds.ResultSeal(_agent.Identity.Address, taskId, digest)).ToArray(), signature!, out var signer));
            Assert.Equal(_agent.Identity.Address, signer);
        });

        // The archive uploaded is the canonical one (its SHA-256 is the digest), signed by the worker.
        var (header, bytes) = pool.Uploads[task.TaskId];
        Assert.Equal(digest.ToArray(), SHA256.HashData(bytes));
        Assert.True(Signature.TryFromBytes65(header.Signature.Span, out var uploadSignature, out _));
        Assert.True(EthereumMessage.TryRecover(SignedMessages.Upload(taskId.ToArray(), SHA256.HashData(bytes)), uploadSignature!, out var uploader));
        Assert.Equal(_agent.Identity.Address, uploader);
    }

    [Fact]
    public async Task A_restarted_agent_contributes_its_journaled_digest_without_running_the_app_again()
    {
        var task = AgentHarness.Assignment(9, resumed: true);
        var taskId = Hash32.Parse(task.TaskId);
        var digest = Hash32.Parse("0x" + new string('7', 64)); // what the earlier process computed
        new TaskJournal(_agent.Scratch).Record(new JournalEntry(task.TaskId, JournalStage.Computed, digest.ToString(), null));
        var revealed = new TaskCompletionSource<(Contribution, Reveal)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync(task);
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution);
            await s.AnswerAsync(contribution);
            await s.SendAsync(new ServerMessage { RevealRequest = new RevealRequest { TaskId = task.TaskId } });
            var reveal = await s.NextAsync(WorkerMessage.BodyOneofCase.Reveal);
            await s.AnswerAsync(reveal);
            revealed.SetResult((contribution.Contribution, reveal.Reveal));
            await s.HoldAsync();
        });

        long journalHits = 0;
        using var meter = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Orchestrator.Telemetry.WorkerAgentTelemetry.Name && instrument.Name == "orchestrator.worker.journal_hits") listener.EnableMeasurementEvents(instrument);
            },
        };
        meter.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref journalHits, value));
        meter.Start();

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        var (contributed, reveal) = await revealed.Task.WaitAsync(Deadline);
        Assert.True(Interlocked.Read(ref journalHits) >= 1, "the journal hit is counted");
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.Equal(0, _agent.RunCount);
        Assert.Equal(ProtocolIds.ResultHash(taskId, digest).ToString(), contributed.ResultHash);
        Assert.Equal(digest.ToString(), reveal.ResultDigest);
        Assert.Null(new TaskJournal(_agent.Scratch).Find(taskId)); // done: forgotten
    }

    [Fact]
    public async Task Stop_drains_finishing_quick_work_and_giving_back_what_outlives_the_grace_period()
    {
        var quick = AgentHarness.Assignment(1);
        var slow = AgentHarness.Assignment(2, "slow");
        var quickAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var drained = new TaskCompletionSource<(int? FreeSlots, GiveBack GiveBack)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = quick });
            await s.SendAsync(new ServerMessage { Assignment = slow });
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution);
            Assert.Equal(quick.TaskId, contribution.Contribution.TaskId);
            await s.AnswerAsync(contribution);
            quickAnswered.SetResult();
            var giveBack = await s.NextAsync(WorkerMessage.BodyOneofCase.GiveBack);
            await s.AnswerAsync(giveBack);
            drained.SetResult((s.LastFreeSlots, giveBack.GiveBack));
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url, o => o.DrainGracePeriod = TimeSpan.FromMilliseconds(500)));
        await quickAnswered.Task.WaitAsync(Deadline);
        await Eventually.UntilAsync("the slow app to run", () => _agent.RunCount == 2, Deadline);
        await _agent.StopAsync();

        var (freeSlots, giveBack) = await drained.Task.WaitAsync(Deadline);
        Assert.Equal(0, await run.WaitAsync(Deadline));
        Assert.Equal(slow.TaskId, giveBack.TaskId);
        Assert.Contains("shutting down", giveBack.Reason, StringComparison.Ordinal);
        Assert.Equal(0, freeSlots); // draining: no new work wanted
    }

    [Fact]
    public async Task Work_arriving_while_draining_is_given_back_unrun()
    {
        var late = AgentHarness.Assignment(3);
        var givenBack = new TaskCompletionSource<GiveBack>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Drain = new Drain { Reason = "maintenance" } });
            await s.SendAsync(new ServerMessage { Assignment = late });
            var giveBack = await s.NextAsync(WorkerMessage.BodyOneofCase.GiveBack);
            await s.AnswerAsync(giveBack);
            givenBack.SetResult(giveBack.GiveBack);
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        Assert.Equal(late.TaskId, (await givenBack.Task.WaitAsync(Deadline)).TaskId);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));
        Assert.Equal(0, _agent.RunCount);
    }

    [Fact]
    public async Task An_app_off_the_allow_list_is_given_back_unrun()
    {
        var foreign = AgentHarness.Assignment(4);
        foreign.AppAddress = "0x00000000000000000000000000000000000000ff";
        var givenBack = new TaskCompletionSource<GiveBack>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = foreign });
            var giveBack = await s.NextAsync(WorkerMessage.BodyOneofCase.GiveBack);
            await s.AnswerAsync(giveBack);
            givenBack.SetResult(giveBack.GiveBack);
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        Assert.Contains("allow-list", (await givenBack.Task.WaitAsync(Deadline)).Reason, StringComparison.Ordinal);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));
        Assert.Equal(0, _agent.RunCount);
    }

    [Theory]
    [InlineData(StatusCode.PermissionDenied)]
    [InlineData(StatusCode.FailedPrecondition)]
    [InlineData(StatusCode.InvalidArgument)]
    public async Task A_refusal_ends_the_agent_with_exit_code_3_instead_of_reconnecting(StatusCode status)
    {
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.NextAsync(WorkerMessage.BodyOneofCase.Hello);
            throw new RpcException(new Status(status, "worker not authorized by the pool"));
        });

        var code = await _agent.RunAsync(_agent.Options(pool.Url)).WaitAsync(Deadline);
        Assert.Equal(WorkerExitCodes.Refused, code);
        Assert.Equal(1, pool.Connections);
    }

    [Fact]
    public async Task Unavailable_aborted_and_timed_out_sessions_are_retried_with_backoff_until_one_is_welcomed()
    {
        var welcomed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StatusCode[] transient = [StatusCode.Unavailable, StatusCode.Aborted, StatusCode.DeadlineExceeded];
        await using var pool = await FakePool.StartAsync(async (connection, s) =>
        {
            if (connection < 3) throw new RpcException(new Status(transient[connection], "try again"));
            await s.HandshakeAsync();
            welcomed.SetResult();
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        await welcomed.Task.WaitAsync(Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));
        Assert.Equal(4, pool.Connections);
    }

    [Fact]
    public async Task A_simulated_tee_worker_fetches_the_task_key_and_secrets_from_the_secret_service_and_signs_fast_path_results_with_it()
    {
        var challengeKey = Secp256k1.NewPrivateKey();
        var task = TeeAssignment(6, challengeKey);
        var taskId = Hash32.Parse(task.TaskId);
        const string datasetKey = "c2VjcmV0LWRhdGFzZXQta2V5LWZvci10ZXN0cw==";
        FakeSession? session = null;
        var secrets = new FakeSecrets();
        secrets.Handler = request =>
        {
            // What the real secret service checks: the welcomed session, and a proof by the attested session key.
            var s = session!;
            Assert.Equal(s.SessionId, request.SessionId);
            Assert.Equal(task.TaskId, request.TaskId);
            Assert.True(SecretFetchProof.Verify(s.Proof.Evidence.EnclavePublicKey.Span, request.Signature.Span,
                Address.Parse(request.WorkerAddress), taskId, request.SessionId, request.IssuedAt.ToDateTimeOffset()), "the fetch proof does not verify against the session key");
            return Task.FromResult(Released(s.Proof.Evidence.EnclavePublicKey.Span, taskId, challengeKey, datasetKey));
        };
        var done = new TaskCompletionSource<(Proof Proof, byte[] Nonce, TeeContribution Contribution)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            session = s;
            await s.SendAsync(new ServerMessage { Assignment = task });
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.TeeContribution);
            await s.AnswerAsync(contribution);
            done.SetResult((s.Proof, s.Nonce, contribution.TeeContribution));
            await s.HoldAsync();
        }, secrets: secrets);

        var run = _agent.RunAsync(TeeOptions(pool.Url));
        var (proof, nonce, tee) = await done.Task.WaitAsync(Deadline);
        await Eventually.UntilAsync("the result upload", () => pool.Uploads.ContainsKey(task.TaskId), Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.Equal(EvidenceFormat.Simulated, proof.Evidence.Format);
        var verified = new SimulatedEvidenceVerifier().Verify(proof.Evidence.Quote.Span, DateTimeOffset.UtcNow);
        Assert.True(verified.IsVerified, verified.FailureMessage);
        Assert.True(ReportDataBinding.Matches(verified.ReportData.AsSpan(), proof.Evidence.EnclavePublicKey.Span, nonce));
        Assert.Single(secrets.Requests);

        var digest = _agent.ExpectedDigest(6);
        Assert.Equal(digest.ToString(), tee.ResultDigest);
        var message = ProtocolIds.EnclaveMessage(ProtocolIds.ResultHash(taskId, digest), ProtocolIds.ResultSeal(_agent.Identity.Address, taskId, digest));
        Assert.True(Signature.TryFromBytes65(tee.EnclaveSignature.Span, out var signature, out _));
        Assert.True(EthereumMessage.TryRecover(message.ToArray(), signature!, out var signer));
        Assert.Equal(Secp256k1.AddressOf(challengeKey), signer);
        Assert.Equal((datasetKey, datasetKey), _agent.DatasetKeySeen); // the app got the released dataset key
    }

    [Theory]
    [InlineData("refused", "PermissionDenied")]
    [InlineData("sealed-to-another-key", "do not open with this enclave session's key")]
    [InlineData("another-tasks-key", "is not task")]
    public async Task A_tee_task_whose_secrets_are_refused_or_unusable_is_given_back_without_running_and_the_agent_keeps_going(string fault, string reason)
    {
        var challengeKey = Secp256k1.NewPrivateKey();
        var task = TeeAssignment(7, challengeKey);
        var taskId = Hash32.Parse(task.TaskId);
        FakeSession? session = null;
        var secrets = new FakeSecrets
        {
            Handler = _ => Task.FromResult(fault switch
            {
                "refused" => throw new RpcException(new Status(StatusCode.PermissionDenied, "AttestationRefused: mrenclave is not in the app's policy")),
                "sealed-to-another-key" => Released(Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey()), taskId, challengeKey, "k"),
                _ => Released(session!.Proof.Evidence.EnclavePublicKey.Span, taskId, Secp256k1.NewPrivateKey(), "k"),
            }),
        };
        var givenBack = new TaskCompletionSource<GiveBack>(TaskCreationOptions.RunContinuationsAsynchronously);
        var heartbeatAfter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            session = s;
            await s.SendAsync(new ServerMessage { Assignment = task });
            var back = await s.NextAsync(WorkerMessage.BodyOneofCase.GiveBack);
            await s.AnswerAsync(back);
            givenBack.SetResult(back.GiveBack);
            await s.NextAsync(WorkerMessage.BodyOneofCase.Heartbeat); // still in session, asking for work
            heartbeatAfter.SetResult();
            await s.HoldAsync();
        }, secrets: secrets);

        var run = _agent.RunAsync(TeeOptions(pool.Url));
        var back = await givenBack.Task.WaitAsync(Deadline);
        await heartbeatAfter.Task.WaitAsync(Deadline);
        Assert.False(run.IsCompleted);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.Equal(task.TaskId, back.TaskId);
        Assert.Contains(reason, back.Reason, StringComparison.Ordinal);
        Assert.Equal(0, _agent.RunCount); // the app never ran without its secrets
        Assert.Equal((null, null), _agent.DatasetKeySeen);
    }

    [Fact]
    public async Task A_secret_fetch_refused_because_the_session_ended_meanwhile_is_made_again_on_the_next_session()
    {
        var challengeKey = Secp256k1.NewPrivateKey();
        var task = TeeAssignment(8, challengeKey);
        var taskId = Hash32.Parse(task.TaskId);
        var sessions = new FakeSession?[2];
        var firstFetch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondWelcomed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secrets = new FakeSecrets();
        secrets.Handler = async request =>
        {
            if (request.SessionId == sessions[0]!.SessionId)
            {
                // The session this fetch was signed for ends; by the time the agent is welcomed again, the server calls it stale.
                firstFetch.SetResult();
                await secondWelcomed.Task;
                throw new RpcException(new Status(StatusCode.Unauthenticated, "SessionNotCurrent: session is not the worker's current session"));
            }

            Assert.Equal(sessions[1]!.SessionId, request.SessionId);
            return Released(sessions[1]!.Proof.Evidence.EnclavePublicKey.Span, taskId, challengeKey, "k");
        };
        var done = new TaskCompletionSource<TeeContribution>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (connection, s) =>
        {
            if (connection == 0)
            {
                await s.HandshakeAsync();
                sessions[0] = s;
                await s.SendAsync(new ServerMessage { Assignment = task });
                await firstFetch.Task;
                return; // the stream ends: the session drops mid-fetch
            }

            var again = task.Clone();
            again.Resumed = true;
            await s.HandshakeAsync(again);
            sessions[1] = s;
            secondWelcomed.SetResult();
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.TeeContribution);
            await s.AnswerAsync(contribution);
            done.SetResult(contribution.TeeContribution);
            await s.HoldAsync();
        }, secrets: secrets);

        var run = _agent.RunAsync(TeeOptions(pool.Url));
        var tee = await done.Task.WaitAsync(Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.Equal([sessions[0]!.SessionId, sessions[1]!.SessionId], secrets.Requests.Select(r => r.SessionId));
        Assert.Equal(1, _agent.RunCount);
        var digest = _agent.ExpectedDigest(8);
        var message = ProtocolIds.EnclaveMessage(ProtocolIds.ResultHash(taskId, digest), ProtocolIds.ResultSeal(_agent.Identity.Address, taskId, digest));
        Assert.True(Signature.TryFromBytes65(tee.EnclaveSignature.Span, out var signature, out _));
        Assert.True(EthereumMessage.TryRecover(message.ToArray(), signature!, out var signer));
        Assert.Equal(Secp256k1.AddressOf(challengeKey), signer);
    }

    private static Assignment TeeAssignment(long index, byte[] challengeKey)
    {
        var task = AgentHarness.Assignment(index);
        task.Tee = Api.Worker.V1.TeeKind.Sgx;
        task.TeeFastPath = true;
        task.Trust = 1;
        task.DatasetAddress = "0x00000000000000000000000000000000000000d5";
        task.EnclaveChallenge = Secp256k1.AddressOf(challengeKey).ToString(); // the key itself only from the secret service
        return task;
    }

    private Worker.Configuration.WorkerOptions TeeOptions(string url) => _agent.Options(url, o =>
    {
        o.Capabilities.Tee = Domain.Deals.TeeKind.Sgx;
        o.SimulatedEnclave = true;
    });

    /// <summary>A reply as the secret service seals it: ECIES to the session key, the task id bytes as context.</summary>
    private static FetchTaskSecretsReply Released(ReadOnlySpan<byte> sessionPublicKey, Hash32 taskId, byte[] enclaveKey, string datasetKey)
    {
        var reply = new FetchTaskSecretsReply
        {
            TaskId = taskId.ToString(),
            EnclaveChallenge = Secp256k1.AddressOf(enclaveKey).ToLowerHex(),
            SealedEnclaveKey = ByteString.CopyFrom(Ecies.Encrypt(sessionPublicKey, enclaveKey, taskId.ToArray())),
        };
        reply.Secrets.Add(new SealedSecret
        {
            Owner = new Owner { Kind = OwnerKind.Dataset, Address = "0x00000000000000000000000000000000000000d5" },
            Name = "key",
            SealedValue = ByteString.CopyFrom(Ecies.Encrypt(sessionPublicKey, Encoding.UTF8.GetBytes(datasetKey), taskId.ToArray())),
        });
        return reply;
    }

    public void Dispose() => _agent.Dispose();
}
