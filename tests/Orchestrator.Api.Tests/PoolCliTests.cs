using System.Diagnostics;
using System.Text.Json;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests;

/// <summary>`orchestrator pool …` as a real process against the silo's gRPC admin API.</summary>
[Collection("api")]
public sealed class PoolCliTests(ApiHost host)
{
    [Fact]
    public async Task Authorize_then_workers_and_a_refusal_with_its_exit_code()
    {
        var worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToLowerHex();
        var (code, stdout, _) = await RunAsync("pool", "authorize", worker, "--api", $"http://127.0.0.1:{host.GrpcPort}");
        Assert.Equal(0, code);
        Assert.Equal(1, JsonDocument.Parse(stdout).RootElement.GetProperty("count").GetInt32());

        (code, stdout, _) = await RunAsync("pool", "policy", "--api", $"http://127.0.0.1:{host.GrpcPort}");
        Assert.Equal(0, code);
        Assert.True(JsonDocument.Parse(stdout).RootElement.GetProperty("maxReplicatesPerWorker").GetInt32() > 0);

        (code, _, var stderr) = await RunAsync("pool", "drain", "0x1234", "--api", $"http://127.0.0.1:{host.GrpcPort}");
        Assert.Equal(1, code);
        Assert.Contains("InvalidArgument", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CliPath());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ORCHESTRATOR_ADMIN_TOKEN"] = ApiHost.Token;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string CliPath()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory); // tests/X/bin/<Configuration>/net10.0/
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Orchestrator.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var path = Path.Combine(root!.FullName, "src", "Orchestrator.Cli", "bin", configuration, "net10.0", "orchestrator.dll");
        Assert.True(File.Exists(path), $"build the CLI first ({path} is missing): dotnet build Orchestrator.sln -c {configuration}");
        return path;
    }
}
