using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Enclave.Quoting;
using Orchestrator.Enclave.Runner;
using Orchestrator.Grains.Tests.Registry;
using Orchestrator.Simulation;
using Orchestrator.Testing.Tee;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>
/// The stale rows of the attestation refusals, on the silo's injected clock, which a real `orchestrator serve`
/// process does not expose (its clock is the machine's): the trusted runner's real code (<see cref="EnclaveRunner"/>
/// quoting through the test TEE's /dev/attestation files) joins over real gRPC with a test-root DCAP quote, is given
/// the TEE task, and fetches its secrets after its evidence aged past the app's maximum age: refused with the
/// policy's reason, audited, nothing released. Then, a month later on the same clock, a fresh quote is refused at
/// the handshake because the collateral has left its validity window.
/// </summary>
public sealed class StaleQuoteGrpcTests(TeeClockApiHost host) : IClassFixture<TeeClockApiHost>
{
    [Fact]
    public async Task Evidence_older_than_the_policy_gets_no_secret_with_the_refusal_audited_and_collateral_past_its_window_ends_the_handshake()
    {
        var measurement = Convert.ToHexStringLower(new TestEnclave().MrEnclave.AsSpan());
        var policy = new SecretsProto.AppPolicy { Tee = SecretsProto.TeeKind.Sgx, MrEnclaves = { measurement }, MaxEvidenceAge = Duration.FromTimeSpan(TimeSpan.FromMinutes(2)) };
        var app = Address.Parse((await new OwnerClient(host.Channel).RegisterAppAsync("stale-app", "127.0.0.1:5000/stale@sha256:" + new string('5', 64), policy)).Address);
        var deal = DemoRunner.NewDeal(new DemoSettings(1, 1, 1, 0, 0, true, TimeSpan.FromMinutes(1)), host.Time.GetUtcNow()) with { App = app };
        Assert.True((await host.Grains.Deal(deal.DealId).CreateAsync(deal)).Accepted);

        await using var device = TestTeeDevice.Gramine(host.Tee, Path.Combine(host.Directory, "dev-attestation"));
        using var runner = new EnclaveRunner(GramineQuoteProvider.Open(new QuoteProviderOptions { Kind = QuoteProviderKind.Gramine, Root = device.Root }, TimeProvider.System),
            Path.Combine(host.Directory, "runner-private"), TimeProvider.System);
        var worker = new RunnerWorker(host, runner);
        using var session = await worker.JoinAsync();
        Assert.True(session.Welcome is not null, $"the fresh quote was refused: {session.Refusal}");
        var assignment = await session.AssignmentAsync(deal.DealId.ToString());

        // Three minutes on the silo's clock: the two-minute-old limit of the app's policy is passed, the deal is not over.
        host.Time.Advance(TimeSpan.FromMinutes(3));
        var refused = await Assert.ThrowsAsync<RpcException>(() => session.FetchAsync(Hash32.Parse(assignment.TaskId), host.Time.GetUtcNow()));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.StartsWith("AttestationRefused: EvidenceTooOld: evidence verified at ", refused.Status.Detail, StringComparison.Ordinal);
        var audit = await new SecretsProto.SecretsAdmin.SecretsAdminClient(host.Channel).GetTaskAuditAsync(
            new SecretsProto.GetTaskAuditRequest { TaskId = assignment.TaskId }, new Metadata { { "authorization", "Bearer " + SecretsApiHost.Token } });
        var entry = Assert.Single(audit.Entries);
        Assert.False(entry.Granted);
        Assert.Equal("AttestationRefused", entry.Refusal);
        Assert.Equal(worker.Address.ToLowerHex(), entry.Worker);
        Assert.Equal("mrenclave:" + measurement, entry.Measurement);
        Assert.Empty(entry.Released);
        Assert.Contains("EvidenceTooOld", entry.Message, StringComparison.Ordinal);

        // A month later the test collateral (issued for 30 days) is past its nextUpdate: a fresh quote cannot verify.
        host.Time.Advance(TimeSpan.FromDays(31));
        using var late = await new RunnerWorker(host, runner).JoinAsync();
        Assert.Null(late.Welcome);
        var refusal = late.Refusal!.Value;
        Assert.Equal(StatusCode.PermissionDenied, refusal.StatusCode);
        Assert.Matches("^attestation refused: CollateralExpired: .* expired at its nextUpdate ", refusal.Detail);
    }

    /// <summary>A TEE worker whose evidence and fetch proofs come from the runner, over the silo's worker API.</summary>
    private sealed class RunnerWorker(TeeClockApiHost host, EnclaveRunner runner)
    {
        private readonly byte[] _key = Secp256k1.NewPrivateKey();
        private long _nextId;

