using System.Numerics;
using System.Security.Cryptography;
using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Grains.Tests;

/// <summary>DealCreated logs as the hub emits them, for the chain listener's mapping and checks.</summary>
internal static class ChainDealLog
{
    /// <summary>A one-task deal of <paramref name="requester"/> running <paramref name="app"/> in the test category, starting at <paramref name="start"/>.</summary>
    public static LogEntry Of(Address requester, Address app, DateTimeOffset start, string parameters, byte tag)
    {
        var tagBytes = new byte[32];
        tagBytes[31] = tag;
        var types = new[] { "address", "address", "uint8", "uint256", "bytes32", "uint256", "uint256", "uint256", "uint256", "string", "address" }.Select(AbiType.Parse).ToList();
        var data = AbiEncoder.Encode(types, [
            app, Address.Zero, new BigInteger(ClusterFixture.TestCategory.Id), BigInteger.One, tagBytes, BigInteger.Zero, BigInteger.One,
            BigInteger.Pow(10, 15), new BigInteger(start.ToUnixTimeSeconds()), parameters, Address.Zero]);
        var address = AbiType.Parse("address");
        var pool = Deals.NewAddress();
        return new LogEntry(pool, [HubContract.DealCreated.Topic0, new Hash32(RandomNumberGenerator.GetBytes(32)), AbiEvent.EncodeTopic(address, requester), AbiEvent.EncodeTopic(address, pool)], data, 1, null, null, 0, 0, false);
    }
}
