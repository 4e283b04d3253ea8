using System.Text.Json;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Enclave.Quoting;

namespace Orchestrator.Enclave.Runner;

/// <summary>
/// The trusted runner's request loop (<see cref="RunnerProtocol"/>): reads requests line by line, serves
/// each concurrently (a run lasts as long as its app), writes one response line per request. It holds
/// the session keys; the agent on the other end of the pipes only relays.
/// </summary>
public sealed class EnclaveRunner : IDisposable
{
    private readonly IQuoteProvider _quotes;
    private readonly SessionKeys _keys = new();
    private readonly EnclaveTask _tasks;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _write = new(1, 1);

    /// <summary>Creates a runner whose quotes come from <paramref name="quotes"/> and whose tasks work under <paramref name="privateRoot"/>.</summary>
    public EnclaveRunner(IQuoteProvider quotes, string privateRoot, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(quotes);
        _quotes = quotes;
        _time = time;
        Directory.CreateDirectory(privateRoot);
        _tasks = new EnclaveTask(_keys, privateRoot, time);
    }

    /// <summary>Serves requests from <paramref name="input"/> until it ends, answering on <paramref name="output"/>.</summary>
    public async Task ServeAsync(TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        await WriteAsync(output, new RunnerResponse { Provider = _quotes.Description }, cancellationToken).ConfigureAwait(false);
        var running = new List<Task>();
        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            running.RemoveAll(t => t.IsCompleted);
            running.Add(AnswerAsync(line, output, cancellationToken));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>Serves one request (public for tests that drive the runner in process).</summary>
    public async Task<RunnerResponse> HandleAsync(RunnerRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return request.Op switch
            {
                RunnerProtocol.OpenSession => Opened(request.Id),
                RunnerProtocol.Attest => await AttestAsync(request, cancellationToken).ConfigureAwait(false),
                RunnerProtocol.SignFetch => SignFetch(request),
                RunnerProtocol.Run => await RunAsync(request, cancellationToken).ConfigureAwait(false),
                RunnerProtocol.CloseSession => Closed(request),
                _ => throw new RunnerException($"unknown op '{request.Op}': one of open-session, attest, sign-fetch, run, close-session"),
            };
        }
        catch (Exception ex) when (ex is RunnerException or QuoteProviderException or IOException or UnauthorizedAccessException)
        {
            return new RunnerResponse { Id = request.Id, Error = ex.Message };
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _keys.Dispose();
        _write.Dispose();
    }

    private RunnerResponse Opened(long id)
    {
        var (handle, publicKey) = _keys.Open();
        return new RunnerResponse { Id = id, Session = handle, PublicKey = publicKey };
    }

    private async Task<RunnerResponse> AttestAsync(RunnerRequest request, CancellationToken cancellationToken)
    {
        if (request.Challenge is not { Length: ReportDataBinding.ChallengeSize } challenge)
        {
            throw new RunnerException($"attest: the challenge must be {ReportDataBinding.ChallengeSize} bytes");
        }

        // REPORTDATA = SHA-256(session public key ‖ challenge) ‖ 32 zero bytes: the verifier checks this binding.
        var reportData = ReportDataBinding.Compute(_keys.PublicKey(request.Session), challenge);
        var quote = await _quotes.GetQuoteAsync(reportData, cancellationToken).ConfigureAwait(false);
        return new RunnerResponse { Id = request.Id, Quote = quote };
    }

    private RunnerResponse SignFetch(RunnerRequest request)
    {
        var (worker, taskId) = Target(request);
        if (string.IsNullOrEmpty(request.SessionId) || request.IssuedAt <= 0)
        {
            throw new RunnerException("sign-fetch: sessionId and issuedAt are required");
        }

        var signature = _keys.SignFetch(request.Session, worker, taskId, request.SessionId, DateTimeOffset.FromUnixTimeSeconds(request.IssuedAt));
        return new RunnerResponse { Id = request.Id, Signature = signature };
    }

    private async Task<RunnerResponse> RunAsync(RunnerRequest request, CancellationToken cancellationToken)
    {
        var (worker, taskId) = Target(request);
        var task = request.Task ?? throw new RunnerException("run: task is required");
        var outcome = await _tasks.RunAsync(request.Session, worker, taskId, task, cancellationToken).ConfigureAwait(false);
        return new RunnerResponse { Id = request.Id, Result = outcome };
    }

    private RunnerResponse Closed(RunnerRequest request)
    {
        _keys.Close(request.Session);
        return new RunnerResponse { Id = request.Id };
    }

    private static (Address Worker, Hash32 TaskId) Target(RunnerRequest request)
    {
        if (!Address.TryParse(request.Worker, out var worker, out var workerError))
        {
            throw new RunnerException($"{request.Op}: worker: {workerError}");
        }

        return Hash32.TryParse(request.TaskId, out var taskId, out var taskError)
            ? (worker, taskId)
            : throw new RunnerException($"{request.Op}: taskId: {taskError}");
    }

    private async Task AnswerAsync(string line, TextWriter output, CancellationToken cancellationToken)
    {
        RunnerResponse response;
        try
        {
            var request = JsonSerializer.Deserialize<RunnerRequest>(line, RunnerProtocol.Json) ?? throw new JsonException("null request");
            response = await HandleAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            response = new RunnerResponse { Error = "a request line that is not a runner request: " + ex.Message };
        }

        await WriteAsync(output, response, cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteAsync(TextWriter output, RunnerResponse response, CancellationToken cancellationToken)
    {
        var line = JsonSerializer.Serialize(response, RunnerProtocol.Json);
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await output.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _write.Release();
        }
    }
}
