using Grpc.Core;
using Orchestrator.Adversarial.Tests.Infrastructure;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Session;

namespace Orchestrator.Adversarial.Tests;

/// <summary>Attacks on the worker's session proof: relayed across pools, replayed on a new session.</summary>
[Collection("pools")]
public sealed class ChannelBindingAttacks(TwoPools pools)
{
    [Fact]
    public async Task A_proof_relayed_from_pool_A_to_pool_B_is_refused_unauthenticated_and_B_learns_nothing()
    {
        // An honest worker W of pool A, also authorized at pool B (so only the proof stands in the way).
        var key = Secp256k1.NewPrivateKey();
        var worker = Secp256k1.AddressOf(key);
        await pools.B.Grains.Pool().AuthorizeAsync([worker]);
        var rowsBefore = await pools.B.CountStateRowsAsync("worker");

        // Pool A's operator opens a session at B in W's name and relays B's challenge to W, which
        // signs it as the real agent does for the pool it is configured to join (A).
        using var atB = await RawSession.HelloAsync(pools.B.Workers, worker);
        var joinsA = new WorkerOptions { PoolAddress = TwoPools.PoolA.ToLowerHex(), ChainId = 31337 };
        var (message, _) = SessionProofMessage.For(joinsA, atB.Challenge, [], tls: false);
        var relayed = EthereumMessage.Sign(message, key).ToBytes65();

        var refused = await Assert.ThrowsAsync<RpcException>(() => atB.ProveAsync(relayed));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("for this pool", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(rowsBefore, await pools.B.CountStateRowsAsync("worker"));
        Assert.DoesNotContain(worker, await pools.B.Grains.Pool().ListWorkersAsync());

        // The control: the same agent code, configured for B, is welcomed by B.
        using var honest = await RawSession.HelloAsync(pools.B.Workers, worker);
        var joinsB = new WorkerOptions { PoolAddress = TwoPools.PoolB.ToLowerHex(), ChainId = 31337 };
        var (own, mismatch) = SessionProofMessage.For(joinsB, honest.Challenge, [], tls: false);
        Assert.Null(mismatch);
        Assert.False(string.IsNullOrEmpty((await honest.ProveAsync(EthereumMessage.Sign(own, key).ToBytes65())).SessionId));
    }

    [Fact]
    public async Task A_proof_replayed_on_a_new_session_is_refused_and_the_live_session_is_untouched()
    {
        var key = Secp256k1.NewPrivateKey();
        var worker = Secp256k1.AddressOf(key);
        await pools.A.Grains.Pool().AuthorizeAsync([worker]);
        var joinsA = new WorkerOptions { PoolAddress = TwoPools.PoolA.ToLowerHex(), ChainId = 31337 };

        using var first = await RawSession.HelloAsync(pools.A.Workers, worker);
        var captured = EthereumMessage.Sign(SessionProofMessage.For(joinsA, first.Challenge, [], tls: false).Message, key).ToBytes65();
        var welcome = await first.ProveAsync(captured);
        var anyTask = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

        // Someone who saw that proof on the wire replays it on a session of their own.
        using var replay = await RawSession.HelloAsync(pools.A.Workers, worker);
        var refused = await Assert.ThrowsAsync<RpcException>(() => replay.ProveAsync(captured));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);

        var after = await pools.A.Grains.Worker(worker).GetEnclaveSessionAsync(anyTask);
        Assert.True(after.Active);
        Assert.Equal(welcome.SessionId, after.SessionId); // the honest session was not replaced
    }
}
