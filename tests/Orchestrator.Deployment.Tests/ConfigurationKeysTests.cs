using Orchestrator.Host.Hosting;

namespace Orchestrator.Deployment.Tests;

/// <summary>The key catalog itself: it finds the options classes and tells a real key from a misspelt one.</summary>
public sealed class ConfigurationKeysTests
{
    [Fact]
    public void The_catalog_knows_the_hosts_keys_and_refuses_misspellings()
    {
        Assert.Contains(typeof(OrchestratorOptions), ConfigurationKeys.OptionsTypes);
        Assert.True(ConfigurationKeys.IsKnown("Orchestrator__PostgresConnectionString"));
        Assert.True(ConfigurationKeys.IsKnown("Orchestrator:Telemetry:OtlpEndpoint"));
        Assert.True(ConfigurationKeys.IsKnown("orchestrator__scheduling__heartbeattimeout"));
        Assert.False(ConfigurationKeys.IsKnown("Orchestrator__PostgresConnectionStrng"));
        Assert.False(ConfigurationKeys.IsKnown("Orchestrator__Telemetry__TracesEnabled")); // get-only: not bound
        Assert.False(ConfigurationKeys.IsKnown("Orchestrator__Telemetry"));
    }
}
