using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Enclave.Quoting;
using Orchestrator.Enclave.Runner;
using Orchestrator.Testing.Tee;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>
/// An untrusted agent that relays its trusted runner's evidence dishonestly, for the refusals an honest
/// `orchestrator-worker` never provokes (it always presents the key the runner's quote binds, for the challenge
/// it was just given). The runner is the real <see cref="EnclaveRunner"/> quoting through the test TEE's
/// <c>/dev/attestation</c> files with the real Gramine provider, in this process only so the relay can tamper
/// with what it passes on; the handshake goes to the real server over gRPC.
/// </summary>
public sealed class DishonestRelay : IDisposable
{
    private readonly byte[] _key = Secp256k1.NewPrivateKey();
    private readonly EnclaveRunner _runner;
    private readonly GrpcChannel _channel;
    private long _nextId;

    private DishonestRelay(EnclaveRunner runner, string url)
    {
        _runner = runner;
        _channel = GrpcChannel.ForAddress(url);
    }

    /// <summary>The worker address the relay joins as (authorized by the pool).</summary>
    public Address Address => Secp256k1.AddressOf(_key);

    /// <summary>A relay joining <paramref name="pool"/> whose runner quotes through <paramref name="device"/>.</summary>
    public static async Task<DishonestRelay> StartAsync(IWorkerPool pool, TestTeeDevice device, string privateDirectory)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(device);
        var quotes = GramineQuoteProvider.Open(new QuoteProviderOptions { Kind = QuoteProviderKind.Gramine, Root = device.Root }, TimeProvider.System);
        var relay = new DishonestRelay(new EnclaveRunner(quotes, privateDirectory, TimeProvider.System), pool.Url);
        await pool.AuthorizeAsync(relay.Address);
        return relay;
    }

    /// <summary>A fresh runner session's public key and the runner's quote binding it to <paramref name="challenge"/>.</summary>
    public async Task<(byte[] PublicKey, byte[] Quote)> RunnerEvidenceAsync(ReadOnlyMemory<byte> challenge)
    {
        var (session, publicKey) = await OpenSessionAsync();
        var attested = await CallAsync(new RunnerRequest { Op = RunnerProtocol.Attest, Session = session, Challenge = challenge.ToArray() });
        return (publicKey, attested.Quote ?? throw new InvalidOperationException("the runner answered attest without a quote"));
    }

    /// <summary>Another runner session's public key: one the relay could claim in place of the key a quote binds.</summary>
    public async Task<byte[]> OtherSessionKeyAsync() => (await OpenSessionAsync()).PublicKey;

    /// <summary>
    /// One SGX session handshake: Hello, the server's challenge, then a proof signed by the worker key with the
    /// evidence <paramref name="evidenceFor"/> makes for that challenge. OK when welcomed (the session is then
    /// closed), otherwise the status the server ended the stream with.
    /// </summary>
    public async Task<Status> JoinAsync(Func<byte[], Task<(byte[] PublicKey, byte[] Quote)>> evidenceFor)
    {
        ArgumentNullException.ThrowIfNull(evidenceFor);
        using var call = new WorkerSession.WorkerSessionClient(_channel).Connect();
        try
        {
            await call.RequestStream.WriteAsync(new WorkerMessage
            {
                Hello = new Hello
                {
                    WorkerAddress = Address.ToLowerHex(),
                    Capabilities = new Capabilities { Tee = TeeKind.Sgx, Cores = 1, MemoryMb = 1024, Slots = 1 },
                    AgentVersion = "dishonest-relay",
                },
            });
            var challenge = (await NextAsync(call)).Challenge ?? throw new InvalidOperationException("the server did not answer Hello with a challenge");
            var nonce = challenge.Nonce.ToByteArray();
            var (publicKey, quote) = await evidenceFor(nonce);
            // The TEE pool here has no pool address nor chain id nor TLS: the binding is zeros and the nonce.
            var signature = EthereumMessage.Sign(SignedMessages.Session(Address.Zero.Bytes, 0, [], nonce), _key).ToBytes65();
            await call.RequestStream.WriteAsync(new WorkerMessage
            {
                Proof = new Proof
                {
                    Signature = ByteString.CopyFrom(signature),
                    Evidence = new Evidence { Format = EvidenceFormat.DcapQuote, Quote = ByteString.CopyFrom(quote), EnclavePublicKey = ByteString.CopyFrom(publicKey) },
                },
            });
            var answer = await NextAsync(call);
            return answer.Welcome is not null ? Status.DefaultSuccess : new Status(StatusCode.Unknown, "answered the proof with " + answer.BodyCase);
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _runner.Dispose();
        _channel.Dispose();
    }

    private async Task<(string Session, byte[] PublicKey)> OpenSessionAsync()
    {
        var opened = await CallAsync(new RunnerRequest { Op = RunnerProtocol.OpenSession });
        return (opened.Session!, opened.PublicKey!);
    }

    private async Task<RunnerResponse> CallAsync(RunnerRequest request)
    {
        var response = await _runner.HandleAsync(request with { Id = Interlocked.Increment(ref _nextId) }, CancellationToken.None);
        return response.Error is null ? response : throw new InvalidOperationException($"the runner refused {request.Op}: {response.Error}");
    }

    private static async Task<ServerMessage> NextAsync(AsyncDuplexStreamingCall<WorkerMessage, ServerMessage> call)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await call.ResponseStream.MoveNext(timeout.Token) ? call.ResponseStream.Current
            : throw new InvalidOperationException("the server ended the stream without a status");
    }
}
