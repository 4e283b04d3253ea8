using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Orchestrator.Enclave.Runner;

namespace Orchestrator.Worker.Enclave;

/// <summary>The trusted runner refused a request, or is gone; the message is its one-line reason.</summary>
public sealed class EnclaveRunnerException(string message) : Exception(message);

/// <summary>
/// The agent's end of the trusted runner (<c>orchestrator-enclave</c>): starts it (the configured command,
/// e.g. <c>gramine-sgx orchestrator-enclave</c> or the runner inside the TD), then relays requests over its
/// stdin and matches the response lines by id. The agent sees only what the runner lets out (quotes,
/// public keys, signatures, digests, sealed results); if the runner exits, every waiting call fails and
/// the next session starts a new one.
/// </summary>
public sealed class EnclaveRunnerClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<RunnerResponse>> _pending = new();
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    private readonly Task<string> _errors;
    private long _nextId;

    private EnclaveRunnerClient(Process process)
    {
        _process = process;
        _errors = process.StandardError.ReadToEndAsync();
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>True once the runner's output ended (it exited or closed it).</summary>
    public bool HasExited => _reader.IsCompleted;

    /// <summary>The quote interface the runner reported at start.</summary>
    public string Provider { get; private set; } = string.Empty;

    /// <summary>Starts the runner and waits for its ready line (a runner that exits first fails with its stderr).</summary>
    public static async Task<EnclaveRunnerClient> StartAsync(string command, IEnumerable<string> arguments, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new EnclaveRunnerException($"the enclave runner {command} did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new EnclaveRunnerException($"the enclave runner {command} did not start: {ex.Message}");
        }

        var client = new EnclaveRunnerClient(process);
        try
        {
            client.Provider = await client._ready.Task.WaitAsync(startTimeout, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (Exception ex) when (ex is TimeoutException or EnclaveRunnerException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new EnclaveRunnerException(ex is TimeoutException ? $"the enclave runner {command} was not ready within {startTimeout.TotalSeconds:0} s" : ex.Message);
        }
    }

    /// <summary>Sends a request and waits for its response; throws <see cref="EnclaveRunnerException"/> with the runner's error.</summary>
    public async Task<RunnerResponse> CallAsync(RunnerRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<RunnerResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            if (_reader.IsCompleted)
            {
                throw new EnclaveRunnerException("the enclave runner has exited");
            }

            var line = JsonSerializer.Serialize(request with { Id = id }, RunnerProtocol.Json);
            await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                throw new EnclaveRunnerException("the enclave runner's input is closed: " + ex.Message);
            }
            finally
            {
                _write.Release();
            }

            var response = await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return response.Error is null ? response : throw new EnclaveRunnerException("the enclave runner refused " + request.Op + ": " + response.Error);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close(); // the runner exits when its input ends
            if (!await WaitForExitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // already gone
        }

        await _reader.ConfigureAwait(false);
        _process.Dispose();
        _write.Dispose();
    }

    private async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                RunnerResponse? response;
                try
                {
                    response = JsonSerializer.Deserialize<RunnerResponse>(line, RunnerProtocol.Json);
                }
                catch (JsonException)
                {
                    continue; // not a protocol line (a runtime's banner); the runner's own answers are JSON
                }

                if (response is null)
                {
                    continue;
                }

                if (response.Id == 0 && response.Provider is not null)
                {
                    _ready.TrySetResult(response.Provider);
                }
                else if (_pending.TryGetValue(response.Id, out var waiting))
                {
                    waiting.TrySetResult(response);
                }
            }
        }
        catch (IOException)
        {
            // the pipe broke: the runner is gone
        }

        var errors = await _errors.ConfigureAwait(false);
        var reason = "the enclave runner exited" + (errors.Length > 0 ? ": " + errors.Trim().ReplaceLineEndings(" ") : string.Empty);
        _ready.TrySetException(new EnclaveRunnerException(reason));
        foreach (var (_, waiting) in _pending)
        {
            waiting.TrySetException(new EnclaveRunnerException(reason));
        }
    }
}
