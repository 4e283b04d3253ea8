using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Adversarial.Tests.Infrastructure;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Adversarial.Tests;

/// <summary>Admin calls (authorize yourself, open the pool, allow simulated TEE, set an app policy) without the owner's token.</summary>
[Collection("pools")]
public sealed class AdminAttacks(TwoPools pools)
{
    public static TheoryData<string?> Credentials => new() { null, "Bearer not-the-owner-token-0123456789", "Basic b3duZXI6b3duZXI=", "Bearer " };

    [Theory]
    [MemberData(nameof(Credentials))]
    public async Task Admin_calls_without_the_owner_token_are_refused_and_change_nothing(string? authorization)
    {
        var pool = pools.A;
        var attacker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        var headers = new Metadata();
        if (authorization is not null)
        {
            headers.Add("authorization", authorization);
        }

        var policy = await pool.Grains.Pool().GetPolicyAsync();
        var rows = await pool.CountStateRowsAsync();
        var admin = new PoolAdmin.PoolAdminClient(pool.Channel);
        var secrets = new SecretsProto.SecretsAdmin.SecretsAdminClient(pool.Channel);

        var authorize = new AuthorizeWorkersRequest();
        authorize.Addresses.Add(attacker.ToLowerHex());
        await AssertUnauthenticated(admin.AuthorizeWorkersAsync(authorize, headers).ResponseAsync);
        await AssertUnauthenticated(admin.SetPolicyAsync(new SetPolicyRequest
        {
            Policy = new Policy { AcceptedTeeKinds = { TeeKind.None, TeeKind.Sgx }, MaxReplicatesPerWorker = 64, AllowSimulatedTee = true, AuthorizeAnyWorker = true },
        }, headers).ResponseAsync);
        await AssertUnauthenticated(secrets.SetAppPolicyAsync(new SecretsProto.SetAppPolicyRequest
        {
            Policy = new SecretsProto.AppPolicy { App = attacker.ToLowerHex(), Tee = SecretsProto.TeeKind.Sgx, AllowSimulated = true },
        }, headers).ResponseAsync);

        var after = await pool.Grains.Pool().GetPolicyAsync();
        Assert.Equal((policy.AllowSimulatedTee, policy.AuthorizeAnyWorker, policy.MaxReplicatesPerWorker), (after.AllowSimulatedTee, after.AuthorizeAnyWorker, after.MaxReplicatesPerWorker));
        Assert.False(await pool.Grains.Pool().IsAuthorizedAsync(attacker));
        Assert.Null(await pool.Grains.AppPolicy(attacker).GetAsync());
        Assert.Equal(rows, await pool.CountStateRowsAsync());
    }

    private static async Task AssertUnauthenticated(Task call)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }
}
