using System.Numerics;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Listening;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Bridge.Tests.Unit;

public sealed class DealCreatedMappingTests
{
    private static readonly Address Requester = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");
    private static readonly Address Pool = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    private static readonly Address App = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    private static readonly Hash32 DealId = new(Enumerable.Repeat((byte)9, 32).ToArray());

    [Fact]
    public void TheChainsTermsBecomeTheClustersDealSpec()
    {
        Assert.True(DealCreatedMapping.TryMap(Log(tag: 0x3, trust: 1, botFirst: 4, botSize: 10), out var spec, out var error), error);
        Assert.Equal(DealId, spec!.DealId);
        Assert.Equal(Requester, spec.Requester);
        Assert.Equal(App, spec.App);
        Assert.Equal(2, spec.CategoryId);
        Assert.Equal(new TeeTag(0x3), spec.Tag);
        Assert.Equal(4, spec.BotFirst);
        Assert.Equal(10, spec.BotSize);
        Assert.Equal(BigInteger.Pow(10, 15), spec.TaskPrice);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), spec.StartTime);
        Assert.Equal("args", spec.Params);
        Assert.True(spec.Callback.IsZero);
        Assert.Null(spec.BeneficiaryKey);

        // The chain has no field for a beneficiary key: alone, the TEE deal misses one, and the deal grain
        // fills it from the requester's registered key (README "Register your key once").
        Assert.Contains("register-key", Assert.Single(spec.ToDomain().Validate(CategoryCatalog.Default)), StringComparison.Ordinal);
        var registered = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        Assert.Empty((spec with { BeneficiaryKey = registered }).ToDomain().Validate(CategoryCatalog.Default));
    }

    [Fact]
    public void TheDealsCallbackContractIsCarriedIntoTheSpec()
    {
        var callback = Address.Parse("0x00000000000000000000000000000000000000cb");
        Assert.True(DealCreatedMapping.TryMap(Log(tag: 0, trust: 1, botFirst: 0, botSize: 1, callback), out var spec, out var error), error);
        Assert.Equal(callback, spec!.Callback);
        Assert.Equal(callback, spec.ToDomain().Callback);
    }

    [Fact]
    public void ABagTooLargeForTheClusterIsSkippedWithTheReason()
    {
        Assert.False(DealCreatedMapping.TryMap(Log(tag: 0, trust: 1, botFirst: 0, botSize: DealSpec.MaxBotSize + 1), out _, out var error));
        Assert.Contains("botSize", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ALogOfAnotherEventIsNotADeal()
    {
        var log = Log(tag: 0, trust: 1, botFirst: 0, botSize: 1) with { Topics = [new Hash32(new byte[32])] };
        Assert.False(DealCreatedMapping.TryMap(log, out _, out var error));
        Assert.Contains("not a DealCreated log", error, StringComparison.Ordinal);
    }

    private static LogEntry Log(uint tag, int trust, long botFirst, long botSize, Address callback = default)
    {
        var tagBytes = new byte[32];
        tagBytes[31] = (byte)tag;
        var types = new[] { "address", "address", "uint8", "uint256", "bytes32", "uint256", "uint256", "uint256", "uint256", "string", "address" }.Select(AbiType.Parse).ToList();
        var data = AbiEncoder.Encode(types, [App, Address.Zero, new BigInteger(2), new BigInteger(trust), tagBytes, new BigInteger(botFirst), new BigInteger(botSize), BigInteger.Pow(10, 15), new BigInteger(1_700_000_000), "args", callback.IsZero ? Address.Zero : callback]);
        var address = AbiType.Parse("address");
        return new LogEntry(Pool, [HubContract.DealCreated.Topic0, DealId, AbiEvent.EncodeTopic(address, Requester), AbiEvent.EncodeTopic(address, Pool)], data, 1, null, null, 0, 0, false);
    }
}
