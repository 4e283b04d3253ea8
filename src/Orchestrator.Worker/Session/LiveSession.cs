using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Orchestrator.Simulation;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Worker.Enclave;

namespace Orchestrator.Worker.Session;

/// <summary>The session a call was sent on ended before its answer arrived; the caller sends it again on the next one.</summary>
public sealed class SessionLostException(string message) : Exception(message);

/// <summary>
/// One open worker session after Welcome: a single writer drains an outbound queue (gRPC allows one
/// write at a time), and answers (CallResult) are matched to their calls by request id. When the
/// stream ends, every call still waiting fails with <see cref="SessionLostException"/>.
/// </summary>
internal sealed class LiveSession
{
    private readonly IClientStreamWriter<WorkerMessage> _requests;
    private readonly Channel<WorkerMessage> _outbound = Channel.CreateUnbounded<WorkerMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<CallResult>> _pending = new();
    private long _nextRequestId;
    private int _closed;

    public LiveSession(IClientStreamWriter<WorkerMessage> requests, Welcome welcome, CancellationToken cancellationToken, EnclaveSession? enclave = null, RunnerSession? runner = null)
    {
        _requests = requests;
        Welcome = welcome;
        Enclave = enclave;
        Runner = runner;
        Writer = Task.Run(() => WriteLoopAsync(cancellationToken), CancellationToken.None);
    }

    /// <summary>The server's welcome.</summary>
    public Welcome Welcome { get; }

    /// <summary>The enclave session this session was attested with (owned by the agent's session loop); null without TEE.</summary>
    public EnclaveSession? Enclave { get; }

    /// <summary>The trusted runner's key pair this session was attested with (hardware TEE workers); null otherwise.</summary>
    public RunnerSession? Runner { get; }

    /// <summary>The writer loop (ends when the session closes).</summary>
    public Task Writer { get; }

    /// <summary>True once the stream ended.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Queues a message that wants no answer.</summary>
    public void Send(WorkerMessage message)
    {
        if (!_outbound.Writer.TryWrite(message))
        {
            throw new SessionLostException("the session is closed");
        }
    }

    /// <summary>Sends a call and waits for its CallResult.</summary>
    public async Task<CallResult> CallAsync(WorkerMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var id = (ulong)Interlocked.Increment(ref _nextRequestId);
        message.RequestId = id;
        var answer = new TaskCompletionSource<CallResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            if (IsClosed) throw new SessionLostException("the session is closed");
            Send(message);
            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Delivers an answer to the call that waits for it.</summary>
    public void Answer(CallResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (_pending.TryRemove(result.RequestId, out var waiting))
        {
            waiting.TrySetResult(result);
        }
    }

    /// <summary>Ends the session: nothing more is written, waiting calls fail over to the next session.</summary>
    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _outbound.Writer.TryComplete();
        foreach (var (id, waiting) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                waiting.TrySetException(new SessionLostException(reason));
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await _requests.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }

            await _requests.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidOperationException or IOException)
        {
            // The stream broke: the reader sees it too and reconnects.
            Close("the session's stream broke: " + ex.Message);
        }
    }
}

/// <summary>Hands the current live session to whoever needs to send, waiting while the agent reconnects.</summary>
internal sealed class SessionGate
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<LiveSession> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The live session, once there is one.</summary>
    public Task<LiveSession> CurrentAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _next.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The live session now, or null while reconnecting.</summary>
    public LiveSession? Current
    {
        get
        {
            lock (_gate)
            {
#pragma warning disable VSTHRD002 // read only once the task has completed: it never waits
                return _next.Task.IsCompletedSuccessfully ? _next.Task.Result : null;
#pragma warning restore VSTHRD002
            }
        }
    }

    /// <summary>A new session is open.</summary>
    public void Open(LiveSession session)
    {
        lock (_gate)
        {
            if (_next.Task.IsCompleted)
            {
                _next = new TaskCompletionSource<LiveSession>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _next.SetResult(session);
        }
    }

    /// <summary>The session ended: senders wait for the next.</summary>
    public void Lost(LiveSession session)
    {
        lock (_gate)
        {
#pragma warning disable VSTHRD002 // read only once the task has completed: it never waits
            if (_next.Task.IsCompletedSuccessfully && ReferenceEquals(_next.Task.Result, session))
#pragma warning restore VSTHRD002
            {
                _next = new TaskCompletionSource<LiveSession>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }
}
