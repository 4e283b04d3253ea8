using System.Numerics;
using Orchestrator.Chain.Numerics;
using Orchestrator.Chain.Rlp;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Transactions;

/// <summary>
/// Strict decoding of raw signed transactions (legacy, EIP-155, EIP-2930, EIP-1559): canonical RLP,
/// exact field count, minimal integers within their widths, 20-byte addresses, 32-byte storage keys,
/// a valid v/yParity, r and s in range with low s, and a signature that recovers a sender.
/// </summary>
public static class TransactionDecoder
{
    // n, the order of secp256k1's group (SEC 2, section 2.4.1).
    private static readonly BigInteger CurveOrder = UnsignedBigEndian.FromBytes(
        Convert.FromHexString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"));
    private static readonly BigInteger HalfCurveOrder = CurveOrder >> 1;

    /// <summary>Decodes and validates; throws <see cref="TransactionFormatException"/> with the reason.</summary>
    public static SignedTransaction Decode(ReadOnlySpan<byte> raw, TransactionDecodeOptions? options = null)
    {
        options ??= TransactionDecodeOptions.Default;
        if (raw.IsEmpty)
        {
            throw new TransactionFormatException("the transaction is empty");
        }

        var first = raw[0];
        try
        {
            if (first >= 0xc0)
            {
                return DecodeLegacy(raw, options);
            }

            if (first >= 0x80)
            {
                throw new TransactionFormatException(
                    $"first byte 0x{first:x2} starts an RLP string; a transaction is an RLP list (legacy) or a type byte 0x01/0x02 followed by a list");
            }

            return first switch
            {
                (byte)TransactionType.AccessList or (byte)TransactionType.DynamicFee => DecodeTyped((TransactionType)first, raw, options),
                _ => throw new TransactionFormatException($"transaction type 0x{first:x2} is not supported (only legacy, 0x01 and 0x02)"),
            };
        }
        catch (RlpException e)
        {
            throw new TransactionFormatException(e.Message, e);
        }
    }

    /// <summary>Decodes, returning the reason instead of throwing.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> raw, out SignedTransaction? transaction, out string error, TransactionDecodeOptions? options = null)
    {
        try
        {
            transaction = Decode(raw, options);
            error = string.Empty;
            return true;
        }
        catch (TransactionFormatException e)
        {
            transaction = null;
            error = e.Message;
            return false;
        }
    }

    private static SignedTransaction DecodeLegacy(ReadOnlySpan<byte> raw, TransactionDecodeOptions options)
    {
        var fields = RlpDecoder.Decode(raw).AsList("a legacy transaction");
        RequireCount(fields, 9, "a signed legacy transaction");
        var v = Integer(fields[6], "v", 32);
        BigInteger? chainId;
        byte yParity;
        if (v == 27 || v == 28)
        {
            chainId = null;
            yParity = (byte)(v - 27);
        }
        else if (v >= 35)
        {
            // EIP-155: v = chainId·2 + 35 + yParity.
            chainId = (v - 35) / 2;
            yParity = (byte)((v - 35) % 2);
            if (chainId == 0)
            {
                throw new TransactionFormatException($"v = {v} encodes EIP-155 chain id 0, which no chain uses");
            }
        }
        else
        {
            throw new TransactionFormatException($"v = {v} is neither 27/28 (pre-EIP-155) nor chainId·2+35/36 (EIP-155)");
        }

        var tx = new Transaction
        {
            Type = TransactionType.Legacy,
            ChainId = chainId,
            Nonce = Integer(fields[0], "nonce", 8),
            GasPrice = Integer(fields[1], "gasPrice", 32),
            GasLimit = Integer(fields[2], "gasLimit", 8),
            To = Recipient(fields[3]),
            Value = Integer(fields[4], "value", 32),
            Data = fields[5].AsString("data").Bytes,
        };
        return Finish(tx, v, yParity, fields[7], fields[8], raw, options);
    }

    private static SignedTransaction DecodeTyped(TransactionType type, ReadOnlySpan<byte> raw, TransactionDecodeOptions options)
    {
        var fields = RlpDecoder.Decode(raw[1..]).AsList($"the type-{(byte)type} payload");
        var expected = type == TransactionType.AccessList ? 11 : 12;
        RequireCount(fields, expected, $"a signed type-{(byte)type} transaction");
        var i = 0;
        var chainId = Integer(fields[i++], "chainId", 32);
        var nonce = Integer(fields[i++], "nonce", 8);
        BigInteger gasPrice = 0, maxPriority = 0, maxFee = 0;
        if (type == TransactionType.AccessList)
        {
            gasPrice = Integer(fields[i++], "gasPrice", 32);
        }
        else
        {
            maxPriority = Integer(fields[i++], "maxPriorityFeePerGas", 32);
            maxFee = Integer(fields[i++], "maxFeePerGas", 32);
        }

        var tx = new Transaction
        {
            Type = type,
            ChainId = chainId,
            Nonce = nonce,
            GasPrice = gasPrice,
            MaxPriorityFeePerGas = maxPriority,
            MaxFeePerGas = maxFee,
            GasLimit = Integer(fields[i++], "gasLimit", 8),
            To = Recipient(fields[i++]),
            Value = Integer(fields[i++], "value", 32),
            Data = fields[i++].AsString("data").Bytes,
            AccessList = AccessList(fields[i++]),
        };
        var yParityValue = Integer(fields[i++], "yParity", 1);
        if (yParityValue > 1)
        {
            throw new TransactionFormatException($"yParity must be 0 or 1, got {yParityValue}");
        }

        return Finish(tx, yParityValue, (byte)yParityValue, fields[i], fields[i + 1], raw, options);
    }

    private static SignedTransaction Finish(Transaction tx, BigInteger v, byte yParity, RlpItem rItem, RlpItem sItem, ReadOnlySpan<byte> raw, TransactionDecodeOptions options)
    {
        var r = Integer(rItem, "r", 32);
        var s = Integer(sItem, "s", 32);
        if (r.IsZero || r >= CurveOrder)
        {
            throw new TransactionFormatException("r must be between 1 and n-1 (the secp256k1 order)");
        }

        if (s.IsZero || s >= CurveOrder)
        {
            throw new TransactionFormatException("s must be between 1 and n-1 (the secp256k1 order)");
        }

        if (!options.AllowHighS && s > HalfCurveOrder)
        {
            throw new TransactionFormatException("s is above n/2; since Homestead (EIP-2) only low-s signatures are valid");
        }

        if (options.ExpectedChainId is { } expectedChainId && tx.ChainId is { } chainId && chainId != expectedChainId)
        {
            throw new TransactionFormatException($"the transaction is for chain {chainId}, not {expectedChainId}");
        }

        var signature = new Signature(UnsignedBigEndian.ToFixed(r, 32), UnsignedBigEndian.ToFixed(s, 32), yParity);
        var signingHash = TransactionEncoder.SigningHash(tx);
        if (!Secp256k1.TryRecoverAddress(signingHash.ToArray(), signature, out var from))
        {
            throw new TransactionFormatException("the signature does not recover to a public key");
        }

        var bytes = raw.ToArray();
        return new SignedTransaction(tx, v, signature, bytes, new Hash32(Keccak256.Hash(bytes)), from);
    }

    private static void RequireCount(RlpList fields, int expected, string what)
    {
        if (fields.Count != expected)
        {
            throw new TransactionFormatException($"{what} has {expected} fields, this one has {fields.Count}");
        }
    }

    private static BigInteger Integer(RlpItem item, string name, int maxBytes)
        => item.AsString(name).ToInteger(name, maxBytes);

    private static Address? Recipient(RlpItem item)
    {
        var bytes = item.AsString("to").Bytes;
        return bytes.Length switch
        {
            0 => null,
            20 => new Address(bytes),
            _ => throw new TransactionFormatException($"to is {bytes.Length} bytes; an address is 20 bytes (or empty for contract creation)"),
        };
    }

    private static List<AccessListEntry> AccessList(RlpItem item)
    {
        var entries = new List<AccessListEntry>();
        foreach (var entryItem in item.AsList("accessList").Items)
        {
            var entry = entryItem.AsList("an access-list entry");
            if (entry.Count != 2)
            {
                throw new TransactionFormatException($"an access-list entry has 2 items [address, storageKeys], this one has {entry.Count}");
            }

            var address = entry[0].AsString("an access-list address").Bytes;
            if (address.Length != 20)
            {
                throw new TransactionFormatException($"an access-list address is {address.Length} bytes; it must be 20");
            }

            var keys = new List<Hash32>();
            foreach (var keyItem in entry[1].AsList("access-list storage keys").Items)
            {
                var key = keyItem.AsString("an access-list storage key").Bytes;
                if (key.Length != 32)
                {
                    throw new TransactionFormatException($"an access-list storage key is {key.Length} bytes; it must be 32");
                }

                keys.Add(new Hash32(key));
            }

            entries.Add(new AccessListEntry(new Address(address), keys));
        }

        return entries;
    }
}
