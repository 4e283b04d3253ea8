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

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        => BuiltCli.RunAsync(args, new Dictionary<string, string> { ["ORCHESTRATOR_ADMIN_TOKEN"] = ApiHost.Token });
}
