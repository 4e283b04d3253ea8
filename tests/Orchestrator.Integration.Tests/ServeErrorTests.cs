using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Integration.Tests;

/// <summary>
/// `orchestrator serve` as a new user meets it, a real process each time: a mistake ends in one line
/// naming its cause, exit 2, no stack trace, and no silo started.
/// </summary>
public sealed class ServeErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("serve-errors-").FullName;

    [Fact]
    public async Task A_silo_port_held_by_another_process_is_named_in_one_line()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var taken = ((IPEndPoint)holder.LocalEndpoint).Port;
        var config = Write("taken.json", $$"""{ "Orchestrator": { "SiloPort": {{taken}}, "GatewayPort": {{LocalPorts.Free()}} } }""");

        var (code, _, err) = await CliClusterTests.RunAsync(null, "serve", "--config", config);

        AssertOneLine(code, err, $"error: port {taken} (Orchestrator:SiloPort) is already in use");
    }

    [Fact]
    public async Task Malformed_json_names_the_file_and_the_line()
    {
        var config = Write("broken.json", "{\n  \"Orchestrator\": {\n    \"SiloPort\": 11111,,\n  }\n}");

        var (code, _, err) = await CliClusterTests.RunAsync(null, "serve", "--config", config);

        AssertOneLine(code, err, "configuration error: ");
        Assert.Contains("broken.json", err, StringComparison.Ordinal);
        Assert.Contains("LineNumber: 2", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_or_a_missing_file_given_as_the_configuration_is_refused()
    {
        var (code, _, err) = await CliClusterTests.RunAsync(null, "serve", "--config", _dir);
        AssertOneLine(code, err, "configuration error: ");
        Assert.Contains("is a directory", err, StringComparison.Ordinal);

        (code, _, err) = await CliClusterTests.RunAsync(null, "serve", "--config", Path.Combine(_dir, "absent.json"));
        AssertOneLine(code, err, "configuration error: file ");
        Assert.Contains("does not exist", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Durable_state_without_a_master_key_is_refused_rather_than_stored_without_its_mac()
    {
        // No database is reached: the options are checked before the silo starts.
        var config = Write("no-key.json", $$"""
            { "Orchestrator": { "Storage": "Postgres", "PostgresConnectionString": "Host=127.0.0.1;Port=1;Database=none;Username=none",
              "SiloPort": {{LocalPorts.Free()}}, "GatewayPort": {{LocalPorts.Free()}} } }
            """);

        var (code, _, err) = await CliClusterTests.RunAsync(null, "serve", "--config", config);

        AssertOneLine(code, err, "configuration error: ");
        Assert.Contains("durable state (Orchestrator:Storage=Postgres)", err, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Secrets:MasterKeys", err, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertOneLine(int code, string err, string prefix)
    {
        Assert.Equal(2, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr, got:\n" + err);
        Assert.StartsWith(prefix, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }
}

/// <summary>The rule behind the refusal above, without a process: which secret settings a durable silo accepts.</summary>
public sealed class DurableStateNeedsMasterKeyTests
{
    [Fact]
    public void A_key_that_dies_with_the_process_is_refused_for_durable_state()
    {
        var ephemeral = new Orchestrator.Grains.Secrets.SecretsOptions { AllowEphemeralMasterKey = true };
        Assert.Contains("must outlive the process", Orchestrator.Host.Persistence.Integrity.DurableStateNeedsMasterKey.Check(ephemeral), StringComparison.Ordinal);

        var configured = new Orchestrator.Grains.Secrets.SecretsOptions { AllowEphemeralMasterKey = true };
        configured.MasterKeys["k1"] = Convert.ToBase64String(new byte[32]);
        Assert.Null(Orchestrator.Host.Persistence.Integrity.DurableStateNeedsMasterKey.Check(configured));

        var malformed = new Orchestrator.Grains.Secrets.SecretsOptions();
        malformed.MasterKeys["k1"] = "not base64!";
        Assert.Contains("Orchestrator:Secrets:MasterKeys:k1", Orchestrator.Host.Persistence.Integrity.DurableStateNeedsMasterKey.Check(malformed), StringComparison.Ordinal);
    }
}
