using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Api.Tests.Infrastructure;

/// <summary>A worker speaking orchestrator.worker.v1 over a real stream, as the agent does.</summary>
public sealed class TestWorker : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<WorkerMessage, ServerMessage> _call;
    private readonly Channel<ServerMessage> _inbox = Channel.CreateUnbounded<ServerMessage>();
    private readonly List<ServerMessage> _seen = [];
    private readonly List<ServerMessage> _unmatched = [];
    private readonly Task _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _heartbeats = Task.CompletedTask;
    private ulong _requests;

    private TestWorker(WorkerSession.WorkerSessionClient client, byte[] key)
    {
        Key = key;
        Address = Secp256k1.AddressOf(key);
        _call = client.Connect();
        _reader = Task.Run(ReadAsync);
    }

    public byte[] Key { get; }

    public Address Address { get; }

    public Welcome? Welcome { get; private set; }

    /// <summary>Every message received so far.</summary>
    public IReadOnlyList<ServerMessage> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public static Capabilities Standard(int slots = 2) => new() { Tee = TeeKind.None, Cores = 2, MemoryMb = 2048, Slots = slots };

    /// <summary>Opens the stream without any handshake.</summary>
    public static TestWorker Open(WorkerSession.WorkerSessionClient client, byte[]? key = null) => new(client, key ?? Secp256k1.NewPrivateKey());

    /// <summary>Hello, challenge, proof, welcome.</summary>
    public static async Task<TestWorker> ConnectAsync(WorkerSession.WorkerSessionClient client, byte[]? key = null, Capabilities? capabilities = null, IEnumerable<string>? running = null, bool heartbeats = true)
    {
        var worker = Open(client, key);
        var hello = new Hello { WorkerAddress = worker.Address.ToLowerHex(), Capabilities = capabilities ?? Standard(), AgentVersion = "api-tests" };
        hello.RunningTaskIds.AddRange(running ?? []);
        await worker.SendAsync(new WorkerMessage { Hello = hello });
        var challenge = await worker.NextAsync(m => m.BodyCase == ServerMessage.BodyOneofCase.Challenge);
        await worker.SendAsync(new WorkerMessage { Proof = new Proof { Signature = worker.Sign(challenge.Challenge.Nonce.ToByteArray()) } });
        worker.Welcome = (await worker.NextAsync(m => m.BodyCase == ServerMessage.BodyOneofCase.Welcome)).Welcome;
        if (heartbeats)
        {
            worker.StartHeartbeats(hello.Capabilities.Slots);
        }

        return worker;
    }

    public ByteString Sign(byte[] nonce) => ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Session(new byte[20], 0, [], nonce), Key).ToBytes65());

    public async Task SendAsync(WorkerMessage message)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _call.RequestStream.WriteAsync(message);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Heartbeats every second (claiming every slot free; the server caps by what it handed out) until disposed.</summary>
    public void StartHeartbeats(int freeSlots) => _heartbeats = Task.Run(async () =>
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default))
        {
            try
            {
                await HeartbeatAsync(freeSlots);
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or ObjectDisposedException)
            {
                return; // the stream ended
            }
        }
    });

    public Task CompleteAsync() => _call.RequestStream.CompleteAsync();

    /// <summary>The next message matching; others stay queued for later calls. Fails after the timeout.</summary>
    public async Task<ServerMessage> NextAsync(Func<ServerMessage, bool> match, int timeoutSeconds = 20)
    {
        var queued = _unmatched.FindIndex(m => match(m));
        if (queued >= 0)
        {
            var found = _unmatched[queued];
            _unmatched.RemoveAt(queued);
            return found;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        while (true)
        {
            ServerMessage message;
            try
            {
                message = await _inbox.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no matching message within {timeoutSeconds} s; seen: {string.Join(", ", Seen.Select(m => m.BodyCase))}");
            }

            if (match(message))
            {
                return message;
            }

            _unmatched.Add(message);
        }
    }

    /// <summary>The status the server ended the stream with (waits for the end).</summary>
    public async Task<StatusCode> EndStatusAsync(int timeoutSeconds = 20)
    {
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
            await foreach (var _ in _inbox.Reader.ReadAllAsync())
            {
            }

            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    /// <summary>The final RPC error, or null while the stream is open or ended OK.</summary>
    public async Task<RpcException?> EndErrorAsync(int timeoutSeconds = 20)
    {
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds));
            return null;
        }
        catch (RpcException ex)
        {
            return ex;
        }
    }

    public async Task<CallResult> ContributeAsync(string taskId, Hash32 digest)
    {
        var id = Hash32.Parse(taskId);
        var hash = ProtocolIds.ResultHash(id, digest);
        var seal = ProtocolIds.ResultSeal(Address, id, digest);
        var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(id, hash, seal).ToArray(), Key).ToBytes65();
        var request = ++_requests;
        await SendAsync(new WorkerMessage
        {
            RequestId = request,
            Contribution = new Contribution { TaskId = taskId, ResultHash = hash.ToString(), ResultSeal = seal.ToString(), WorkerSignature = ByteString.CopyFrom(signature) },
        });
        return (await NextAsync(m => m.CallResult?.RequestId == request)).CallResult;
    }

    public async Task<CallResult> RevealAsync(string taskId, Hash32 digest)
    {
        var request = ++_requests;
        await SendAsync(new WorkerMessage { RequestId = request, Reveal = new Reveal { TaskId = taskId, ResultDigest = digest.ToString() } });
        return (await NextAsync(m => m.CallResult?.RequestId == request)).CallResult;
    }

    public Task HeartbeatAsync(int freeSlots) => SendAsync(new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = freeSlots } });

    /// <summary>Drops the stream as a broken network would (no goodbye).</summary>
    public void Drop()
    {
        _stop.Cancel();
        _call.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _heartbeats;
        _call.Dispose();
        try
        {
            await _reader;
        }
        catch (RpcException)
        {
            // ended by us or by the server; what mattered was asserted
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _call.ResponseStream.ReadAllAsync())
            {
                lock (_seen)
                {
                    _seen.Add(message);
                }

                await _inbox.Writer.WriteAsync(message);
            }

            _inbox.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _inbox.Writer.TryComplete(ex);
            throw;
        }
    }
}
