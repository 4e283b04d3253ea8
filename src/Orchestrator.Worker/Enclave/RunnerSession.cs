using Orchestrator.Domain.Crypto;
using Orchestrator.Enclave.Runner;

namespace Orchestrator.Worker.Enclave;

/// <summary>
/// One worker session's key pair inside the trusted runner: the session public key the evidence binds,
/// the quote over the server's challenge, the secret fetch proof, and the runs of the session's TEE
/// tasks (whose secrets were sealed to this key). The private key stays in the runner; closing erases it.
/// </summary>
public sealed class RunnerSession : IAsyncDisposable
{
    private readonly EnclaveRunnerClient _runner;
    private readonly string _handle;

    private RunnerSession(EnclaveRunnerClient runner, string handle, byte[] publicKey)
    {
        _runner = runner;
        _handle = handle;
        PublicKey = publicKey;
    }

    /// <summary>The session public key (64 bytes X ‖ Y).</summary>
    public byte[] PublicKey { get; }

    /// <summary>Opens a session key pair in the runner.</summary>
    public static async Task<RunnerSession> OpenAsync(EnclaveRunnerClient runner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var opened = await runner.CallAsync(new RunnerRequest { Op = RunnerProtocol.OpenSession }, cancellationToken).ConfigureAwait(false);
        return opened is { Session: { } handle, PublicKey: { Length: 64 } key }
            ? new RunnerSession(runner, handle, key)
            : throw new EnclaveRunnerException("the enclave runner opened a session without a handle or a 64-byte public key");
    }

    /// <summary>A quote binding this session's key and the server's challenge.</summary>
    public async Task<byte[]> AttestAsync(ReadOnlyMemory<byte> challenge, CancellationToken cancellationToken)
    {
        var answer = await _runner.CallAsync(new RunnerRequest { Op = RunnerProtocol.Attest, Session = _handle, Challenge = challenge.ToArray() }, cancellationToken).ConfigureAwait(false);
        return answer.Quote ?? throw new EnclaveRunnerException("the enclave runner answered attest without a quote");
    }

    /// <summary>The session key's proof of a secret fetch.</summary>
    public async Task<byte[]> SignFetchAsync(Address worker, Hash32 taskId, string sessionId, DateTimeOffset issuedAt, CancellationToken cancellationToken)
    {
        var answer = await _runner.CallAsync(new RunnerRequest
        {
            Op = RunnerProtocol.SignFetch,
            Session = _handle,
            Worker = worker.ToString(),
            TaskId = taskId.ToString(),
            SessionId = sessionId,
            IssuedAt = issuedAt.ToUnixTimeSeconds(),
        }, cancellationToken).ConfigureAwait(false);
        return answer.Signature ?? throw new EnclaveRunnerException("the enclave runner answered sign-fetch without a signature");
    }

    /// <summary>Runs a task inside the enclave.</summary>
    public async Task<RunOutcome> RunAsync(Address worker, Hash32 taskId, RunTask task, CancellationToken cancellationToken)
    {
        var answer = await _runner.CallAsync(new RunnerRequest
        {
            Op = RunnerProtocol.Run,
            Session = _handle,
            Worker = worker.ToString(),
            TaskId = taskId.ToString(),
            Task = task,
        }, cancellationToken).ConfigureAwait(false);
        return answer.Result ?? throw new EnclaveRunnerException("the enclave runner answered run without a result");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _runner.CallAsync(new RunnerRequest { Op = RunnerProtocol.CloseSession, Session = _handle }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (EnclaveRunnerException)
        {
            // the runner is gone, and its keys with it
        }
    }
}
