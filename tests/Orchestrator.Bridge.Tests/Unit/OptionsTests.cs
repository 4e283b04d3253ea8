using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orchestrator.Bridge.Bus;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Bridge.Tests.Unit;

public sealed class OptionsTests
{
    [Fact]
    public void AnEnabledBridgeNamesEveryMissingKey()
    {
        var errors = new BridgeOptions { Enabled = true, SchedulerKey = "0x12", BatchSize = 0, BumpPercent = 5 }.Check();
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Chain:RpcUrl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Chain:HubAddress", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Chain:PoolAddress", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Chain:SchedulerKey", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Chain:BatchSize", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:Chain:BumpPercent", StringComparison.Ordinal));
        Assert.Empty(new BridgeOptions().Check()); // off: nothing required
    }

    [Fact]
    public void TheResultBaseIsTheConfiguredPublicUrlWithoutItsTrailingSlashAndABadOneNamesTheKey()
    {
        var configured = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:Results:PublicBaseUrl"] = "https://pool.example.org/api/" }).Build();
        var options = configured.GetSection(ResultPointerOptions.Section).Get<ResultPointerOptions>()!;
        Assert.Empty(options.Check());
        Assert.Equal("https://pool.example.org/api", options.ResultBase);
        Assert.Equal(string.Empty, new ResultPointerOptions().ResultBase); // unset: no pointer, no error
        Assert.Empty(new ResultPointerOptions().Check());

        Assert.StartsWith("Orchestrator:Results:PublicBaseUrl must be an absolute http(s) URL", Assert.Single(new ResultPointerOptions { PublicBaseUrl = new Uri("ftp://pool.example.org") }.Check()), StringComparison.Ordinal);
        Assert.Contains("no query", Assert.Single(new ResultPointerOptions { PublicBaseUrl = new Uri("https://pool.example.org/?a=1") }.Check()), StringComparison.Ordinal);
        Assert.Contains("at most 1024 bytes", Assert.Single(new ResultPointerOptions { PublicBaseUrl = new Uri("https://pool.example.org/" + new string('a', 1_100)) }.Check()), StringComparison.Ordinal);
    }

    [Fact]
    public void RabbitMqOptionsNameTheirKeys()
    {
        var errors = new RabbitMqOptions { Host = "", Port = 0, RetryInterval = TimeSpan.Zero }.Check();
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:RabbitMq:Host", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:RabbitMq:Port", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Orchestrator:RabbitMq:RetryInterval", StringComparison.Ordinal));
    }

    [Fact]
    public void TheBridgeOnTheInMemoryBusIsRefusedAtStartWithTheKeys()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => EmbeddedCluster.CreateBuilder([], null, b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestrator:Chain:Enabled"] = "true",
        })));
        Assert.Contains(ex.Failures, f => f.Contains("Orchestrator:Bus = RabbitMq", StringComparison.Ordinal));
    }

    [Fact]
    public void AnUnknownBusKindIsABindingErrorNamingTheValue()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Orchestrator:Bus"] = "Kafka" }).Build();
        var ex = Assert.Throws<InvalidOperationException>(() => configuration.GetSection("Orchestrator").Get<OrchestratorOptions>());
        Assert.Contains("Kafka", ex.Message + ex.InnerException?.Message, StringComparison.Ordinal);
    }
}
