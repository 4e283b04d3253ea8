using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Host.Hosting;

/// <summary>Builds the silo host: with no configuration, one silo with in-memory storage, reminders and bus.</summary>
public static class EmbeddedCluster
{
    /// <summary>Creates a host builder for a silo; <paramref name="configure"/> may add configuration sources or services.</summary>
    public static HostApplicationBuilder CreateBuilder(string[] args, string? configFile = null, Action<HostApplicationBuilder>? configure = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        ConfigureSilo(builder, args, configFile, b => configure?.Invoke((HostApplicationBuilder)b));
        return builder;
    }

    /// <summary>
    /// Creates a web host builder for a silo that also serves HTTP (the gRPC API when
    /// Orchestrator:Api:Enabled); build it with <see cref="SiloWebHost.Build"/>.
    /// </summary>
    public static WebApplicationBuilder CreateWebBuilder(string[] args, string? configFile = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        ConfigureSilo(builder, args, configFile, b => configure?.Invoke((WebApplicationBuilder)b));
        return builder;
    }

    private static void ConfigureSilo(IHostApplicationBuilder builder, string[] args, string? configFile, Action<IHostApplicationBuilder> configure)
    {
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
            builder.Configuration.AddEnvironmentVariables();
            builder.Configuration.AddCommandLine(args);
        }

        // Orleans logs every placement through Polly at Information: far too much for a console.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Logs go to stderr: stdout carries the commands' output (JSON, the demo's summary).
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Orchestrator", LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // The watchdog measures its first interval from an unset start and warns spuriously at boot.
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);
        builder.Services.AddOrchestratorOptions();
        configure(builder);
        builder.UseOrleans(silo => silo.ConfigureOrchestratorSilo(builder.Configuration));
    }
}
