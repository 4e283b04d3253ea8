using System.Security.Cryptography;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Grains.Tests.Trust;

/// <summary>
/// A TEE worker's session over real gRPC whose evidence is a DCAP quote from a test platform: hello, challenge,
/// proof with the quote over SHA-256(session key ‖ nonce), welcome; then it answers each ReattestRequest with a
/// new quote over its nonce, unless it plays an agent that does not know the message (<c>answers: false</c>).
/// </summary>
internal sealed class DcapWorkerStream : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<WorkerMessage, ServerMessage> _call;
    private readonly List<ServerMessage> _seen = [];
    private readonly byte[] _key = Secp256k1.NewPrivateKey();
    private readonly byte[] _sessionKey = RandomNumberGenerator.GetBytes(64);
    private readonly Channel<ServerMessage> _inbox = Channel.CreateUnbounded<ServerMessage>();
    private readonly TestTee _tee;
    private readonly bool _answers;
    private readonly Task _reader;
    private readonly SemaphoreSlim _writes = new(1, 1);

    private DcapWorkerStream(WorkerSession.WorkerSessionClient client, TestTee tee, bool answers)
    {
        _tee = tee;
        _answers = answers;
        _call = client.Connect();
        _reader = Task.Run(ReadAsync);
    }

    public Address Address => Secp256k1.AddressOf(_key);

    /// <summary>Ends when the server ends the stream (faulted with the server's status).</summary>
    public Task Ended => _reader;

    /// <summary>Re-attestations this worker answered.</summary>
    public int Answered { get; private set; }

    public IReadOnlyList<ServerMessage> Seen
    {
        get
        {
            lock (_seen) return [.. _seen];
        }
    }

    public static async Task<DcapWorkerStream> ConnectAsync(WorkerSession.WorkerSessionClient client, IGrainFactory grains, TestTee tee, int slots, bool answers = true)
    {
        var stream = new DcapWorkerStream(client, tee, answers);
        await grains.Pool().AuthorizeAsync([stream.Address]);
        await stream.SendAsync(new WorkerMessage
        {
            Hello = new Hello { WorkerAddress = stream.Address.ToLowerHex(), Capabilities = new Capabilities { Tee = TeeKind.Sgx, Cores = 2, MemoryMb = 2048, Slots = slots }, AgentVersion = "reattest-tests" },
        });
        var nonce = (await stream._inbox.Reader.ReadAsync()).Challenge.Nonce.ToByteArray();
        await stream.SendAsync(new WorkerMessage
        {
            Proof = new Proof
            {
                Signature = ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Session(new byte[20], 0, [], nonce), stream._key).ToBytes65()),
                Evidence = stream.Evidence(nonce),
            },
        });
        var welcome = await stream._inbox.Reader.ReadAsync();
        Assert.NotNull(welcome.Welcome);
        return stream;
    }

    public async Task SendAsync(WorkerMessage message)
    {
        await _writes.WaitAsync();
        try
        {
            await _call.RequestStream.WriteAsync(message); // one write at a time: the reader answers re-attestations meanwhile
        }
        finally
        {
            _writes.Release();
        }
    }

    public Task HeartbeatAsync(int freeSlots) => SendAsync(new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = freeSlots } });

    /// <summary>Waits until a message the server sent matches (whenever it came).</summary>
    public Task<ServerMessage> SeenAsync(string what, Func<ServerMessage, bool> match) =>
        Eventually.ForAsync(what, () => Task.FromResult(Seen.FirstOrDefault(match)), m => m is not null, TimeSpan.FromSeconds(30),
            describe: _ => string.Join(", ", Seen.Select(m => m.BodyCase)))!;

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _reader;
        }
        catch (RpcException)
        {
            // the stream was cancelled
        }
    }

    private Evidence Evidence(byte[] nonce) => new()
    {
        Format = EvidenceFormat.DcapQuote,
        Quote = ByteString.CopyFrom(_tee.SgxQuote(ReportDataBinding.Compute(_sessionKey, nonce))),
        EnclavePublicKey = ByteString.CopyFrom(_sessionKey),
    };

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _call.ResponseStream.ReadAllAsync())
            {
                lock (_seen) _seen.Add(message);
                if (message.BodyCase is ServerMessage.BodyOneofCase.Challenge or ServerMessage.BodyOneofCase.Welcome)
                {
                    await _inbox.Writer.WriteAsync(message);
                }
                else if (message.ReattestRequest is { } request && _answers)
                {
                    await SendAsync(new WorkerMessage { Reattestation = new Reattestation { Nonce = request.Nonce, Evidence = Evidence(request.Nonce.ToByteArray()) } });
                    Answered++;
                }
            }
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}
