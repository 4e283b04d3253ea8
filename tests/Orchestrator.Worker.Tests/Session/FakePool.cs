using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>
/// A scripted stand-in for the pool's WorkerSession service, served by a real Kestrel on a loopback
/// port, so the agent's session client is tested over real gRPC against exact server behaviour
/// (drops, resumes, refusals) that the real server cannot be made to produce on cue.
/// </summary>
public sealed class FakePool : WorkerSession.WorkerSessionBase, IAsyncDisposable
{
    private readonly Func<int, FakeSession, Task> _script;
    private WebApplication? _app;
    private int _connections;
    private byte[] _certificateSha256 = [];
    private int _tcpConnections;

    private FakePool(Func<int, FakeSession, Task> script) => _script = script;

    /// <summary>The URL the agent connects to.</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>Sessions opened so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>TCP connections accepted so far, whether or not a TLS handshake or a session followed.</summary>
    public int TcpConnections => Volatile.Read(ref _tcpConnections);

    /// <summary>Uploads received: task id → (header, bytes).</summary>
    public ConcurrentDictionary<string, (UploadHeader Header, byte[] Bytes)> Uploads { get; } = new();

    /// <summary>Logs uploads received: task id → (header, bytes).</summary>
    public ConcurrentDictionary<string, (UploadHeader Header, byte[] Bytes)> LogsUploads { get; } = new();

    /// <summary>The W3C trace context each upload arrived with: task id → <c>traceparent</c> header (null when none).</summary>
    public ConcurrentDictionary<string, string?> UploadTraceParents { get; } = new();

