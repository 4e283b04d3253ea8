using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Simulation;

namespace Orchestrator.GrpcBench;

/// <summary>
/// A simulated worker over a real gRPC session: it runs each pushed assignment at once (the app is
/// SimulatedWorker's pure function, so honest workers agree), contributes, reveals when told, and
/// heartbeats when asked to. Many live in one process, so the bench measures the orchestrator.
/// </summary>
internal sealed class BenchWorker(WorkerSession.WorkerSessionClient client, int slots, int? freeAtStart = null)
{
    private readonly byte[] _key = Secp256k1.NewPrivateKey();
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly Dictionary<string, Hash32> _digests = [];
    private AsyncDuplexStreamingCall<WorkerMessage, ServerMessage>? _call;
    private Task _reader = Task.CompletedTask;
    private ulong _requests;

    public Address Address => field == default ? field = Secp256k1.AddressOf(_key) : field;

    /// <summary>Contributions the server accepted.</summary>
    public int Accepted;

    /// <summary>Calls the server refused.</summary>
    public int Refused;

    /// <summary>Set when the session ended with an error.</summary>
    public RpcException? Ended { get; private set; }

    /// <summary>True while the stream is open.</summary>
    public bool Open => _call is not null && Ended is null && !_reader.IsCompleted;

    /// <summary>Opens the session (hello, challenge, proof, welcome) and starts serving pushed commands.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _call = client.Connect(cancellationToken: cancellationToken);
        var stream = _call.ResponseStream;
        await SendAsync(new WorkerMessage { Hello = new Hello { WorkerAddress = Address.ToLowerHex(), Capabilities = new Capabilities { Tee = TeeKind.None, Cores = 4, MemoryMb = 8192, Slots = slots }, AgentVersion = "grpc-bench" } });
        if (!await stream.MoveNext(cancellationToken) || stream.Current.Challenge is not { } challenge)
        {
            throw new InvalidOperationException("no challenge");
        }

        var signature = EthereumMessage.Sign(SignedMessages.Session(challenge.Nonce.ToByteArray()), _key).ToBytes65();
        await SendAsync(new WorkerMessage { Proof = new Proof { Signature = ByteString.CopyFrom(signature) } });
        if (!await stream.MoveNext(cancellationToken) || stream.Current.Welcome is null)
        {
            throw new InvalidOperationException("no welcome");
        }

        if (freeAtStart is { } free && free < slots)
        {
            await HeartbeatAsync(free); // a busy worker: no slot to fill, so the session never looks for work
        }

        _reader = Task.Run(() => ServeAsync(cancellationToken), CancellationToken.None);
    }

    public Task HeartbeatAsync(int freeSlots) => SendAsync(new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = freeSlots } });

    public async Task CloseAsync()
    {
        if (_call is null)
        {
            return;
        }

        try
        {
            await _write.WaitAsync();
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or ObjectDisposedException)
        {
            // already ended
        }

        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is TimeoutException or RpcException or OperationCanceledException)
        {
            // the bench is closing; the status was recorded in Ended
        }

        _call.Dispose();
    }

    private async Task ServeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _call!.ResponseStream.ReadAllAsync(cancellationToken))
            {
                switch (message.BodyCase)
                {
                    case ServerMessage.BodyOneofCase.Assignment:
                        await ContributeAsync(message.Assignment);
                        break;
                    case ServerMessage.BodyOneofCase.RevealRequest when _digests.TryGetValue(message.RevealRequest.TaskId, out var digest):
                        await RevealAsync(message.RevealRequest.TaskId, digest);
                        break;
                    case ServerMessage.BodyOneofCase.CallResult:
                        var result = message.CallResult;
                        if (!result.Accepted)
                        {
                            Interlocked.Increment(ref Refused);
                        }
                        else if (result.RevealNow && _digests.TryGetValue(result.TaskId, out var d))
                        {
                            Interlocked.Increment(ref Accepted);
                            await RevealAsync(result.TaskId, d);
                        }
                        else
                        {
                            Interlocked.Increment(ref Accepted);
                        }

                        break;
                    case ServerMessage.BodyOneofCase.Cancel:
                        _digests.Remove(message.Cancel.TaskId);
                        break;
                }
            }
        }
        catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
        {
            Ended = ex;
        }
        catch (Exception ex) when (ex is OperationCanceledException or RpcException)
        {
            // closed by the bench
        }
    }

    private Task ContributeAsync(Assignment a)
    {
        var taskId = Hash32.Parse(a.TaskId);
        var digest = SimulatedWorker.HonestDigest(taskId, a.Params);
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
        await _write.WaitAsync();
        try
        {
            await _call!.RequestStream.WriteAsync(message);
        }
        finally
        {
            _write.Release();
        }
    }
}
