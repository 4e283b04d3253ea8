using System.Numerics;
using Orchestrator.Chain.Numerics;
using Orchestrator.Chain.Rlp;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Transactions;

/// <summary>
/// Serialisation of the four transaction forms: the unsigned payload whose keccak256 is signed,
/// and the signed wire form.
/// </summary>
public static class TransactionEncoder
{
    /// <summary>
    /// The bytes that are hashed for signing: rlp(6 fields) for pre-EIP-155 legacy,
    /// rlp(6 fields, chainId, 0, 0) for EIP-155, type ‖ rlp(fields) for typed transactions.
    /// </summary>
    public static byte[] EncodeUnsigned(Transaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        Validate(transaction);
        var fields = PayloadFields(transaction);
        if (transaction.Type == TransactionType.Legacy)
        {
            if (transaction.ChainId is { } chainId)
            {
                fields.Add(RlpItem.Integer(chainId));
                fields.Add(RlpItem.Integer(0));
                fields.Add(RlpItem.Integer(0));
            }

            return RlpEncoder.Encode(RlpItem.List(fields));
        }

        return Typed(transaction.Type, fields);
    }

    /// <summary>keccak256 of <see cref="EncodeUnsigned"/>: the hash the sender signs.</summary>
    public static Hash32 SigningHash(Transaction transaction) => new(Keccak256.Hash(EncodeUnsigned(transaction)));

    /// <summary>The signed wire form with v, r and s (or yParity, r and s) appended.</summary>
    public static byte[] EncodeSigned(Transaction transaction, Signature signature)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(signature);
        Validate(transaction);
        var fields = PayloadFields(transaction);
        fields.Add(RlpItem.Integer(LegacyV(transaction, signature.RecoveryId)));
        fields.Add(RlpItem.Integer(UnsignedBigEndian.FromBytes(signature.R)));
        fields.Add(RlpItem.Integer(UnsignedBigEndian.FromBytes(signature.S)));
        return transaction.Type == TransactionType.Legacy
            ? RlpEncoder.Encode(RlpItem.List(fields))
            : Typed(transaction.Type, fields);
    }

    /// <summary>The v stored on the wire: 27+y, chainId·2+35+y, or y for typed transactions.</summary>
    public static BigInteger LegacyV(Transaction transaction, byte yParity)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Type != TransactionType.Legacy)
        {
            return yParity;
        }

        return transaction.ChainId is { } chainId ? (chainId * 2) + 35 + yParity : 27 + yParity;
    }

    /// <summary>RLP of an access list: [[address, [key, ...]], ...].</summary>
    public static RlpList AccessListItem(IReadOnlyList<AccessListEntry> accessList)
    {
        ArgumentNullException.ThrowIfNull(accessList);
        return RlpItem.List(accessList.Select(entry => (RlpItem)RlpItem.List(
            RlpItem.String(entry.Address.Bytes),
            RlpItem.List(entry.StorageKeys.Select(key => (RlpItem)RlpItem.String(key.ToArray()))))));
    }

    private static List<RlpItem> PayloadFields(Transaction tx)
    {
        RlpItem to = tx.To is { } address ? RlpItem.String(address.Bytes) : RlpItem.String([]);
        return tx.Type switch
        {
            TransactionType.Legacy =>
            [
                RlpItem.Integer(tx.Nonce), RlpItem.Integer(tx.GasPrice), RlpItem.Integer(tx.GasLimit),
                to, RlpItem.Integer(tx.Value), RlpItem.String(tx.Data),
            ],
            TransactionType.AccessList =>
            [
                RlpItem.Integer(tx.ChainId!.Value), RlpItem.Integer(tx.Nonce), RlpItem.Integer(tx.GasPrice),
                RlpItem.Integer(tx.GasLimit), to, RlpItem.Integer(tx.Value), RlpItem.String(tx.Data),
                AccessListItem(tx.AccessList),
            ],
            TransactionType.DynamicFee =>
            [
                RlpItem.Integer(tx.ChainId!.Value), RlpItem.Integer(tx.Nonce), RlpItem.Integer(tx.MaxPriorityFeePerGas),
                RlpItem.Integer(tx.MaxFeePerGas), RlpItem.Integer(tx.GasLimit), to, RlpItem.Integer(tx.Value),
                RlpItem.String(tx.Data), AccessListItem(tx.AccessList),
            ],
            _ => throw new ArgumentException($"transaction type {tx.Type} is not supported", nameof(tx)),
        };
    }

    private static byte[] Typed(TransactionType type, List<RlpItem> fields)
    {
        var body = RlpEncoder.Encode(RlpItem.List(fields));
        var bytes = new byte[body.Length + 1];
        bytes[0] = (byte)type;
        body.CopyTo(bytes, 1);
        return bytes;
    }

    // Refuses content that would serialise to something no node accepts, before anything is signed.
    private static void Validate(Transaction tx)
    {
        if (tx.Type != TransactionType.Legacy && tx.ChainId is null)
        {
            throw new ArgumentException("typed transactions need a chain id", nameof(tx));
        }

        if (tx.Type == TransactionType.Legacy && tx.AccessList.Count > 0)
        {
            throw new ArgumentException("a legacy transaction cannot carry an access list", nameof(tx));
        }

        if (tx.Nonce.Sign < 0 || tx.Nonce > UnsignedBigEndian.MaxUInt64)
        {
            throw new ArgumentException("the nonce must fit in 64 bits", nameof(tx));
        }

        if (tx.GasLimit.Sign < 0 || tx.GasLimit > UnsignedBigEndian.MaxUInt64)
        {
            throw new ArgumentException("the gas limit must fit in 64 bits", nameof(tx));
        }

        foreach (var (name, value) in new[]
                 {
                     ("chainId", tx.ChainId ?? BigInteger.One), ("gasPrice", tx.GasPrice), ("value", tx.Value),
                     ("maxPriorityFeePerGas", tx.MaxPriorityFeePerGas), ("maxFeePerGas", tx.MaxFeePerGas),
                 })
        {
            if (value.Sign < 0 || value > UnsignedBigEndian.MaxUInt256)
            {
                throw new ArgumentException($"{name} must be between 0 and 2^256-1", nameof(tx));
            }
        }
    }
}
