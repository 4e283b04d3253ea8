using System.Numerics;
using Orchestrator.Chain.Numerics;

namespace Orchestrator.Chain.Rpc;

/// <summary>A block reference for JSON-RPC: a tag (latest, pending, …) or a block number.</summary>
public readonly record struct BlockParameter
{
    private BlockParameter(string text) => Text = text;

    /// <summary>The most recent block.</summary>
    public static BlockParameter Latest => new("latest");

    /// <summary>The pending state (includes the sender's mempool transactions for nonces).</summary>
    public static BlockParameter Pending => new("pending");

    /// <summary>The genesis block.</summary>
    public static BlockParameter Earliest => new("earliest");

    /// <summary>The latest safe head.</summary>
    public static BlockParameter Safe => new("safe");

    /// <summary>The latest finalized block.</summary>
    public static BlockParameter Finalized => new("finalized");

    /// <summary>The wire form: a tag or a hex quantity.</summary>
    public string Text { get; }

    /// <summary>A specific block number.</summary>
    public static BlockParameter Number(BigInteger number) => new(UnsignedBigEndian.ToQuantity(number));

    /// <inheritdoc />
    public override string ToString() => Text ?? "latest";
}
