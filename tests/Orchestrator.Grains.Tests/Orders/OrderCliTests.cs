using System.Text.Json;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Tests.Registry;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Grains.Tests.Orders;

/// <summary>`orchestrator order publish|cancel|list` as a real process against a real silo: the pool's key and token, an app owner's key.</summary>
public sealed class OrderCliTests(OrderBookApiHost host) : IClassFixture<OrderBookApiHost>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-order-cli-").FullName;

    private string Api => host.Channel.Target.StartsWith("http", StringComparison.Ordinal) ? host.Channel.Target : "http://" + host.Channel.Target;

    [Fact]
    public async Task The_pool_and_an_app_owner_publish_list_and_cancel_their_orders_and_a_stranger_cannot()
    {
        var poolKey = KeyFile("pool.key", host.PoolKey);
        var (code, stdout, stderr) = await RunAsync("order", "publish", "--api", Api, "--key", poolKey, "--kind", "workerpool", "--price", "100", "--volume", "5", "--trust", "1");
        Assert.True(code == 0, stderr);
        var poolOrder = JsonDocument.Parse(stdout).RootElement;
        var poolHash = poolOrder.GetProperty("hash").GetString()!;
        Assert.Equal(host.Pool.ToLowerHex(), poolOrder.GetProperty("owner").GetString());

        var owner = new OwnerClient(host.Channel);
        var app = (await owner.RegisterAppAsync("cli-" + Guid.NewGuid().ToString("N")[..8], "127.0.0.1:5000/hello@sha256:" + new string('a', 64))).Address;
        var ownerKey = KeyFile("owner.key", owner.Key);
        var strangerKey = KeyFile("stranger.key", Secp256k1.NewPrivateKey());
        (code, _, stderr) = await RunAsync("order", "publish", "--api", Api, "--key", strangerKey, "--kind", "app", "--asset", app, "--price", "3");
        Assert.Equal(3, code);
        Assert.Contains("BadOrderSignature", stderr, StringComparison.Ordinal);
        (code, stdout, _) = await RunAsync("order", "list", "--api", Api, "--asset", app);
        Assert.Equal(0, code);
        Assert.Empty(JsonDocument.Parse(stdout).RootElement.GetProperty("orders").EnumerateArray());

        (code, stdout, stderr) = await RunAsync("order", "publish", "--api", Api, "--key", ownerKey, "--kind", "app", "--asset", app, "--price", "3", "--volume", "10");
        Assert.True(code == 0, stderr);
        var appHash = JsonDocument.Parse(stdout).RootElement.GetProperty("hash").GetString()!;
        (code, stdout, _) = await RunAsync("order", "list", "--api", Api, "--asset", app);
        Assert.Equal(appHash, Assert.Single(JsonDocument.Parse(stdout).RootElement.GetProperty("orders").EnumerateArray()).GetProperty("hash").GetString());

        (code, _, stderr) = await RunAsync("order", "cancel", appHash, "--api", Api, "--key", strangerKey);
        Assert.Equal(3, code);
        Assert.Contains("only an order's owner cancels it", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await RunAsync("order", "cancel", appHash, "--api", Api, "--key", ownerKey);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = await RunAsync("order", "cancel", poolHash, "--api", Api);
        Assert.True(code == 0, stderr);

        Assert.True((await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = appHash })).Cancelled);
        Assert.True((await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = poolHash })).Cancelled);
        (code, _, stderr) = await RunAsync("order", "list", "--api", Api, "--page-size", "500");
        Assert.Equal(1, code);
        Assert.Contains("page_size", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_requester_matches_its_signed_request_into_a_deal_and_a_price_above_its_max_is_refused_with_the_rule()
    {
        var owner = new OwnerClient(host.Channel);
        var app = (await owner.RegisterAppAsync("cli-match-" + Guid.NewGuid().ToString("N")[..8], "127.0.0.1:5000/hello@sha256:" + new string('a', 64))).Address;
        var (code, stdout, stderr) = await RunAsync("order", "publish", "--api", Api, "--key", KeyFile("pool.key", host.PoolKey), "--kind", "workerpool", "--price", "100", "--volume", "4", "--trust", "1");
        Assert.True(code == 0, stderr);
        var poolHash = JsonDocument.Parse(stdout).RootElement.GetProperty("hash").GetString()!;
        (code, _, stderr) = await RunAsync("order", "publish", "--api", Api, "--key", KeyFile("owner.key", owner.Key), "--kind", "app", "--asset", app, "--price", "3", "--volume", "10");
        Assert.True(code == 0, stderr);
        var requesterKey = KeyFile("requester.key", Secp256k1.NewPrivateKey());

        (code, _, stderr) = await RunAsync("order", "match", "--api", Api, "--key", requesterKey, "--app", app, "--app-max-price", "3",
            "--workerpool-max-price", "99", "--volume", "3", "--trust", "1", "--workerpool-order", poolHash);
        Assert.Equal(1, code);
        Assert.Contains("PriceAboveMax", stderr, StringComparison.Ordinal);
        Assert.Equal("0", (await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = poolHash })).Consumed);

        (code, stdout, stderr) = await RunAsync("order", "match", "--api", Api, "--key", requesterKey, "--app", app, "--app-max-price", "3",
            "--workerpool-max-price", "100", "--volume", "3", "--trust", "1", "--workerpool-order", poolHash, "--params", "from the cli");
        Assert.True(code == 0, stderr);
        var deal = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("3", deal.GetProperty("volume").GetString());
        Assert.Equal(
            Orchestrator.Domain.Ids.ProtocolIds.DealId(Hash32.Parse(deal.GetProperty("requestHash").GetString()!), 0).ToString(),
            deal.GetProperty("dealId").GetString());
        Assert.Equal("3", (await host.Book.GetOrderAsync(new Proto.GetOrderRequest { Hash = poolHash })).Consumed);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string KeyFile(string name, byte[] key)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, Hex.Encode(key));
        return path;
    }

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        => BuiltCli.RunAsync(args, new Dictionary<string, string> { ["ORCHESTRATOR_ADMIN_TOKEN"] = OrderBookApiHost.Token });
}
