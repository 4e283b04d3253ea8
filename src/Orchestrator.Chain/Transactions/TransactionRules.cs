using System.Numerics;
using Orchestrator.Chain.Numerics;

namespace Orchestrator.Chain.Transactions;

/// <summary>
/// Protocol rules that a well-formed transaction must also satisfy to be includable, as of
/// Shanghai/Cancun. They are separate from decoding because they depend on the fork's gas schedule,
/// and an operator decoding what was sent still wants to see a transaction that breaks them.
/// </summary>
public static class TransactionRules
{
    private const int TxGas = 21_000;
    private const int TxCreateGas = 32_000;
    private const int ZeroByteGas = 4;
    private const int NonZeroByteGas = 16; // EIP-2028
    private const int AccessListAddressGas = 2_400; // EIP-2930
    private const int AccessListStorageKeyGas = 1_900;
    private const int InitCodeWordGas = 2; // EIP-3860
    private const int MaxInitCodeSize = 49_152; // EIP-3860: 2 × the EIP-170 code size limit

    /// <summary>The gas charged before execution starts (Shanghai and later schedule).</summary>
    public static BigInteger IntrinsicGas(Transaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        BigInteger gas = TxGas;
        foreach (var b in transaction.Data)
        {
            gas += b == 0 ? ZeroByteGas : NonZeroByteGas;
        }

        if (transaction.To is null)
        {
            gas += TxCreateGas + (InitCodeWordGas * ((transaction.Data.Length + 31) / 32));
        }

        foreach (var entry in transaction.AccessList)
        {
            gas += AccessListAddressGas + (AccessListStorageKeyGas * entry.StorageKeys.Count);
        }

        return gas;
    }

    /// <summary>Checks the fork-independent-of-state rules; false with the reason when one fails.</summary>
    public static bool TryValidate(Transaction transaction, out string error)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        error = string.Empty;
        if (transaction.Nonce >= UnsignedBigEndian.MaxUInt64)
        {
            error = "nonce 2^64-1 is reserved: the account nonce could not be incremented (EIP-2681)";
        }
        else if (transaction.Type == TransactionType.DynamicFee && transaction.MaxPriorityFeePerGas > transaction.MaxFeePerGas)
        {
            error = $"maxPriorityFeePerGas {transaction.MaxPriorityFeePerGas} exceeds maxFeePerGas {transaction.MaxFeePerGas}";
        }
        else if (transaction.GasLimit * FeeCap(transaction) > UnsignedBigEndian.MaxUInt256)
        {
            error = "gasLimit × fee cap overflows 256 bits";
        }
        else if (transaction.To is null && transaction.Data.Length > MaxInitCodeSize)
        {
            error = $"init code is {transaction.Data.Length} bytes, above the {MaxInitCodeSize}-byte limit (EIP-3860)";
        }
        else if (IntrinsicGas(transaction) is var intrinsic && intrinsic > transaction.GasLimit)
        {
            error = $"gasLimit {transaction.GasLimit} is below the intrinsic gas {intrinsic}";
        }

        return error.Length == 0;
    }

    private static BigInteger FeeCap(Transaction tx) => tx.Type == TransactionType.DynamicFee ? tx.MaxFeePerGas : tx.GasPrice;
}