        public Address Address => Secp256k1.AddressOf(_key);

        /// <summary>Hello, the challenge, a proof with the runner's quote over it: welcomed or refused.</summary>
        public async Task<RunnerWorkerSession> JoinAsync()
        {
            await host.Grains.Pool().AuthorizeAsync([Address]);
            var call = new WorkerSession.WorkerSessionClient(host.Channel).Connect();
            var session = new RunnerWorkerSession(this, host.Channel, call);
            try
            {
                await call.RequestStream.WriteAsync(new WorkerMessage
                {
                    Hello = new Hello { WorkerAddress = Address.ToLowerHex(), Capabilities = new Capabilities { Tee = TeeKind.Sgx, Cores = 1, MemoryMb = 1024, Slots = 1 }, AgentVersion = "runner-tests" },
                });
                var nonce = (await session.NextAsync(m => m.Challenge is not null)).Challenge.Nonce.ToByteArray();
                var opened = await CallAsync(new RunnerRequest { Op = RunnerProtocol.OpenSession });
                session.Handle = opened.Session!;
                var quote = (await CallAsync(new RunnerRequest { Op = RunnerProtocol.Attest, Session = session.Handle, Challenge = nonce })).Quote!;
                await call.RequestStream.WriteAsync(new WorkerMessage
                {
                    Proof = new Proof
                    {
                        Signature = ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Session(new byte[20], 0, [], nonce), _key).ToBytes65()),
                        Evidence = new Evidence { Format = EvidenceFormat.DcapQuote, Quote = ByteString.CopyFrom(quote), EnclavePublicKey = ByteString.CopyFrom(opened.PublicKey!) },
                    },
                });
                session.Welcome = (await session.NextAsync(m => m.Welcome is not null)).Welcome;
            }
            catch (RpcException ex)
            {
                session.Refusal = ex.Status;
            }

            return session;
        }

        public async Task<RunnerResponse> CallAsync(RunnerRequest request)
        {
            var response = await runner.HandleAsync(request with { Id = Interlocked.Increment(ref _nextId) }, CancellationToken.None);
            return response.Error is null ? response : throw new InvalidOperationException($"the runner refused {request.Op}: {response.Error}");
        }
    }

    /// <summary>One session of a <see cref="RunnerWorker"/>.</summary>
    private sealed class RunnerWorkerSession(RunnerWorker worker, Grpc.Net.Client.GrpcChannel channel, AsyncDuplexStreamingCall<WorkerMessage, ServerMessage> call) : IDisposable
    {
        public string Handle { get; set; } = string.Empty;

        public Welcome? Welcome { get; set; }

        public Status? Refusal { get; set; }

        /// <summary>Asks for work and waits for the deal's assignment.</summary>
        public async Task<Assignment> AssignmentAsync(string dealId)
        {
            await call.RequestStream.WriteAsync(new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = 1 } });
            return (await NextAsync(m => m.Assignment?.DealId == dealId)).Assignment;
        }

        /// <summary>The secret fetch as the agent relays it: the proof signed inside the runner, at <paramref name="issuedAt"/>.</summary>
        public async Task<SecretsProto.FetchTaskSecretsReply> FetchAsync(Hash32 taskId, DateTimeOffset issuedAt)
        {
            var at = DateTimeOffset.FromUnixTimeSeconds(issuedAt.ToUnixTimeSeconds()); // the proof signs whole seconds
            var signed = await worker.CallAsync(new RunnerRequest
            {
                Op = RunnerProtocol.SignFetch, Session = Handle, Worker = worker.Address.ToString(), TaskId = taskId.ToString(),
                SessionId = Welcome!.SessionId, IssuedAt = at.ToUnixTimeSeconds(),
            });
            return await new SecretsProto.EnclaveSecrets.EnclaveSecretsClient(channel).FetchTaskSecretsAsync(new SecretsProto.FetchTaskSecretsRequest
            {
                WorkerAddress = worker.Address.ToLowerHex(), SessionId = Welcome.SessionId, TaskId = taskId.ToString(),
                IssuedAt = Timestamp.FromDateTimeOffset(at), Signature = ByteString.CopyFrom(signed.Signature!),
            });
        }

        public async Task<ServerMessage> NextAsync(Func<ServerMessage, bool> match)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await call.ResponseStream.MoveNext(timeout.Token))
            {
                if (match(call.ResponseStream.Current))
                {
                    return call.ResponseStream.Current;
                }
            }

            throw new InvalidOperationException("the server ended the session stream");
        }

        public void Dispose() => call.Dispose();
    }
}
