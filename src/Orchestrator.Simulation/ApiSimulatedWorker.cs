using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Simulation;

/// <summary>
/// A simulated worker over a real gRPC session (orchestrator.worker.v1.WorkerSession): it runs each
/// pushed assignment at once (the app is <see cref="SimulatedWorker.HonestDigest"/>, so honest workers
/// agree), contributes, reveals when told, and heartbeats when its owner says so. A faulty one returns a
/// wrong result on every other task; a vanishing one drops its session, holding its work, after its first
/// assignments. `demo --api` and the gRPC bench run many in one process; a real worker is the agent.
/// </summary>
public sealed class ApiSimulatedWorker(WorkerSession.WorkerSessionClient client, int slots, WorkerBehavior behavior = WorkerBehavior.Honest, int? freeAtStart = null)
{
    /// <summary>Assignments a vanishing worker takes before it drops its session.</summary>
    public const int VanishAfter = 2;

    private readonly byte[] _key = Secp256k1.NewPrivateKey();
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Dictionary<string, Hash32> _digests = [];
    private readonly CancellationTokenSource _vanish = new();
    private CancellationTokenSource? _lifetime;
    private AsyncDuplexStreamingCall<WorkerMessage, ServerMessage>? _call;
    private Task _reader = Task.CompletedTask;
    private ulong _requests;
    private int _taken;
    private int _faultToggle;

    /// <summary>The worker's address (its session key's).</summary>
    public Address Address => field == default ? field = Secp256k1.AddressOf(_key) : field;

    /// <summary>How it behaves.</summary>
    public WorkerBehavior Behavior => behavior;

    /// <summary>Contributions and reveals the server accepted.</summary>
    public int Accepted;

    /// <summary>Calls the server refused.</summary>
    public int Refused;

    /// <summary>How often the server asked for a heartbeat (its Welcome).</summary>
    public TimeSpan HeartbeatInterval { get; private set; } = TimeSpan.FromSeconds(5);

    /// <summary>Set when the session ended with an error.</summary>
    public RpcException? Ended { get; private set; }

    /// <summary>True while the stream is open (a vanished worker's is not).</summary>
    public bool Open => _call is not null && Ended is null && !_reader.IsCompleted && !_vanish.IsCancellationRequested;

