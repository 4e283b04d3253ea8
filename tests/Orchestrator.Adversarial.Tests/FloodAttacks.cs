using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Adversarial.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Session;

namespace Orchestrator.Adversarial.Tests;

/// <summary>Floods of sessions: from one remote address, and from one (proven) worker address.</summary>
public sealed class FloodAttacks : IAsyncLifetime
{
    private static readonly Address Pool = Address.Parse("0x" + new string('c', 40));
    private AttackedPool _pool = null!;

    public async Task InitializeAsync() => _pool = await AttackedPool.StartAsync(Pool, new Dictionary<string, string?>
    {
        ["Orchestrator:Api:Limits:PerAddressBurst"] = "10",
        ["Orchestrator:Api:Limits:PerAddressPerSecond"] = "1",
        ["Orchestrator:Api:Limits:SessionsPerWorkerPerMinute"] = "2",
    });

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    [Fact]
    public async Task A_flood_of_sessions_from_one_address_is_cut_off_resource_exhausted_with_a_retry_hint_and_writes_nothing()
    {
        var rows = await _pool.CountStateRowsAsync();
        var statuses = new List<StatusCode>();
        string? detail = null;
        for (var i = 0; i < 30; i++)
        {
            try
            {
                using var session = await RawSession.HelloAsync(_pool.Workers, Secp256k1.AddressOf(Secp256k1.NewPrivateKey()));
                statuses.Add(StatusCode.OK);
            }
            catch (RpcException ex)
            {
                statuses.Add(ex.StatusCode);
                detail ??= ex.StatusCode == StatusCode.ResourceExhausted ? ex.Status.Detail : null;
            }
        }

        Assert.Contains(StatusCode.OK, statuses); // the burst is served
        Assert.True(statuses.Count(s => s == StatusCode.ResourceExhausted) >= 15, string.Join(", ", statuses));
        Assert.Contains("retry in", detail, StringComparison.Ordinal);
        Assert.Contains("PerAddressPerSecond", detail, StringComparison.Ordinal);
        Assert.Equal(rows, await _pool.CountStateRowsAsync());
    }

    [Fact]
    public async Task A_worker_reconnecting_in_a_loop_is_refused_past_its_sessions_per_minute()
    {
        var key = Secp256k1.NewPrivateKey();
        var worker = Secp256k1.AddressOf(key);
        await _pool.Grains.Pool().AuthorizeAsync([worker]);
        var options = new WorkerOptions { PoolAddress = Pool.ToLowerHex(), ChainId = 31337 };

        async Task<StatusCode> ConnectAsync()
        {
            using var session = await RawSession.HelloAsync(_pool.Workers, worker);
            try
            {
                await session.ProveAsync(EthereumMessage.Sign(SessionProofMessage.For(options, session.Challenge, [], tls: false).Message, key).ToBytes65());
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }

        Assert.Equal(StatusCode.OK, await ConnectAsync());
        Assert.Equal(StatusCode.OK, await ConnectAsync());
        Assert.Equal(StatusCode.ResourceExhausted, await ConnectAsync());
    }
}
