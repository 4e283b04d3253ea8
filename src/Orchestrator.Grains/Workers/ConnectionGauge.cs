using Orchestrator.Domain.Workers;
using Orchestrator.Telemetry;

namespace Orchestrator.Grains.Workers;

/// <summary>One worker's part of <c>orchestrator.workers.connected</c>: 1 under its state ("connected" or "draining") while it has a live session.</summary>
public sealed class ConnectionGauge : IDisposable
{
    private readonly LiveGaugeSlot _slot = GrainsTelemetry.Workers.Register("connected", 0);

    /// <summary>Follows the worker's state.</summary>
    public void Sync(WorkerRun run)
    {
        _slot.Tag = run.State == WorkerState.Draining ? "draining" : "connected";
        _slot.Value = run.IsLive ? 1 : 0;
    }

    /// <inheritdoc />
    public void Dispose() => _slot.Dispose();
}
