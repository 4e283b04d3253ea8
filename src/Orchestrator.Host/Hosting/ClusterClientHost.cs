using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Orchestrator.Host.Hosting;

/// <summary>
/// An Orleans client for a running cluster, configured from the same file and keys as the silos
/// (section "Orchestrator": ClusterId, ServiceId, Clustering, GatewayPort, PostgresConnectionString).
/// </summary>
public static class ClusterClientHost
{
    /// <summary>Starts a client host; with no file, the embedded default (a silo on this machine's gateway port).</summary>
    public static async Task<IHost> StartAsync(string? configFile, CancellationToken cancellationToken)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        builder.Configuration.AddEnvironmentVariables();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Logs go to stderr: stdout carries the commands' output (JSON, the demo's summary).
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        var options = builder.Configuration.GetSection(OrchestratorOptions.Section).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
        var errors = OrchestratorOptionsValidator.Check(options);
        if (errors.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(OrchestratorOptions.Section, typeof(OrchestratorOptions), errors);
        }

        builder.UseOrleansClient(client =>
        {
            client.AddActivityPropagation();
            client.UseClusterTls(options.ClusterTls);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ServiceId;
            });
            if (options.Clustering == ClusteringKind.Postgres)
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = Persistence.PostgresSilo.Invariant;
                    o.ConnectionString = options.PostgresConnectionString;
                });
            }
            else
            {
                client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
            }
        });

        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
