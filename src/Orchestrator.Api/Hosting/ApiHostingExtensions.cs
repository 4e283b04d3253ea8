using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Admin;
using Orchestrator.Api.Results;
using Orchestrator.Api.Secrets;
using Orchestrator.Api.Security;
using Orchestrator.Api.Workers;

namespace Orchestrator.Api.Hosting;

/// <summary>
/// The API's wiring in two calls: <see cref="AddOrchestratorApi"/> on the silo's builder (services,
/// options, Kestrel endpoints) and <see cref="MapOrchestratorApi"/> on its endpoints (gRPC services,
/// JSON transcoding, health, reflection). Other endpoints (status pages, metrics) map beside it.
/// </summary>
public static class ApiHostingExtensions
{
    /// <summary>Adds the gRPC services, their options (section "Orchestrator:Api", validated at start) and the Kestrel binding.</summary>
    public static IHostApplicationBuilder AddOrchestratorApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.Section)).ValidateOnStart()
            .PostConfigure(o =>
            {
                // Session proofs bind the pool the chain knows, unless the API names one of its own.
                o.PoolAddress ??= configuration["Orchestrator:Chain:PoolAddress"];
                o.HubAddress ??= configuration["Orchestrator:Chain:HubAddress"];
                o.ChainId ??= configuration.GetValue<long?>("Orchestrator:Chain:ChainId")
                    ?? (configuration["Orchestrator:Chain:PoolAddress"] is null ? 0 : 31337); // the bridge's own default chain id (Orchestrator:Chain:ChainId)
            });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ApiOptions>, TrustedProxiesValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, KestrelEndpoints>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SessionRegistry>();
        services.TryAddSingleton<AuthorizedWorkers>();
        services.TryAddSingleton<WorkerRateLimits>();
        // One instance for every call (it holds only singletons): gRPC otherwise creates one per call, which a
        // held worker stream keeps for its whole life.
        services.TryAddSingleton<WorkerSessionService>();
        // Which image a deal runs: the version of the app its owner registered, pinned by the deal, or the
        // pool's configured image for an app nobody registered. A host may register its own before this.
        // Each answer is kept a second per deal (CachedAppImages): not one registry call per assignment.
        services.TryAddSingleton<ConfiguredAppImages>();
        services.TryAddSingleton<Registry.RegistryAppImages>();
        services.TryAddSingleton<IAppImages>(sp => new CachedAppImages(sp.GetRequiredService<Registry.RegistryAppImages>(), sp.GetRequiredService<TimeProvider>()));
        // The host picks the store (Orchestrator:Results:Store); without a host's choice, the local directory.
        services.TryAddSingleton<IResultStore, FileSystemResultStore>();
        services.AddOptions<ResultsOptions>().Bind(configuration.GetSection(ResultsOptions.Section));
        services.AddHostedService<ResultRetentionService>();
        services.TryAddSingleton<AdminToken>();
        services.TryAddSingleton<AdminAuthInterceptor>();
        services.TryAddSingleton<RequesterDownloads>();
        services.TryAddSingleton<BeneficiaryKeyRegistrations>();
        services.TryAddSingleton<Orders.OrderBookWrites>();
        services.TryAddSingleton<Orders.OrderMatches>();
        // Matched deals go to the deal grain unless the chain bridge registered the hub's matchOrders before.
        services.TryAddSingleton<Abstractions.Orders.IMatchedDeals, Orders.GrainMatchedDeals>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, SignedRequestMatcherPolicy>());

        var api = builder.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        services.AddApiRateLimits(api.Limits);
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = api.MaxMessageBytes;
            o.MaxSendMessageSize = api.MaxMessageBytes;
            o.EnableDetailedErrors = false; // statuses carry their own messages; exceptions stay in the logs
        })
        .AddJsonTranscoding()
        .AddServiceOptions<PoolAdminService>(o => o.Interceptors.Add<AdminAuthInterceptor>())
        .AddServiceOptions<Orders.OrderBookAdminService>(o => o.Interceptors.Add<AdminAuthInterceptor>())
        .AddOrchestratorSecretsApi();
        services.AddGrpcHealthChecks().AddCheck("orchestrator-api", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        services.AddGrpcReflection();
        return builder;
    }

    /// <summary>Maps the worker and admin services, gRPC health (grpc.health.v1) and server reflection.</summary>
    public static IEndpointRouteBuilder MapOrchestratorApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<WorkerSessionService>();
        endpoints.MapGrpcService<PoolAdminService>();
        endpoints.MapGrpcService<RequesterResultsService>();
        endpoints.MapGrpcService<Registry.RegistryService>();
        endpoints.MapGrpcService<Orders.OrderBookService>();
        endpoints.MapGrpcService<Orders.OrderBookAdminService>();
        endpoints.MapRequesterResultsHttp();
        endpoints.MapOrchestratorSecretsApi();
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        return endpoints;
    }
}
