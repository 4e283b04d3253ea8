using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Grains.Trust;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Integration.Tests;

/// <summary>
/// A test root CA turns software-made quotes into verified evidence, so `orchestrator serve` trusts one only
/// with an explicit AllowTestRoots and never with durable state: each refusal is one line naming the key.
/// </summary>
public sealed class TestRootServeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("test-root-serve-").FullName;
    private readonly TestTee _tee = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_durable_silo_naming_a_test_root_refuses_to_start_even_with_allow_test_roots()
    {
        var root = _tee.WriteFiles(_dir).RootPemPath;
        var config = Write("durable.json", $$"""
            { "Orchestrator": { "Storage": "Postgres", "PostgresConnectionString": "Host=127.0.0.1;Port=1;Database=none;Username=none",
              "Secrets": { "MasterKeys": { "k1": "{{Convert.ToBase64String(new byte[32])}}" } },
              "Attestation": { "TestRootCertificate": "{{root}}", "AllowTestRoots": true },
              "SiloPort": {{LocalPorts.Free()}}, "GatewayPort": {{LocalPorts.Free()}} } }
            """);

        var (code, _, err) = await CliClusterTests.RunAsync(null, "serve", "--config", config);

        Assert.Equal(2, code);
        Assert.StartsWith("configuration error: ", err.Trim(), StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Attestation:TestRootCertificate names a test root CA, and this silo keeps durable state", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_in_memory_silo_naming_a_test_root_without_allow_test_roots_refuses_to_start()
    {
        var root = _tee.WriteFiles(_dir).RootPemPath;
        var config = Write("memory.json", $$"""
            { "Orchestrator": { "Attestation": { "TestRootCertificate": "{{root}}" },
              "SiloPort": {{LocalPorts.Free()}}, "GatewayPort": {{LocalPorts.Free()}} } }
            """);

        var (code, _, err) = await CliClusterTests.RunAsync(null, "serve", "--config", config);

        Assert.Equal(2, code);
        Assert.Contains("set Orchestrator:Attestation:AllowTestRoots=true", err, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rule_allows_a_test_root_only_in_memory_with_consent_and_a_readable_root()
    {
        var root = _tee.WriteFiles(_dir).RootPemPath;
        Assert.Null(TestRootRule.Check(new AttestationOptions(), durableState: true));
        Assert.Null(TestRootRule.Check(new AttestationOptions { TestRootCertificate = root, AllowTestRoots = true }, durableState: false));
        Assert.Equal([_tee.RootSha256Hex], TestRootRule.TrustedTestRoots(new AttestationOptions { TestRootCertificate = root, AllowTestRoots = true }, durableState: false));
        Assert.Empty(TestRootRule.TrustedTestRoots(new AttestationOptions { AllowTestRoots = true }, durableState: false));

        var missing = TestRootRule.Check(new AttestationOptions { TestRootCertificate = Path.Combine(_dir, "absent.pem"), AllowTestRoots = true }, durableState: false);
        Assert.StartsWith("Orchestrator:Attestation:TestRootCertificate: ", missing, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => TestRootRule.TrustedTestRoots(new AttestationOptions { TestRootCertificate = root }, durableState: false));
    }

    public void Dispose()
    {
        _tee.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}

/// <summary>The silo's configured verifier (the same registration a silo uses) trusts the test root only with consent.</summary>
public sealed class TestRootVerifierTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("test-root-verifier-").FullName;
    private readonly TestTee _tee = new(DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_configured_test_root_and_collateral_directory_verify_a_test_quote_and_consent_is_required()
    {
        var files = _tee.WriteFiles(_dir);
        var quote = _tee.TdxQuote(new byte[64]);

        await using (var allowed = Provider(files, allow: true))
        {
            var result = await allowed.GetRequiredService<Orchestrator.Attestation.Verification.IEvidenceVerifier>().VerifyAsync(quote, _tee.At);
            Assert.True(result.IsVerified, result.FailureMessage);
            Assert.False(result.Simulated);
        }

        await using var refused = Provider(files, allow: false);
        var error = Assert.Throws<InvalidOperationException>(() => refused.GetRequiredService<Orchestrator.Attestation.Verification.IEvidenceVerifier>());
        Assert.Contains("AllowTestRoots=true", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _tee.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static ServiceProvider Provider(TestTeeFiles files, bool allow)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestrator:Attestation:TestRootCertificate"] = files.RootPemPath,
            ["Orchestrator:Attestation:AllowTestRoots"] = allow ? "true" : "false",
            ["Orchestrator:Attestation:CollateralDirectory"] = files.CollateralDirectory,
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton(new Orchestrator.Grains.Infrastructure.OrchestratorClock(TimeProvider.System));
        services.AddOrchestratorAttestation();
        return services.BuildServiceProvider();
    }
}
