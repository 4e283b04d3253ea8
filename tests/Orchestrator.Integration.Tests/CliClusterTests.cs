using System.Diagnostics;
using System.Text.Json;

namespace Orchestrator.Integration.Tests;

/// <summary>
/// The command line against a real silo process: `orchestrator serve` in one process, `deal submit`
/// and `deal status` as clients in others, over the silo's gateway on loopback.
/// </summary>
public sealed class CliClusterTests : IDisposable
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"orchestrator-cli-{Guid.NewGuid():n}.json");
    private Process? _silo;

    [Fact]
    public async Task A_deal_submitted_with_the_cli_is_visible_from_another_client()
    {
        var siloPort = LocalPorts.Free();
        var gatewayPort = LocalPorts.Free();
        var clusterId = $"cli-{Guid.NewGuid():n}"[..20];
        await File.WriteAllTextAsync(_config, JsonSerializer.Serialize(new
        {
            Orchestrator = new { ClusterId = clusterId, SiloPort = siloPort, GatewayPort = gatewayPort },
        }));
        _silo = Start("serve", "--config", _config);

        // The silo needs a few seconds to open its gateway; submitting is idempotent to retry because
        // each attempt that fails never reached a deal grain.
        var submit = await Eventually.ForAsync(
            "the silo's gateway to take a deal",
            async () =>
            {
                Assert.False(_silo.HasExited, "the silo exited: " + await _silo.StandardError.ReadToEndAsync());
                return await RunAsync("deal", "submit", "--cluster", _config, "--tasks", "3", "--trust", "1");
            },
            r => r.Code != 2 || !r.Err.Contains("could not reach", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            describe: r => $"exit {r.Code}: {r.Err}");

        Assert.True(submit.Code == 0, $"submit exited {submit.Code}: {submit.Err}");
        var dealId = JsonDocument.Parse(submit.Out).RootElement.GetProperty("dealId").GetString()!;

        var status = await RunAsync("deal", "status", "--cluster", _config, dealId);
        Assert.True(status.Code == 0, $"status exited {status.Code}: {status.Err}");
        var view = JsonDocument.Parse(status.Out).RootElement;
        Assert.Equal(dealId, view.GetProperty("dealId").GetString());
        Assert.Equal(3, view.GetProperty("botSize").GetInt32());
        Assert.Equal(3, view.GetProperty("open").GetInt32());

        var unknown = await RunAsync("deal", "status", "--cluster", _config, "0x" + new string('a', 64));
        Assert.Equal(2, unknown.Code);
        Assert.Contains("does not exist", unknown.Err, StringComparison.Ordinal);

        var malformed = await RunAsync("deal", "status", "--cluster", _config, "0x1234");
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
    }

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliPath());
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliPath());
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The CLI built beside this test assembly's configuration (Debug or Release).</summary>
    private static string CliPath()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory); // tests/X/bin/<Configuration>/net10.0/
        var configuration = here.Parent!.Name;
        var path = Repository.PathOf("src", "Orchestrator.Cli", "bin", configuration, "net10.0", "orchestrator.dll");
        Assert.True(File.Exists(path), $"build the CLI first ({path} is missing): dotnet build Orchestrator.sln -c {configuration}");
        return path;
    }
}
