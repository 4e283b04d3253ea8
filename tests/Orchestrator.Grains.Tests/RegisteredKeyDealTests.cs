using System.Numerics;
using System.Security.Cryptography;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Listening;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Simulation;

namespace Orchestrator.Grains.Tests;

/// <summary>
/// A TEE deal bought on chain names no beneficiary key (the chain has no field for one): the deal grain,
/// where the chain listener and the admin API meet, takes a copy of the requester's registered key.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RegisteredKeyDealTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_chain_tee_deal_is_refused_without_a_registered_key_and_accepted_with_one_whose_assignments_carry_it()
    {
        var requester = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        var app = Deals.NewAddress();
        Assert.True(DealCreatedMapping.TryMap(Log(requester, app), out var deal, out var error), error);
        Assert.Null(deal!.BeneficiaryKey);

        var refused = await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        Assert.False(refused.Accepted);
        Assert.Contains(refused.Errors, e => e.Contains("register theirs once", StringComparison.Ordinal) && e.Contains("publicResults", StringComparison.Ordinal));

        var key = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        var expiry = (ulong)fixture.Time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds();
        Assert.True((await fixture.Grains.RequesterKey(requester).SetAsync(key, expiry)).Changed);
        var created = await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        Assert.True(created.Created, string.Join("; ", created.Errors));

        // The listener reading its range again sends the same keyless spec: the same deal, not "other terms".
        var again = await fixture.Grains.Deal(deal.DealId).CreateAsync(deal);
        Assert.True(again.Accepted, string.Join("; ", again.Errors));
        Assert.False(again.Created);

        // A later registration changes no deal already created.
        Assert.True((await fixture.Grains.RequesterKey(requester).SetAsync(Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey()), expiry + 1)).Changed);

        var pool = await fixture.Grains.Pool().GetPolicyAsync();
        await fixture.Grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        Assert.True((await fixture.Grains.AppPolicy(app).SetAsync(DemoRunner.DemoAppPolicy(app))).Accepted);
        var worker = new ManualWorker(fixture.Grains, TeeKind.Sgx, slots: 1, now: fixture.Time.GetUtcNow);
        Assert.Equal(RegistrationOutcome.Accepted, (await worker.RegisterAsync()).Outcome);
        var assignment = await TakeOwnAsync(worker, deal.DealId);
        Assert.NotNull(assignment);
        Assert.Equal(key, assignment.BeneficiaryKey);
    }

    [Fact]
    public async Task The_requesters_key_grain_refuses_an_older_registration_and_keeps_the_newer_key()
    {
        var requester = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        var newer = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        Assert.Null(await fixture.Grains.RequesterKey(requester).GetAsync());
        Assert.True((await fixture.Grains.RequesterKey(requester).SetAsync(newer, 2_000)).Changed);

        var replay = await fixture.Grains.RequesterKey(requester).SetAsync(Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey()), 1_999);
        Assert.False(replay.Accepted);
        Assert.Contains("an old one replayed is refused", replay.Error, StringComparison.Ordinal);
        Assert.Equal(newer, (await fixture.Grains.RequesterKey(requester).GetAsync())!.PublicKey);

        var offCurve = await fixture.Grains.RequesterKey(requester).SetAsync(Enumerable.Repeat((byte)0x11, 64).ToArray(), 3_000);
        Assert.False(offCurve.Accepted);
        Assert.Equal(2_000UL, (await fixture.Grains.RequesterKey(requester).GetAsync())!.Expiry);
    }

    /// <summary>A DealCreated log as the hub emits it: a one-task SGX deal (tag 0x3) of <paramref name="requester"/> starting now.</summary>
    private LogEntry Log(Address requester, Address app) => ChainDealLog.Of(requester, app, fixture.Time.GetUtcNow(), "args", tag: 0x3);

    /// <summary>Takes until a replicate of <paramref name="dealId"/> arrives (the cluster is shared: others' TEE tasks are given back).</summary>
    private static async Task<Assignment?> TakeOwnAsync(ManualWorker worker, Hash32 dealId)
    {
        for (var i = 0; i < 20; i++)
        {
            var taken = await worker.TakeAsync(1);
            foreach (var command in taken)
            {
                if (command.Assignment.DealId == dealId)
                {
                    return command.Assignment;
                }

                await worker.Grain.GiveBackAsync(command.TaskId);
            }
        }

        return null;
    }
}
