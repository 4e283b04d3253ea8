using Amazon.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orchestrator.Api.Results;
using Orchestrator.Api.Results.Postgres;
using Orchestrator.Api.Results.S3;

namespace Orchestrator.Host.Hosting;

/// <summary>
/// Picks the result store from Orchestrator:Results:Store. Auto (the default) means PostgreSQL whenever
/// grain state is in PostgreSQL (so every silo reads every result and results survive restarts), else
/// the local directory of the embedded dev configuration.
/// </summary>
public static class ResultStoreSelection
{
    /// <summary>The store the configuration asks for, Auto resolved.</summary>
    public static ResultStoreKind Resolve(ResultsOptions results, OrchestratorOptions options)
        => results.Store != ResultStoreKind.Auto ? results.Store
            : options.Storage == StorageKind.Postgres ? ResultStoreKind.Postgres
            : ResultStoreKind.FileSystem;

    /// <summary>Every problem with Orchestrator:Results, each naming its key (never a credential's value).</summary>
    public static List<string> Check(ResultsOptions results, OrchestratorOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(results.Store))
        {
            errors.Add($"Orchestrator:Results:Store must be Auto, FileSystem, Postgres or S3, got '{results.Store}'");
        }

        if (results.Retention < TimeSpan.Zero)
        {
            errors.Add($"Orchestrator:Results:Retention must be zero (keep forever) or positive (e.g. \"30.00:00:00\"), got {results.Retention}");
        }

        if (results.SweepInterval <= TimeSpan.Zero)
        {
            errors.Add($"Orchestrator:Results:SweepInterval must be positive (e.g. \"01:00:00\"), got {results.SweepInterval}");
        }

        if (results.SweepBatch <= 0)
        {
            errors.Add($"Orchestrator:Results:SweepBatch must be positive, got {results.SweepBatch}");
        }

        var kind = Resolve(results, options);
        if (kind == ResultStoreKind.Postgres && string.IsNullOrWhiteSpace(options.PostgresConnectionString))
        {
            errors.Add("Orchestrator:PostgresConnectionString is required when Orchestrator:Results:Store is Postgres");
        }

        if (kind == ResultStoreKind.S3)
        {
            errors.AddRange(results.S3.Check());
        }

        return errors;
    }

    /// <summary>Registers the chosen <see cref="IResultStore"/> (before the API's FileSystem default, which it replaces).</summary>
    public static IServiceCollection AddOrchestratorResultStore(this IServiceCollection services, IConfiguration configuration, OrchestratorOptions options)
    {
        var results = configuration.GetSection(ResultsOptions.Section).Get<ResultsOptions>() ?? new ResultsOptions();
        var errors = Check(results, options);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(ResultsOptions.Section, typeof(ResultsOptions), errors);
        }

        switch (Resolve(results, options))
        {
            case ResultStoreKind.Postgres:
                // The silo's one bounded data source when a part of the silo already uses PostgreSQL.
                services.TryAddSingleton(_ => Persistence.PostgresDataSource.Create(options.PostgresConnectionString!));
                services.AddSingleton<IResultStore>(sp => new PostgresResultStore(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TimeProvider>()));
                break;
            case ResultStoreKind.S3:
                services.AddSingleton<IAmazonS3>(_ => S3Client.Create(results.S3));
                services.AddSingleton<IResultStore>(sp => new S3ResultStore(sp.GetRequiredService<IAmazonS3>(), results.S3, sp.GetRequiredService<TimeProvider>()));
                break;
            default:
                break; // the API's FileSystemResultStore
        }

        return services;
    }
}
