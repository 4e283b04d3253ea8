using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Chain.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Rpc;

/// <summary>Conversions between JSON-RPC's hex-string JSON and our types.</summary>
internal static class RpcJson
{
    public static System.Numerics.BigInteger Quantity(JsonElement value)
        => value.ValueKind == JsonValueKind.String
            ? UnsignedBigEndian.ParseQuantity(value.GetString()!)
            : throw new RpcTransportException($"expected a hex quantity, got {value.GetRawText()}");

    public static System.Numerics.BigInteger? OptionalQuantity(JsonElement parent, string name)
        => parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Quantity(value) : null;

    public static byte[] Bytes(JsonElement value)
        => value.ValueKind == JsonValueKind.String && Hex.TryDecode(value.GetString(), out var bytes, out _)
            ? bytes
            : throw new RpcTransportException($"expected 0x-hex data, got {value.GetRawText()}");

    public static Hash32 Hash(JsonElement value)
        => value.ValueKind == JsonValueKind.String && Hash32.TryParse(value.GetString(), out var hash, out _)
            ? hash
            : throw new RpcTransportException($"expected a 32-byte hash, got {value.GetRawText()}");

    public static Address Address(JsonElement value)
        => value.ValueKind == JsonValueKind.String && Orchestrator.Domain.Crypto.Address.TryParse(value.GetString(), out var address, out _)
            ? address
            : throw new RpcTransportException($"expected an address, got {value.GetRawText()}");

    public static Address? OptionalAddress(JsonElement parent, string name)
        => parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Address(value) : null;

    public static JsonObject CallObject(CallRequest call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var json = new JsonObject();
        if (call.From is { } from)
        {
            json["from"] = from.ToLowerHex();
        }

        if (call.To is { } to)
        {
            json["to"] = to.ToLowerHex();
        }

        AddQuantity(json, "gas", call.Gas);
        AddQuantity(json, "gasPrice", call.GasPrice);
        AddQuantity(json, "maxFeePerGas", call.MaxFeePerGas);
        AddQuantity(json, "maxPriorityFeePerGas", call.MaxPriorityFeePerGas);
        AddQuantity(json, "value", call.Value);
        if (call.Data is { } data)
        {
            // "input" is the current name; "data" is kept for nodes that only know the old one.
            json["input"] = Hex.Encode(data);
            json["data"] = Hex.Encode(data);
        }

        return json;
    }

    public static JsonObject FilterObject(LogFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var json = new JsonObject();
        if (filter.FromBlock is { } from)
        {
            json["fromBlock"] = from.Text;
        }

        if (filter.ToBlock is { } to)
        {
            json["toBlock"] = to.Text;
        }

        if (filter.Addresses.Count > 0)
        {
            json["address"] = new JsonArray(filter.Addresses.Select(a => (JsonNode?)JsonValue.Create(a.ToLowerHex())).ToArray());
        }

        if (filter.Topics.Count > 0)
        {
            json["topics"] = new JsonArray(filter.Topics
                .Select(position => position is null
                    ? null
                    : (JsonNode)new JsonArray(position.Select(t => (JsonNode?)JsonValue.Create(t.ToString())).ToArray()))
                .ToArray());
        }

        return json;
    }

    public static FeeHistory ReadFeeHistory(JsonElement result)
    {
        var rewards = result.TryGetProperty("reward", out var reward) && reward.ValueKind == JsonValueKind.Array
            ? reward.EnumerateArray().Select(block => (IReadOnlyList<System.Numerics.BigInteger>)block.EnumerateArray().Select(Quantity).ToList()).ToList()
            : [];
        return new FeeHistory(
            Quantity(result.GetProperty("oldestBlock")),
            result.GetProperty("baseFeePerGas").EnumerateArray().Select(Quantity).ToList(),
            result.GetProperty("gasUsedRatio").EnumerateArray().Select(r => r.GetDouble()).ToList(),
            rewards);
    }

    public static LogEntry ReadLog(JsonElement log) => new(
        Address(log.GetProperty("address")),
        log.GetProperty("topics").EnumerateArray().Select(Hash).ToList(),
        Bytes(log.GetProperty("data")),
        OptionalQuantity(log, "blockNumber"),
        log.TryGetProperty("blockHash", out var blockHash) && blockHash.ValueKind != JsonValueKind.Null ? Hash(blockHash) : null,
        log.TryGetProperty("transactionHash", out var txHash) && txHash.ValueKind != JsonValueKind.Null ? Hash(txHash) : null,
        OptionalQuantity(log, "transactionIndex"),
        OptionalQuantity(log, "logIndex"),
        log.TryGetProperty("removed", out var removed) && removed.ValueKind == JsonValueKind.True);

    public static TransactionReceipt ReadReceipt(JsonElement receipt) => new(
        Hash(receipt.GetProperty("transactionHash")),
        Quantity(receipt.GetProperty("blockNumber")),
        Hash(receipt.GetProperty("blockHash")),
        Quantity(receipt.GetProperty("transactionIndex")),
        Address(receipt.GetProperty("from")),
        OptionalAddress(receipt, "to"),
        OptionalAddress(receipt, "contractAddress"),
        Quantity(receipt.GetProperty("status")) == 1,
        Quantity(receipt.GetProperty("gasUsed")),
        Quantity(receipt.GetProperty("cumulativeGasUsed")),
        OptionalQuantity(receipt, "effectiveGasPrice"),
        receipt.TryGetProperty("logs", out var logs) ? logs.EnumerateArray().Select(ReadLog).ToList() : []);

    public static BlockHeader ReadBlockHeader(JsonElement block) => new(
        Quantity(block.GetProperty("number")),
        Hash(block.GetProperty("hash")),
        Hash(block.GetProperty("parentHash")),
        Quantity(block.GetProperty("timestamp")),
        Quantity(block.GetProperty("gasLimit")),
        Quantity(block.GetProperty("gasUsed")),
        OptionalQuantity(block, "baseFeePerGas"));

    private static void AddQuantity(JsonObject json, string name, System.Numerics.BigInteger? value)
    {
        if (value is { } quantity)
        {
            json[name] = UnsignedBigEndian.ToQuantity(quantity);
        }
    }
}
