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

    [Fact]
    public async Task Pool_apps_sets_the_allow_list_and_asks_for_any_by_name()
    {
        var api = $"http://127.0.0.1:{host.GrpcPort}";
        var app = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToLowerHex();
        var owner = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToLowerHex();
        var (code, _, stderr) = await RunAsync("pool", "apps", "--api", api);
        Assert.Equal(2, code);
        Assert.Contains("name the apps (--app, --app-owner) or pass --any", stderr, StringComparison.Ordinal);
        try
        {
            (code, var stdout, _) = await RunAsync("pool", "apps", "--app", app, "--app-owner", owner, "--api", api);
            Assert.Equal(0, code);
            var policy = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal(app, policy.GetProperty("allowedApps")[0].GetString());
            Assert.Equal(owner, policy.GetProperty("allowedAppOwners")[0].GetString());
        }
        finally
        {
            (code, _, _) = await RunAsync("pool", "apps", "--any", "--api", api);
        }

        Assert.Equal(0, code);
        (_, var shown, _) = await RunAsync("pool", "policy", "--api", api);
        Assert.Equal(0, JsonDocument.Parse(shown).RootElement.GetProperty("allowedApps").GetArrayLength()); // cleared: any app
    }

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        => BuiltCli.RunAsync(args, new Dictionary<string, string> { ["ORCHESTRATOR_ADMIN_TOKEN"] = ApiHost.Token });
}
