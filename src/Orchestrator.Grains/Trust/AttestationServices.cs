using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Providers;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Secrets;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Secrets;

namespace Orchestrator.Grains.Trust;

/// <summary>Registers evidence verification (collateral from a PCCS/PCS or files, cached and refreshed in the background) and the secret service.</summary>
public static class AttestationServices
{
    /// <summary>Adds the verifier, the collateral cache and its refresher, the app-policy cache, the master keys and the envelope.</summary>
    public static IServiceCollection AddOrchestratorAttestation(this IServiceCollection services)
    {
        services.AddOptions<AttestationOptions>().BindConfiguration(AttestationOptions.Section);
        services.AddOptions<SecretsOptions>().BindConfiguration(SecretsOptions.Section);
        services.TryAddSingleton(sp => new CachingCollateralProvider(
            CollateralSource(sp.GetRequiredService<IOptions<AttestationOptions>>().Value),
            sp.GetRequiredService<OrchestratorClock>().Time,
            CacheOptions(sp.GetRequiredService<IOptions<AttestationOptions>>().Value)));
        services.TryAddSingleton<IEvidenceVerifier>(sp =>
        {
            var o = sp.GetRequiredService<IOptions<AttestationOptions>>().Value;
            var simulated = new SimulatedEvidenceVerifier(o.TrustedSimulatorKeys.Count > 0 ? o.TrustedSimulatorKeys : null);
            // The host refuses a durable silo with a test root before it starts (TestRootRule with its storage);
            // here the explicit AllowTestRoots is still required.
            var dcap = new QuoteVerificationOptions { TestRootsSha256Hex = TestRootRule.TrustedTestRoots(o, durableState: false) };
            return new EvidenceVerifier(sp.GetRequiredService<CachingCollateralProvider>(), dcap, simulated);
        });
        services.TryAddSingleton(sp => new CollateralRefreshService(
            sp.GetRequiredService<CachingCollateralProvider>(), sp.GetRequiredService<OrchestratorClock>().Time,
            sp.GetRequiredService<IOptions<AttestationOptions>>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<CollateralRefreshService>>(),
            sp.GetRequiredService<CollateralChangeFanOut>()));
        services.TryAddSingleton<CollateralChangeFanOut>();
        services.AddHostedService(sp => sp.GetRequiredService<CollateralRefreshService>());
        services.TryAddSingleton<AppPolicyCache>();
        services.TryAddSingleton<MasterKeyRing>();
        services.TryAddSingleton<IMasterKeys>(sp => sp.GetRequiredService<MasterKeyRing>());
        services.TryAddSingleton<SecretEnvelope>();
        services.TryAddSingleton<SecretPushKey>();
        services.AddHostedService<MasterKeyStartupCheck>();
        return services;
    }

    /// <summary>The configured collateral source: a PCCS/PCS endpoint, else a directory, else none (DCAP evidence then fails with missing collateral).</summary>
    public static ICollateralProvider CollateralSource(AttestationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.PcsUrl))
        {
            var http = new HttpClient { Timeout = options.PcsTimeout };
            return new PcsCollateralProvider(http, new PcsOptions
            {
                BaseUri = new Uri(options.PcsUrl),
                RootCaCrlUri = string.IsNullOrWhiteSpace(options.RootCaCrlUrl) ? null : new Uri(options.RootCaCrlUrl),
                Update = options.PcsUpdate,
            });
        }

        return !string.IsNullOrWhiteSpace(options.CollateralDirectory)
            ? new FileCollateralProvider(options.CollateralDirectory)
            : new NoCollateralProvider();
    }

    private static CollateralCacheOptions CacheOptions(AttestationOptions o) => new()
    {
        RefreshAhead = o.CollateralRefreshAhead,
        RetryAfterFailure = o.CollateralRetryAfterFailure,
        MaxAge = o.CollateralMaxAge,
    };

    /// <summary>No source configured: every request fails with a message naming the keys to set.</summary>
    private sealed class NoCollateralProvider : ICollateralProvider
    {
        public Task<QuoteCollateral> GetCollateralAsync(CollateralRequest request, CancellationToken cancellationToken = default) =>
            throw new CollateralUnavailableException(
                $"no collateral source is configured for {request.Key}: set {AttestationOptions.Section}:PcsUrl (a PCCS or Intel PCS) or {AttestationOptions.Section}:CollateralDirectory (air-gapped files)");
    }
}
