using System.Security.Cryptography;
using System.Threading.Channels;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Simulation;
using SecretsProto = Orchestrator.Api.Secrets.V1;

using Orchestrator.Grains.Tests.Registry;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>
/// The whole path over real gRPC: a TEE worker joins orchestrator.worker.v1 with simulated evidence
/// bound to the server's challenge, is assigned the TEE task, fetches the dataset key from
/// orchestrator.secrets.v1 and completes the task; one whose measurement differs joins too but is
/// never assigned the task and is refused the key.
/// </summary>
public sealed class TeeSessionGrpcTests(SecretsApiHost host) : IClassFixture<SecretsApiHost>
{
    [Fact]
    public async Task Over_grpc_the_attested_worker_gets_the_dataset_key_and_completes_the_tee_task_and_a_foreign_measurement_gets_neither()
    {
        var admin = host.Admin();
        // The app's owner registers its measurements and the dataset's owner pushes its key, each with their own key.
        var appOwner = new OwnerClient(host.Channel);
        var datasetOwner = new OwnerClient(host.Channel);
        var app = Address.Parse((await appOwner.RegisterAppAsync("tee-session", "127.0.0.1:5000/tee@sha256:" + new string('f', 64))).Address);
        var dataset = Address.Parse((await datasetOwner.RegisterDatasetAsync("tee-session-data")).Address);
        var datasetKey = RandomNumberGenerator.GetBytes(32);
        await datasetOwner.PushAsync(SecretsProto.OwnerKind.Dataset, dataset, "key", datasetKey);
        var pool = await host.Grains.Pool().GetPolicyAsync();
        await host.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });

        var workers = new WorkerSession.WorkerSessionClient(host.Channel);
        await using var impostor = await TeeStream.ConnectAsync(workers, host.Grains, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        await using var honest = await TeeStream.ConnectAsync(workers, host.Grains, SimulatedEnclave.DefaultMrEnclave);

        var deal = DemoRunner.NewDeal(new DemoSettings(1, 1, 1, 0, 0, true, TimeSpan.FromMinutes(1))) with { App = app, Dataset = dataset };
        Assert.True((await host.Grains.Deal(deal.DealId).CreateAsync(deal)).Accepted);
        await impostor.HeartbeatAsync(1); // it asks for work first: the TEE task is not admitted for it
        await honest.HeartbeatAsync(1);
        var assignment = (await honest.NextAsync(m => m.Assignment?.DealId == deal.DealId.ToString())).Assignment;
        Assert.True(assignment.TeeFastPath);
        Assert.True(assignment.EnclaveChallengeKey.IsEmpty); // the key comes from the secret service only

        var enclave = new SecretsProto.EnclaveSecrets.EnclaveSecretsClient(host.Channel);
        var taskId = Hash32.Parse(assignment.TaskId);
        var refused = await Assert.ThrowsAsync<RpcException>(() => enclave.FetchTaskSecretsAsync(impostor.FetchRequest(taskId)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);

        var secrets = await enclave.FetchTaskSecretsAsync(honest.FetchRequest(taskId));
        var enclaveKey = honest.Enclave.Open(secrets.SealedEnclaveKey.ToByteArray(), taskId);
        Assert.Equal(assignment.EnclaveChallenge, Secp256k1.AddressOf(enclaveKey).ToLowerHex());
        Assert.Equal(datasetKey, honest.Enclave.Open(Assert.Single(secrets.Secrets).SealedValue.ToByteArray(), taskId));

        var digest = new Hash32(SHA256.HashData(datasetKey)); // the app's output, computed with the dataset key
        var signature = EthereumMessage.Sign(ProtocolIds.EnclaveMessage(ProtocolIds.ResultHash(taskId, digest), ProtocolIds.ResultSeal(honest.Address, taskId, digest)).ToArray(), enclaveKey).ToBytes65();
        await honest.SendAsync(new WorkerMessage { RequestId = 7, TeeContribution = new TeeContribution { TaskId = assignment.TaskId, ResultDigest = digest.ToString(), EnclaveSignature = ByteString.CopyFrom(signature) } });
        var done = (await honest.NextAsync(m => m.CallResult?.RequestId == 7)).CallResult;
        Assert.True(done.Accepted, done.Message);
        Assert.Equal(1, (await host.Grains.Deal(deal.DealId).GetViewAsync()).Completed);

        await impostor.HeartbeatAsync(1);
        Assert.DoesNotContain(impostor.Seen, m => m.Assignment?.DealId == deal.DealId.ToString());
        var audit = await admin.GetTaskAuditAsync(new SecretsProto.GetTaskAuditRequest { TaskId = assignment.TaskId });
        Assert.Equal([false, true], audit.Entries.Select(e => e.Granted));
        Assert.Equal(impostor.Address.ToLowerHex(), audit.Entries[0].Worker);
    }

    [Fact]
    public async Task A_deal_admits_workers_by_the_app_version_it_pinned_and_not_by_a_later_version_with_other_measurements()
    {
        var appOwner = new OwnerClient(host.Channel);
        var image = "127.0.0.1:5000/pinned@sha256:" + new string('e', 64);
        var app = Address.Parse((await appOwner.RegisterAppAsync("pinned-policy", image)).Address);
        var pool = await host.Grains.Pool().GetPolicyAsync();
        await host.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });

        var first = DemoRunner.NewDeal(new DemoSettings(1, 1, 1, 0, 0, true, TimeSpan.FromMinutes(1))) with { App = app };
        Assert.True((await host.Grains.Deal(first.DealId).CreateAsync(first)).Accepted);
        var v2Measurement = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await appOwner.RegisterAppAsync("pinned-policy", image, OwnerClient.SimulatedPolicy(v2Measurement));
        var second = DemoRunner.NewDeal(new DemoSettings(1, 1, 1, 0, 0, true, TimeSpan.FromMinutes(1))) with { App = app };
        Assert.True((await host.Grains.Deal(second.DealId).CreateAsync(second)).Accepted);

        var workers = new WorkerSession.WorkerSessionClient(host.Channel);
        await using var v2Enclave = await TeeStream.ConnectAsync(workers, host.Grains, v2Measurement, slots: 2);
        await using var v1Enclave = await TeeStream.ConnectAsync(workers, host.Grains, SimulatedEnclave.DefaultMrEnclave, slots: 2);

        // The v2 enclave asks first, with room for both: it gets the deal made after v2 and leaves the
        // one pinned to v1 (each deal has one replica: had v2 taken it, v1 would never see it).
        await v2Enclave.HeartbeatAsync(2);
        await v2Enclave.NextAsync(m => m.Assignment?.DealId == second.DealId.ToString());
        await v1Enclave.HeartbeatAsync(2);
        var v1Task = (await v1Enclave.NextAsync(m => m.Assignment?.DealId == first.DealId.ToString())).Assignment;
        await v2Enclave.HeartbeatAsync(2);
        Assert.DoesNotContain(v2Enclave.Seen, m => m.Assignment?.DealId == first.DealId.ToString());
        Assert.DoesNotContain(v1Enclave.Seen, m => m.Assignment?.DealId == second.DealId.ToString());

        // The secret service reads the same pinned version: v2's enclave is refused v1's task's key, v1's gets it.
        var enclave = new SecretsProto.EnclaveSecrets.EnclaveSecretsClient(host.Channel);
        var firstTask = Hash32.Parse(v1Task.TaskId);
        var refused = await Assert.ThrowsAsync<RpcException>(() => enclave.FetchTaskSecretsAsync(v2Enclave.FetchRequest(firstTask)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        var released = await enclave.FetchTaskSecretsAsync(v1Enclave.FetchRequest(firstTask));
        Assert.Equal(v1Task.EnclaveChallenge, Secp256k1.AddressOf(v1Enclave.Enclave.Open(released.SealedEnclaveKey.ToByteArray(), firstTask)).ToLowerHex());
        Assert.Equal(1, (await host.Grains.AppRegistry(app).VersionForAsync(first.DealId))!.Version);
        Assert.Equal(2, (await host.Grains.AppRegistry(app).VersionForAsync(second.DealId))!.Version);
    }

    [Fact]
    public async Task Over_grpc_evidence_that_does_not_bind_the_servers_challenge_ends_the_handshake_with_permission_denied()
    {
        var pool = await host.Grains.Pool().GetPolicyAsync();
        await host.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        var workers = new WorkerSession.WorkerSessionClient(host.Channel);
        var error = await Assert.ThrowsAsync<RpcException>(() => TeeStream.ConnectAsync(workers, host.Grains, SimulatedEnclave.DefaultMrEnclave, bindChallenge: false));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("REPORTDATA", error.Status.Detail, StringComparison.Ordinal);
    }

    /// <summary>A TEE worker's session stream: hello, challenge, proof with evidence, welcome.</summary>
    private sealed class TeeStream : IAsyncDisposable
    {
        private readonly AsyncDuplexStreamingCall<WorkerMessage, ServerMessage> _call;
        private readonly Channel<ServerMessage> _inbox = Channel.CreateUnbounded<ServerMessage>();
        private readonly List<ServerMessage> _seen = [];
        private readonly List<ServerMessage> _unmatched = [];
        private readonly byte[] _key = Secp256k1.NewPrivateKey();
        private readonly Task _reader;

        private TeeStream(WorkerSession.WorkerSessionClient client, string mrEnclave)
        {
            Enclave = new SimulatedEnclave(Domain.Deals.TeeKind.Sgx, mrEnclave);
            _call = client.Connect();
            _reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var message in _call.ResponseStream.ReadAllAsync())
                    {
                        lock (_seen) _seen.Add(message);
                        await _inbox.Writer.WriteAsync(message);
                    }

                    _inbox.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    _inbox.Writer.TryComplete(ex);
                }
            });
        }

        public SimulatedEnclave Enclave { get; }

        public Address Address => Secp256k1.AddressOf(_key);

        public string SessionId { get; private set; } = string.Empty;

        public IReadOnlyList<ServerMessage> Seen
        {
            get
            {
                lock (_seen) return [.. _seen];
            }
        }

        public static async Task<TeeStream> ConnectAsync(WorkerSession.WorkerSessionClient client, IGrainFactory grains, string mrEnclave, bool bindChallenge = true, int slots = 1)
        {
            var stream = new TeeStream(client, mrEnclave);
            await grains.Pool().AuthorizeAsync([stream.Address]);
            await stream.SendAsync(new WorkerMessage
            {
                Hello = new Hello { WorkerAddress = stream.Address.ToLowerHex(), Capabilities = new Capabilities { Tee = TeeKind.Sgx, Cores = 2, MemoryMb = 2048, Slots = slots }, AgentVersion = "sms-tests" },
            });
            var nonce = (await stream.NextAsync(m => m.Challenge is not null)).Challenge.Nonce.ToByteArray();
            var evidence = stream.Enclave.NewSession(bindChallenge ? nonce : RandomNumberGenerator.GetBytes(32), DateTimeOffset.UtcNow);
            await stream.SendAsync(new WorkerMessage
            {
                Proof = new Proof
                {
                    Signature = ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Session(new byte[20], 0, [], nonce), stream._key).ToBytes65()),
                    Evidence = new Evidence { Format = EvidenceFormat.Simulated, Quote = ByteString.CopyFrom(evidence.Quote), EnclavePublicKey = ByteString.CopyFrom(evidence.EnclavePublicKey) },
                },
            });
            stream.SessionId = (await stream.NextAsync(m => m.Welcome is not null)).Welcome.SessionId;
            return stream;
        }

        public Task SendAsync(WorkerMessage message) => _call.RequestStream.WriteAsync(message);

        public Task HeartbeatAsync(int freeSlots) => SendAsync(new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = freeSlots } });

        public SecretsProto.FetchTaskSecretsRequest FetchRequest(Hash32 taskId)
        {
            var now = DateTimeOffset.UtcNow;
            var signed = Enclave.FetchRequest(Address, SessionId, taskId, now);
            return new SecretsProto.FetchTaskSecretsRequest
            {
                WorkerAddress = Address.ToLowerHex(), SessionId = SessionId, TaskId = taskId.ToString(),
                IssuedAt = Timestamp.FromDateTimeOffset(signed.IssuedAt), Signature = ByteString.CopyFrom(signed.Signature),
            };
        }

        public async Task<ServerMessage> NextAsync(Func<ServerMessage, bool> match)
        {
            var queued = _unmatched.FindIndex(m => match(m));
            if (queued >= 0)
            {
                var found = _unmatched[queued];
                _unmatched.RemoveAt(queued);
                return found;
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                ServerMessage message;
                try
                {
                    message = await _inbox.Reader.ReadAsync(timeout.Token);
                }
                catch (ChannelClosedException ex) when (ex.InnerException is RpcException rpc)
                {
                    throw rpc; // the server ended the stream with a status: that is the answer
                }

                if (match(message))
                {
                    return message;
                }

                _unmatched.Add(message);
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _call.RequestStream.CompleteAsync();
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException)
            {
                // the server ended the stream already
            }

            _call.Dispose();
            await _reader;
            Enclave.Dispose();
        }
    }
}
