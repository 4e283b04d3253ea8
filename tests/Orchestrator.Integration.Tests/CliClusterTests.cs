using System.Diagnostics;
using System.Text.Json;

namespace Orchestrator.Integration.Tests;

/// <summary>
/// The command line against a real silo process: `orchestrator serve` in one process, `deal submit`
/// and `deal status` in others, through the silo's gRPC admin API with the owner's token; no cluster
/// file and no gateway connection on the client side. The silo serves https with the certificate
/// docker-compose's script issues (deploy/certs/issue.sh), and the CLI trusts that private CA with --ca.
/// </summary>
public sealed class CliClusterTests : IDisposable
{
    private const string Token = "cli-owner-token-0123456789";
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"orchestrator-cli-{Guid.NewGuid():n}.json");
    private readonly string _certificates = Directory.CreateTempSubdirectory("orchestrator-cli-certs-").FullName;
    private readonly System.Text.StringBuilder _siloErrors = new();
    private Process? _silo;

    [Fact]
    public async Task A_deal_submitted_through_the_api_with_the_token_is_visible_and_refused_without_it()
    {
        var api = $"https://127.0.0.1:{LocalPorts.Free()}";
        var clusterId = $"cli-{Guid.NewGuid():n}"[..20];
        Commands.Run("sh", [Repository.PathOf("deploy", "certs", "issue.sh"), _certificates], TimeSpan.FromMinutes(1));
        var ca = Path.Combine(_certificates, "ca.pem");
        await File.WriteAllTextAsync(_config, JsonSerializer.Serialize(new
        {
            Orchestrator = new
            {
                ClusterId = clusterId,
                SiloPort = LocalPorts.Free(),
                GatewayPort = LocalPorts.Free(),
                Api = new
                {
                    Enabled = true,
                    Url = api,
                    CertificatePath = Path.Combine(_certificates, "api.pem"),
                    CertificateKeyPath = Path.Combine(_certificates, "api.key"),
                    AdminToken = Token,
                    ResultDirectory = Path.Combine(Path.GetTempPath(), clusterId),
                },
            },
        }));
        _silo = Start(_siloErrors, "serve", "--config", _config);

        // The silo needs a few seconds to open its API; submitting again is harmless because a refused
        // connection never reached the deal grain.
        var submit = await Eventually.ForAsync(
            "the silo's API to take a deal",
            async () =>
            {
                Assert.False(_silo.HasExited, $"the silo exited: {SiloErrors()}");
                return await RunAsync(null, "deal", "submit", "--api", api, "--ca", ca, "--token", Token, "--tasks", "4", "--trust", "1");
            },
            r => !r.Err.Contains("Unavailable", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            describe: r => $"exit {r.Code}: {r.Err}");

        Assert.True(submit.Code == 0, $"submit exited {submit.Code}: {submit.Err}");
        var dealId = JsonDocument.Parse(submit.Out).RootElement.GetProperty("dealId").GetString()!;

        // The token from the environment works as well as --token.
        var status = await RunAsync(Token, "deal", "status", "--api", api, "--ca", ca, dealId);
        Assert.True(status.Code == 0, $"status exited {status.Code}: {status.Err}");
        var view = JsonDocument.Parse(status.Out).RootElement;
        Assert.Equal(dealId, view.GetProperty("dealId").GetString());
        Assert.Equal(4, view.GetProperty("botSize").GetInt32());
        Assert.Equal(4, view.GetProperty("open").GetInt32());

        // Without the token nothing is sent; with a wrong one the silo refuses, and no deal is created.
        var anonymous = await RunAsync(null, "deal", "submit", "--api", api, "--ca", ca, "--tasks", "4", "--trust", "1");
        Assert.Equal(2, anonymous.Code);
        Assert.Contains("token is needed", anonymous.Err, StringComparison.Ordinal);
        var wrong = await RunAsync(null, "deal", "submit", "--api", api, "--ca", ca, "--token", "not-the-owner-token-0000", "--tasks", "4", "--trust", "1");
        Assert.Equal(3, wrong.Code);
        Assert.Contains("Unauthenticated", wrong.Err, StringComparison.Ordinal);
        Assert.Equal(string.Empty, wrong.Out);

        var unknown = await RunAsync(Token, "deal", "status", "--api", api, "--ca", ca, "0x" + new string('a', 64));
        Assert.Equal(1, unknown.Code);
        Assert.Contains("NotFound", unknown.Err, StringComparison.Ordinal);

        // The silo's certificate is from a private CA: without --ca the CLI does not trust it and sends nothing.
        var untrusted = await RunAsync(Token, "deal", "status", "--api", api, dealId);
        Assert.Equal(3, untrusted.Code);
        Assert.Contains("SSL", untrusted.Err, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(string.Empty, untrusted.Out);
        var missingCa = await RunAsync(Token, "deal", "status", "--api", api, "--ca", Path.Combine(_certificates, "absent.pem"), dealId);
        Assert.Equal(2, missingCa.Code);
        Assert.Contains("--ca", missingCa.Err, StringComparison.Ordinal);

        // The demo against the running pool through its doors only: authorize, sessions, deal, revoke.
        var demo = await RunAsync(Token, "demo", "--api", api, "--ca", ca, "--tasks", "12", "--workers", "3", "--trust", "1", "--timeout", "120");
        Assert.True(demo.Code == 0, $"demo exited {demo.Code}: {demo.Err}\n{demo.Out}");
        Assert.Contains("12/12", demo.Out, StringComparison.Ordinal);
        Assert.Contains("every task reached a final status", demo.Out, StringComparison.Ordinal);
        var workers = await RunAsync(Token, "pool", "workers", "--api", api, "--ca", ca);
        Assert.True(workers.Code == 0, workers.Err);
        var listed = JsonDocument.Parse(workers.Out).RootElement.GetProperty("workers").EnumerateArray().ToList();
        Assert.Equal(3, listed.Count);
        Assert.All(listed, w => Assert.False(w.GetProperty("authorized").GetBoolean(), "the demo revokes its workers when it ends"));

        // The token is never sent in clear to another machine: refused before any connection.
        var clear = await RunAsync(Token, "deal", "status", "--api", "http://192.0.2.1:5080", dealId);
        Assert.Equal(2, clear.Code);
        Assert.Contains("plain http to a host that is not this machine", clear.Err, StringComparison.Ordinal);

        var malformed = await RunAsync(Token, "deal", "status", "--api", api, "--ca", ca, "0x1234");
        Assert.Equal(2, malformed.Code);
        Assert.Contains("32-byte", malformed.Err, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (_silo is { HasExited: false })
        {
            _silo.Kill(entireProcessTree: true);
            _silo.WaitForExit(10_000);
        }

        _silo?.Dispose();
        File.Delete(_config);
        Directory.Delete(_certificates, recursive: true);
    }

    private string SiloErrors()
    {
        lock (_siloErrors)
        {
            return _siloErrors.ToString();
        }
    }

    /// <summary>Starts the CLI with both outputs drained (a full pipe would stall it); its error output goes to <paramref name="errors"/>.</summary>
    private static Process Start(System.Text.StringBuilder errors, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(BuiltCli.Path);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    internal static Task<(int Code, string Out, string Err)> RunAsync(string? tokenInEnvironment, params string[] args)
        => BuiltCli.RunAsync(args, tokenInEnvironment is null ? null : new Dictionary<string, string> { ["ORCHESTRATOR_ADMIN_TOKEN"] = tokenInEnvironment });
}
