using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Adversarial.Tests.Infrastructure;

/// <summary>A worker session driven message by message, as an attacker (or an honest worker) would.</summary>
public sealed class RawSession : IDisposable
{
    private readonly AsyncDuplexStreamingCall<WorkerMessage, ServerMessage> _call;

    private RawSession(WorkerSession.WorkerSessionClient client) => _call = client.Connect();

    public Challenge Challenge { get; private set; } = null!;

    /// <summary>Sends Hello claiming <paramref name="worker"/> and reads the Challenge.</summary>
    public static async Task<RawSession> HelloAsync(WorkerSession.WorkerSessionClient client, Address worker, string agent = "adversarial", TeeKind tee = TeeKind.None)
    {
        var session = new RawSession(client);
        await session._call.RequestStream.WriteAsync(new WorkerMessage
        {
            Hello = new Hello
            {
                WorkerAddress = worker.ToLowerHex(),
                Capabilities = new Capabilities { Tee = tee, Cores = 2, MemoryMb = 2048, Slots = 1 },
                AgentVersion = agent,
            },
        });
        session.Challenge = (await session.NextAsync()).Challenge
            ?? throw new InvalidOperationException("the server did not answer Hello with a Challenge");
        return session;
    }

    /// <summary>Sends a Proof with this signature; returns the Welcome, or throws the RpcException that ended the stream.</summary>
    public async Task<Welcome> ProveAsync(byte[] signature, Evidence? evidence = null)
    {
        await _call.RequestStream.WriteAsync(new WorkerMessage { Proof = new Proof { Signature = ByteString.CopyFrom(signature), Evidence = evidence } });
        return (await NextAsync()).Welcome ?? throw new InvalidOperationException("the server did not answer the Proof with a Welcome");
    }

    /// <summary>Sends a raw message.</summary>
    public Task SendAsync(WorkerMessage message) => _call.RequestStream.WriteAsync(message);

    /// <summary>The status the server ends the stream with (OK if it ends cleanly).</summary>
    public async Task<StatusCode> EndAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }

            return StatusCode.OK;
        }
        catch (RpcException ex)
        {
            return ex.StatusCode;
        }
    }

    public void Dispose() => _call.Dispose();

    private async Task<ServerMessage> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        if (!await _call.ResponseStream.MoveNext(timeout.Token))
        {
            throw new InvalidOperationException("the server ended the stream without a status");
        }

        return _call.ResponseStream.Current;
    }
}
