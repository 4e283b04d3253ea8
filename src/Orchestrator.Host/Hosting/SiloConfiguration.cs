using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orchestrator.Bridge;
using Orchestrator.Grains;

namespace Orchestrator.Host.Hosting;

/// <summary>Configures an Orleans silo from <see cref="OrchestratorOptions"/>: one place for every storage, clustering and reminder switch.</summary>
public static class SiloConfiguration
{
    /// <summary>Registers validated options.</summary>
    public static IServiceCollection AddOrchestratorOptions(this IServiceCollection services)
    {
        services.AddOptions<OrchestratorOptions>().BindConfiguration(OrchestratorOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<OrchestratorOptions>, OrchestratorOptionsValidator>();
        services.AddOptions<Grains.Infrastructure.SchedulingOptions>().BindConfiguration(Grains.Infrastructure.SchedulingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>Applies the options to a silo builder and registers the grains' services.</summary>
    public static ISiloBuilder ConfigureOrchestratorSilo(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = ValidatedOptions(configuration);
        silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
        {
            o.ClusterId = options.ClusterId;
            o.ServiceId = options.ServiceId;
        });

        ConfigureClusteringAndStorage(silo, options);

        silo.UseClusterTls(options.ClusterTls);

        if (options.Storage == StorageKind.Postgres)
        {
            // Durable states that decide trust carry a MAC checked on load (a database writer cannot forge
            // them); in-memory state has no such writer. The silo refuses to start without a usable key.
            Persistence.Integrity.StateIntegrity.AddStateIntegrity(silo);
        }

        if (options.AdvertisedIp is { } ip)
        {
            silo.Configure<Orleans.Configuration.EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Parse(ip));
        }

        if (!string.IsNullOrWhiteSpace(options.SiloName))
        {
            silo.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = options.SiloName);
        }

        // Activity.Current flows through grain calls, so a gRPC request's trace continues into the grains: when spans are
        // recorded. The propagation filters put every grain call, in and out, through Orleans' filter pipeline (an invoker
        // with its state machine and continuations per call, about a tenth of a lifecycle's allocations), for nothing when
        // no span is kept.
        if ((configuration.GetSection(Observability.TelemetryOptions.Section).Get<Observability.TelemetryOptions>() ?? new()).TracesEnabled)
        {
            silo.AddActivityPropagation();
        }

        AddOrchestratorServices(silo, options, configuration);
        return silo;
    }

    /// <summary>The silo's options, or an <see cref="OptionsValidationException"/> naming every problem.</summary>
    private static OrchestratorOptions ValidatedOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(OrchestratorOptions.Section).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
        var errors = OrchestratorOptionsValidator.Check(options);
        if (configuration.GetValue<bool>(BridgeOptions.Section + ":Enabled") && options.Bus != BusKind.RabbitMq)
        {
            errors.Add("Orchestrator:Chain:Enabled needs Orchestrator:Bus = RabbitMq (the bridge consumes its durable queues, and the in-memory bus would hold grain turns until the chain confirms)");
        }

        if (options.Storage == StorageKind.Postgres
            && Persistence.Integrity.DurableStateNeedsMasterKey.Check(configuration.GetSection(Grains.Secrets.SecretsOptions.Section).Get<Grains.Secrets.SecretsOptions>() ?? new()) is { } keyError)
        {
            errors.Add(keyError); // said here, before the host starts, as the other configuration errors are
        }

        var attestation = configuration.GetSection(Grains.Trust.AttestationOptions.Section).Get<Grains.Trust.AttestationOptions>() ?? new();
        if (Grains.Trust.TestRootRule.Check(attestation, durableState: options.Storage == StorageKind.Postgres) is { } testRootError)
        {
            errors.Add(testRootError);
        }

        if (errors.Count > 0)
        {
            throw new OptionsValidationException(OrchestratorOptions.Section, typeof(OrchestratorOptions), errors);
        }

