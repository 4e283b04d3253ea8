using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Rpc;

/// <summary>
/// One look at an account's transactions, taken in one JSON-RPC batch: the account's mined nonce count,
/// the receipts of the asked hashes (absent: not mined), which of the asked hashes the node still knows
/// (mined or in its pool), and the head block number.
/// </summary>
public sealed record ReceiptSnapshot(
    long MinedCount,
    long Head,
    IReadOnlyDictionary<Hash32, TransactionReceipt> Receipts,
    IReadOnlySet<Hash32> Known)
{
    /// <summary>The receipt of the latest of <paramref name="hashes"/> that has one (a replacement's first), or null.</summary>
    public TransactionReceipt? LatestReceiptOf(IReadOnlyList<Hash32> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        for (var i = hashes.Count - 1; i >= 0; i--)
        {
            if (Receipts.TryGetValue(hashes[i], out var receipt))
            {
                return receipt;
            }
        }

        return null;
    }
}
