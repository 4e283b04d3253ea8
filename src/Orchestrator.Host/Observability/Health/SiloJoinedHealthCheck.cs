using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Orchestrator.Host.Observability.Health;

/// <summary>Ready only while this silo is Active in the cluster's membership (not while joining, and no longer once it starts shutting down).</summary>
public sealed class SiloJoinedHealthCheck(ILocalSiloDetails local, IClusterMembershipService membership) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"silo {local.SiloAddress} is active")
            : HealthCheckResult.Unhealthy($"silo {local.SiloAddress} is {status}, not active in the cluster"));
    }
}
