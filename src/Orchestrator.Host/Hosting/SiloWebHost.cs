using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Api.Hosting;
using Orchestrator.Host.Observability;

namespace Orchestrator.Host.Hosting;

/// <summary>
/// The silo's web side: the gRPC API (and whatever else maps beside it) on Kestrel when
/// Orchestrator:Api:Enabled; otherwise no listening socket at all, so a silo without the API opens
/// no port it was not told to.
/// </summary>
public static class SiloWebHost
{
    /// <summary>Adds the API's services to a silo's web builder (no-op server when the API is disabled).</summary>
    public static WebApplicationBuilder AddSiloWeb(this WebApplicationBuilder builder)
    {
        if (IsApiEnabled(builder.Configuration))
        {
            builder.AddOrchestratorApi();
        }
        else
        {
            builder.Services.AddSingleton<IServer, NoServer>();
        }

        return builder;
    }

    /// <summary>Builds the silo host and maps its endpoints.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        builder.AddSiloWeb();
        var app = builder.Build();
        if (IsApiEnabled(app.Configuration))
        {
            app.UseApiRateLimits((app.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions()).Limits);
            app.MapOrchestratorApi();
            app.MapOrchestratorObservability();
        }

        return app;
    }

    /// <summary>Whether the configuration turns the gRPC API on.</summary>
    public static bool IsApiEnabled(IConfiguration configuration) => configuration.GetValue<bool>($"{ApiOptions.Section}:Enabled");

    /// <summary>A server that listens nowhere (the silo runs without HTTP).</summary>
    private sealed class NoServer : IServer
    {
        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
