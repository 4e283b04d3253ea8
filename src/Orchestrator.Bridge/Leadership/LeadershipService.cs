using Microsoft.Extensions.Hosting;

namespace Orchestrator.Bridge.Leadership;

/// <summary>
/// Keeps this silo's claims on the bridge's roles: takes or renews each lease from the start (the
/// first attempt before the host finishes starting), and hands them back on a graceful stop so a
/// successor need not wait for the expiry. A crash releases nothing: the lease runs out.
/// </summary>
public sealed class LeadershipService(IEnumerable<BridgeLeadership> roles) : IHostedService, IAsyncDisposable
{
    private readonly List<BridgeLeadership> _roles = [.. roles];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var role in _roles)
        {
            await role.RenewOnceAsync(cancellationToken).ConfigureAwait(false);
            _loops.Add(Task.Run(() => role.RunAsync(_stopping.Token), CancellationToken.None));
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        foreach (var role in _roles)
        {
            await role.ReleaseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }
}
