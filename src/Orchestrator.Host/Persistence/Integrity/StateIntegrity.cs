using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Secrets;
using Orleans.Storage;

namespace Orchestrator.Host.Persistence.Integrity;

/// <summary>Which stored states carry a MAC, and the wiring that wraps the grain storage with the check.</summary>
public static class StateIntegrity
{
    /// <summary>
    /// The states that decide whom the pool trusts: workers (attestation verdicts, and the quotes kept to judge them again), app policies, the pool
    /// (authorizations, simulated TEE), the secret service's task terms (which owners' secrets a task gets).
    /// </summary>
    public static IReadOnlySet<string> Protected { get; } = new HashSet<string>(StringComparer.Ordinal) { "worker", "worker-evidence", "app-policy", "pool", "task-secrets" };

    private static readonly Meter Meter = new("Orchestrator.Host.Integrity");

    /// <summary>Stored trust states refused by the integrity check (tag: state).</summary>
    internal static readonly Counter<long> Refusals = Meter.CreateCounter<long>(
        "orchestrator.integrity.refusals", "{row}", "Stored trust states refused because their MAC did not match");

    /// <summary>Wraps the grain storage registered as <see cref="StorageNames.Default"/>; call after it is added.</summary>
    public static ISiloBuilder AddStateIntegrity(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        var services = silo.Services;
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, StorageNames.Default))
            ?? throw new InvalidOperationException($"no grain storage named {StorageNames.Default} to wrap: add it before AddStateIntegrity");
        var factory = registered.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"the grain storage {StorageNames.Default} is not registered by a factory");
        services.Remove(registered);
        services.AddOptions<SecretsOptions>().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<SecretsOptions>, DurableStateNeedsMasterKey>();
        services.AddKeyedSingleton<IGrainStorage>(StorageNames.Default, (sp, key) => new IntegrityCheckedGrainStorage(
            (IGrainStorage)factory(sp, key),
            sp.GetRequiredService<Orleans.Serialization.Serializer>(),
            sp.GetRequiredService<MasterKeyRing>(),
            sp.GetRequiredService<ILogger<IntegrityCheckedGrainStorage>>()));
        return silo;
    }
}