    /// <summary>
    /// Opens the session: hello, challenge, proof, welcome. The proof binds the pool and chain id the
    /// challenge names and <paramref name="serverCertificateSha256"/> (the TLS certificate this client saw;
    /// empty over plaintext). A real agent checks the pool against its own configuration; a demo trusts it.
    /// </summary>
    public async Task ConnectAsync(byte[] serverCertificateSha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverCertificateSha256);
        // Kept for the stream's whole life: the caller's token and a vanishing both end it.
        _lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _vanish.Token);
        _call = client.Connect(cancellationToken: _lifetime.Token);
        var stream = _call.ResponseStream;
        await SendAsync(new WorkerMessage { Hello = new Hello { WorkerAddress = Address.ToLowerHex(), Capabilities = new Capabilities { Tee = TeeKind.None, Cores = 4, MemoryMb = 8192, Slots = slots }, AgentVersion = "orchestrator-demo" } }).ConfigureAwait(false);
        if (!await stream.MoveNext(cancellationToken).ConfigureAwait(false) || stream.Current.Challenge is not { } challenge)
        {
            throw new InvalidOperationException("the server sent no challenge");
        }

        var pool = Domain.Crypto.Address.TryParse(challenge.PoolAddress, out var named, out _) ? named : Domain.Crypto.Address.Zero;
        var message = SignedMessages.Session(pool.Bytes, challenge.ChainId, serverCertificateSha256, challenge.Nonce.Span);
        await SendAsync(new WorkerMessage { Proof = new Proof { Signature = ByteString.CopyFrom(EthereumMessage.Sign(message, _key).ToBytes65()) } }).ConfigureAwait(false);
        if (!await stream.MoveNext(cancellationToken).ConfigureAwait(false) || stream.Current.Welcome is not { } welcome)
        {
            throw new InvalidOperationException("the server sent no welcome");
        }

        HeartbeatInterval = welcome.HeartbeatInterval?.ToTimeSpan() is { } interval && interval > TimeSpan.Zero ? interval : TimeSpan.FromSeconds(5);

        if (freeAtStart is { } free && free < slots)
        {
            await HeartbeatAsync(free).ConfigureAwait(false); // a busy worker: no slot to fill, so the session never looks for work
        }

        _reader = Task.Run(() => ServeAsync(), CancellationToken.None);
    }

    /// <summary>Reports liveness and free slots (the owner calls it every heartbeat interval).</summary>
    public Task HeartbeatAsync(int freeSlots) => Open ? SendAsync(new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = freeSlots } }) : Task.CompletedTask;

    /// <summary>Ends the session cleanly (what it holds goes back to the pool).</summary>
    public async Task CloseAsync()
    {
        if (_call is null)
        {
            return;
        }

        if (await _write.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false))
        {
            try
            {
                await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
            {
                // already ended
            }
            finally
            {
                _write.Release();
            }
        }

        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or RpcException or OperationCanceledException)
        {
            // closing; the status was recorded in Ended
        }

        _call.Dispose();
        _lifetime?.Dispose();
    }

    private async Task ServeAsync()
    {
        try
        {
            var stream = _call!.ResponseStream;
            while (await stream.MoveNext(_vanish.Token).ConfigureAwait(false))
            {
                await HandleAsync(stream.Current).ConfigureAwait(false);
            }
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
        {
            Ended = ex;
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException)
        {
            // closed by its owner, or vanished
        }
    }

    private async Task HandleAsync(ServerMessage message)
    {
        switch (message.BodyCase)
        {
            case ServerMessage.BodyOneofCase.Assignment:
                if (behavior == WorkerBehavior.Vanishing && ++_taken > VanishAfter)
                {
                    await _vanish.CancelAsync().ConfigureAwait(false); // gone without a word, holding this assignment
                    return;
                }

                await ContributeAsync(message.Assignment).ConfigureAwait(false);
                break;
            case ServerMessage.BodyOneofCase.RevealRequest when _digests.TryGetValue(message.RevealRequest.TaskId, out var digest):
                await RevealAsync(message.RevealRequest.TaskId, digest).ConfigureAwait(false);
                break;
            case ServerMessage.BodyOneofCase.CallResult:
                var result = message.CallResult;
                if (!result.Accepted)
                {
                    Interlocked.Increment(ref Refused);
                    break;
                }

                Interlocked.Increment(ref Accepted);
                if (result.RevealNow && _digests.TryGetValue(result.TaskId, out var d))
                {
                    await RevealAsync(result.TaskId, d).ConfigureAwait(false);
                }

                break;
            case ServerMessage.BodyOneofCase.Cancel:
                _digests.Remove(message.Cancel.TaskId);
                break;
        }
    }

    private Task ContributeAsync(Assignment a)
    {
        var taskId = Hash32.Parse(a.TaskId);
        var digest = SimulatedWorker.HonestDigest(taskId, a.Params);
        if (behavior == WorkerBehavior.Faulty && (_faultToggle++ & 1) == 1)
        {
            digest = new Hash32(SHA256.HashData([.. Address.Bytes, .. taskId.ToArray()]));
        }

        _digests[a.TaskId] = digest;
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(Address, taskId, digest);
        var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(taskId, hash, seal).ToArray(), _key).ToBytes65();
        return SendAsync(new WorkerMessage
        {
            RequestId = ++_requests,
            Contribution = new Contribution { TaskId = a.TaskId, ResultHash = hash.ToString(), ResultSeal = seal.ToString(), WorkerSignature = ByteString.CopyFrom(signature) },
        });
    }

    private Task RevealAsync(string taskId, Hash32 digest)
        => SendAsync(new WorkerMessage { RequestId = ++_requests, Reveal = new Reveal { TaskId = taskId, ResultDigest = digest.ToString() } });

    private async Task SendAsync(WorkerMessage message)
    {
        await _write.WaitAsync().ConfigureAwait(false);
        try
        {
            await _call!.RequestStream.WriteAsync(message).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }
}