    /// <summary>Starts the fake; <paramref name="script"/> plays each connection (0-based index).</summary>
    public static async Task<FakePool> StartAsync(Func<int, FakeSession, Task> script, X509Certificate2? tls = null, Action<WebApplication>? map = null, FakeSecrets? secrets = null)
    {
        var pool = new FakePool(script) { _certificateSha256 = tls is null ? [] : System.Security.Cryptography.SHA256.HashData(tls.RawData) };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = tls is null ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2;
            l.Use(next => connection =>
            {
                Interlocked.Increment(ref pool._tcpConnections);
                return next(connection);
            });
            if (tls is not null) l.UseHttps(tls);
        }));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(pool);
        if (secrets is not null) builder.Services.AddSingleton(secrets);
        var app = builder.Build();
        app.MapGrpcService<FakePool>();
        if (secrets is not null) app.MapGrpcService<FakeSecrets>();
        map?.Invoke(app);
        await app.StartAsync();
        pool._app = app;
        pool.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return pool;
    }

    /// <inheritdoc />
    public override async Task Connect(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<ServerMessage> responseStream, ServerCallContext context)
    {
        var index = Interlocked.Increment(ref _connections) - 1;
        await _script(index, new FakeSession(requestStream, responseStream, context, _certificateSha256));
    }

    /// <inheritdoc />
    public override async Task<UploadResultReply> UploadLogs(IAsyncStreamReader<ResultChunk> requestStream, ServerCallContext context)
    {
        UploadHeader? header = null;
        using var bytes = new MemoryStream();
        await foreach (var chunk in requestStream.ReadAllAsync(context.CancellationToken))
        {
            if (chunk.BodyCase == ResultChunk.BodyOneofCase.Header) header = chunk.Header;
            else chunk.Data.WriteTo(bytes);
        }

        LogsUploads[header!.TaskId] = (header, bytes.ToArray());
        return new UploadResultReply { TaskId = header.TaskId, Size = bytes.Length, Sha256 = header.Sha256, Location = "fake-logs://" + header.TaskId };
    }

    /// <inheritdoc />
    public override async Task<UploadResultReply> UploadResult(IAsyncStreamReader<ResultChunk> requestStream, ServerCallContext context)
    {
        UploadHeader? header = null;
        using var bytes = new MemoryStream();
        await foreach (var chunk in requestStream.ReadAllAsync(context.CancellationToken))
        {
            if (chunk.BodyCase == ResultChunk.BodyOneofCase.Header) header = chunk.Header;
            else chunk.Data.WriteTo(bytes);
        }

        Uploads[header!.TaskId] = (header, bytes.ToArray());
        UploadTraceParents[header.TaskId] = context.RequestHeaders.GetValue("traceparent");
        return new UploadResultReply { TaskId = header.TaskId, Size = bytes.Length, Sha256 = header.Sha256, Location = "fake://" + header.TaskId };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>One connection as the fake server sees it, with helpers for the protocol's steps.</summary>
public sealed class FakeSession(IAsyncStreamReader<WorkerMessage> requests, IServerStreamWriter<ServerMessage> responses, ServerCallContext context, byte[] certificateSha256)
{
    /// <summary>The hello of this session (after <see cref="HandshakeAsync"/>).</summary>
    public Hello Hello { get; private set; } = null!;

    /// <summary>The proof of this session (after <see cref="HandshakeAsync"/>).</summary>
    public Proof Proof { get; private set; } = null!;

    /// <summary>The session id of the welcome (after <see cref="HandshakeAsync"/>).</summary>
    public string SessionId { get; private set; } = string.Empty;

    /// <summary>The challenge sent.</summary>
    public byte[] Nonce { get; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    /// <summary>Hello → Challenge → Proof (its signature checked) → Welcome.</summary>
    public async Task HandshakeAsync(params Assignment[] resumed)
    {
        Hello = (await NextAsync(WorkerMessage.BodyOneofCase.Hello)).Hello;
        await SendAsync(new ServerMessage { Challenge = new Challenge { Nonce = ByteString.CopyFrom(Nonce), ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(1)) } });
        Proof = (await NextAsync(WorkerMessage.BodyOneofCase.Proof)).Proof;
        Assert.True(Signature.TryFromBytes65(Proof.Signature.Span, out var signature, out var error), error);
        Assert.True(EthereumMessage.TryRecover(SignedMessages.Session(new byte[20], 0, certificateSha256, Nonce), signature!, out var signer));
        Assert.Equal(Address.Parse(Hello.WorkerAddress), signer);
        SessionId = Guid.NewGuid().ToString("n");
        var welcome = new Welcome
        {
            SessionId = SessionId,
            HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(200)),
            HeartbeatTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(5)),
            MaxResultBytes = 1 << 20,
        };
        welcome.Resumed.AddRange(resumed);
        await SendAsync(new ServerMessage { Welcome = welcome });
    }

    /// <summary>The next message of a kind, skipping heartbeats and progress (and recording heartbeats).</summary>
    public async Task<WorkerMessage> NextAsync(WorkerMessage.BodyOneofCase kind)
    {
        while (await requests.MoveNext(context.CancellationToken))
        {
            var message = requests.Current;
            if (message.BodyCase == WorkerMessage.BodyOneofCase.Heartbeat)
            {
                LastFreeSlots = message.Heartbeat.FreeSlots;
            }

            if (message.BodyCase == kind) return message;
            if (message.BodyCase is not (WorkerMessage.BodyOneofCase.Heartbeat or WorkerMessage.BodyOneofCase.Progress))
            {
                Assert.Fail($"expected {kind}, the worker sent {message}");
            }
        }

        throw new InvalidOperationException($"the worker closed the session before sending {kind}");
    }

    /// <summary>The free slots of the last heartbeat seen.</summary>
    public int? LastFreeSlots { get; private set; }

    /// <summary>Sends a message to the worker.</summary>
    public Task SendAsync(ServerMessage message) => responses.WriteAsync(message, context.CancellationToken);

    /// <summary>Answers a call.</summary>
    public Task AnswerAsync(WorkerMessage call, bool accepted = true, bool revealNow = false, Refusal refusal = Refusal.None) => SendAsync(new ServerMessage
    {
        CallResult = new CallResult { RequestId = call.RequestId, Accepted = accepted, RevealNow = revealNow, Refusal = refusal, TaskStatus = Api.Worker.V1.TaskStatus.Active },
    });

    /// <summary>Keeps the session open until the worker closes it.</summary>
    public async Task HoldAsync()
    {
        try
        {
            while (await requests.MoveNext(context.CancellationToken))
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException or RpcException)
        {
            // the worker went away
        }
    }
}
