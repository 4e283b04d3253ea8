using Orchestrator.Worker.Configuration;

namespace Orchestrator.Worker.Enclave;

/// <summary>
/// Keeps the trusted runner process up: started on the first session, started again on the next
/// session after it exited (its keys died with it, so the sessions it served end too).
/// </summary>
public sealed class EnclaveRunnerHost(EnclaveRunnerOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private EnclaveRunnerClient? _current;

    /// <summary>The running runner, started when there is none.</summary>
    public async Task<EnclaveRunnerClient> CurrentAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { HasExited: false } running)
            {
                return running;
            }

            if (_current is not null)
            {
                await _current.DisposeAsync().ConfigureAwait(false);
                _current = null;
            }

            _current = await EnclaveRunnerClient.StartAsync(options.Command!, options.Arguments, options.StartTimeout, cancellationToken).ConfigureAwait(false);
            return _current;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_current is not null)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}