        return options;
    }

    /// <summary>Clustering, grain storage and reminders, each in memory or on PostgreSQL.</summary>
    private static void ConfigureClusteringAndStorage(ISiloBuilder silo, OrchestratorOptions options)
    {
        switch (options.Clustering)
        {
            case ClusteringKind.Localhost:
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
                break;
            case ClusteringKind.Postgres:
                break; // PostgresSilo.Configure below
        }

        switch (options.Storage)
        {
            case StorageKind.Memory:
                silo.AddOrchestratorMemoryStorage(singleSilo: options.Clustering == ClusteringKind.Localhost);
                break;
            case StorageKind.Postgres:
                break; // PostgresSilo.Configure below
        }

        switch (options.Reminders ?? options.Storage)
        {
            case StorageKind.Memory:
                silo.UseInMemoryReminderService();
                break;
            case StorageKind.Postgres:
                break; // PostgresSilo.Configure below
        }

        if (options.Storage == StorageKind.Postgres || options.Clustering == ClusteringKind.Postgres || (options.Reminders ?? options.Storage) == StorageKind.Postgres)
        {
            Persistence.PostgresSilo.Configure(silo, options);
        }
    }

    /// <summary>The bus, the chain bridge, the categories and the grains' services.</summary>
    private static void AddOrchestratorServices(ISiloBuilder silo, OrchestratorOptions options, IConfiguration configuration)
    {
        if (options.Bus == BusKind.RabbitMq)
        {
            silo.Services.AddRabbitMqBus(configuration);
        }
        else
        {
            silo.Services.AddInMemoryEventBus();
        }

        silo.Services.AddChainBridge(configuration, options.PostgresConnectionString);
        if (options.Categories.Count > 0)
        {
            silo.Services.AddSingleton(new Domain.Deals.CategoryCatalog(options.Categories.Select(c => new Domain.Deals.Category(c.Id, c.Name, c.Timeref))));
        }

        silo.Services.AddOrchestratorGrains();
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.AddOrchestratorResultStore(configuration, options);
        if (options.Storage == StorageKind.Memory && options.Clustering == ClusteringKind.Localhost)
        {
            // The embedded default: state dies with the process, so may the secret service's master key.
            // Anything durable or clustered must configure Orchestrator:Secrets:MasterKeys (or MasterKeyDirectory).
            silo.Services.PostConfigure<Grains.Secrets.SecretsOptions>(o => o.AllowEphemeralMasterKey = true);
        }
    }
}

/// <summary>Cross-field checks with messages that name the key and the expected value.</summary>
public sealed class OrchestratorOptionsValidator : IValidateOptions<OrchestratorOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OrchestratorOptions options)
    {
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem, each naming its key.</summary>
    public static List<string> Check(OrchestratorOptions options)
    {
        var errors = new List<string>();
        var usesPostgres = options.Storage == StorageKind.Postgres || options.Clustering == ClusteringKind.Postgres || options.Reminders == StorageKind.Postgres;
        if (usesPostgres && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            errors.Add("Orchestrator:PostgresConnectionString is required when Storage, Clustering or Reminders is Postgres (e.g. \"Host=127.0.0.1;Database=orchestrator;Username=orchestrator;Password=...\")");
        }

        if (options.SiloPort == options.GatewayPort)
        {
            errors.Add($"Orchestrator:SiloPort and Orchestrator:GatewayPort must differ (both are {options.SiloPort})");
        }

        if (options.ShutdownTimeout <= TimeSpan.Zero || options.ShutdownTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Orchestrator:ShutdownTimeout must be between 00:00:01 and 00:10:00, got {options.ShutdownTimeout}");
        }

        if (!Enum.IsDefined(options.Bus))
        {
            errors.Add($"Orchestrator:Bus must be Memory or RabbitMq, got '{options.Bus}'");
        }

        if (options.AdvertisedIp is { } ip && !IPAddress.TryParse(ip, out _))
        {
            errors.Add($"Orchestrator:AdvertisedIp must be an IP address, got '{ip}'");
        }

        errors.AddRange(ClusterTls.Check(options.ClusterTls));
        var ids = new HashSet<int>();
        for (var i = 0; i < options.Categories.Count; i++)
        {
            var category = options.Categories[i];
            if (category.Id is < 5 or > 1_000_000) errors.Add($"Orchestrator:Categories:{i}:Id must be 5..1000000 (0..4 are PoCo's XS..XL), got {category.Id}");
            else if (!ids.Add(category.Id)) errors.Add($"Orchestrator:Categories:{i}:Id {category.Id} is listed twice");
            if (string.IsNullOrWhiteSpace(category.Name)) errors.Add($"Orchestrator:Categories:{i}:Name is required");
            if (category.Timeref <= TimeSpan.Zero) errors.Add($"Orchestrator:Categories:{i}:Timeref must be positive (e.g. \"00:00:30\")");
        }

        return errors;
    }
}
