using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Results;
using Orchestrator.Api.Results.Postgres;
using Orchestrator.Api.Results.S3;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Api.Tests.Results;

/// <summary>Orchestrator:Results:Store: the default follows grain storage, and bad settings are refused by key.</summary>
public sealed class ResultStoreSelectionTests
{
    [Theory]
    [InlineData(ResultStoreKind.Auto, StorageKind.Postgres, ResultStoreKind.Postgres)]
    [InlineData(ResultStoreKind.Auto, StorageKind.Memory, ResultStoreKind.FileSystem)]
    [InlineData(ResultStoreKind.S3, StorageKind.Postgres, ResultStoreKind.S3)]
    [InlineData(ResultStoreKind.FileSystem, StorageKind.Postgres, ResultStoreKind.FileSystem)]
    public void Auto_means_postgres_whenever_grain_state_is_there(ResultStoreKind asked, StorageKind storage, ResultStoreKind resolved)
        => Assert.Equal(resolved, ResultStoreSelection.Resolve(new ResultsOptions { Store = asked }, new OrchestratorOptions { Storage = storage }));

    [Fact]
    public void The_chosen_backend_is_the_registered_store()
    {
        Assert.IsType<PostgresResultStore>(StoreFor(new() { ["Orchestrator:Storage"] = "Postgres", ["Orchestrator:PostgresConnectionString"] = "Host=127.0.0.1;Database=x;Username=u;Password=p" }));
        Assert.IsType<S3ResultStore>(StoreFor(new() { ["Orchestrator:Results:Store"] = "S3", ["Orchestrator:Results:S3:Bucket"] = "b", ["Orchestrator:Results:S3:ServiceUrl"] = "http://127.0.0.1:1" }));
        Assert.Null(StoreFor([])); // the API's FileSystem default applies
    }

    [Fact]
    public void Bad_settings_are_refused_naming_each_key_and_never_a_secret()
    {
        var results = new ResultsOptions
        {
            Store = ResultStoreKind.S3,
            Retention = TimeSpan.FromDays(-1),
            S3 = new S3ResultOptions { ServiceUrl = "not a url", AccessKey = "AKIA-visible-id", SecretKey = null, PartBytes = 1024 },
        };

        var errors = ResultStoreSelection.Check(results, new OrchestratorOptions());

        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Results:Retention must be zero", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Results:S3:Bucket is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Results:S3:ServiceUrl must be an absolute URL", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Results:S3:AccessKey and SecretKey are set together", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Results:S3:PartBytes must be at least 5242880", StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains("AKIA-visible-id", StringComparison.Ordinal));
        Assert.Contains("Orchestrator:PostgresConnectionString is required when Orchestrator:Results:Store is Postgres",
            ResultStoreSelection.Check(new ResultsOptions { Store = ResultStoreKind.Postgres }, new OrchestratorOptions()));
    }

    [Fact]
    public void A_silo_with_bad_result_settings_does_not_start()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => StoreFor(new() { ["Orchestrator:Results:Store"] = "S3" }));
        Assert.Contains("Orchestrator:Results:S3:Bucket is required when Orchestrator:Results:Store is S3", ex.Failures);
    }

    private static IResultStore? StoreFor(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var options = configuration.GetSection(OrchestratorOptions.Section).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
        var services = new ServiceCollection().AddSingleton(TimeProvider.System);
        services.AddOrchestratorResultStore(configuration, options);
        using var provider = services.BuildServiceProvider();
        return provider.GetService<IResultStore>();
    }
}
