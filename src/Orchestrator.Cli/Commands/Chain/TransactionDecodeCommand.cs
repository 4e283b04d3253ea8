using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands.Chain;

/// <summary>
/// Logic of <c>orchestrator chain tx decode HEX</c>: prints a raw signed transaction as one JSON
/// object on a single line.
/// </summary>
/// <remarks>
/// Output fields, in order: <c>type</c> (a JSON number: 0 legacy, 1 EIP-2930, 2 EIP-1559),
/// <c>chainId</c> (absent for pre-EIP-155 legacy), <c>nonce</c>, <c>gasPrice</c> (types 0 and 1) or
/// <c>maxPriorityFeePerGas</c> and <c>maxFeePerGas</c> (type 2), <c>gas</c>, <c>to</c> (EIP-55, null
/// for contract creation), <c>value</c>, <c>data</c> (0x hex), <c>accessList</c> (array of
/// {address, storageKeys}; empty for legacy), <c>v</c> (legacy) or <c>yParity</c> (typed),
/// <c>r</c> and <c>s</c> (0x hex, 32 bytes), <c>hash</c>, <c>from</c> (recovered, EIP-55).
/// Every quantity (chainId, nonce, fees, gas, value, v, yParity) is a decimal string so that
/// 256-bit values survive JSON readers that use doubles. Decoding is strict (see
/// <see cref="TransactionDecoder"/>): malformed input exits with 1 and one line on stderr.
/// </remarks>
public static class TransactionDecodeCommand
{
    /// <summary>Decodes <paramref name="hex"/> (0x optional) and prints it; returns the exit code.</summary>
    public static int Run(string hex, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!Hex.TryDecode(hex, out var raw, out var hexError))
        {
            stderr.WriteLine($"error: the input is not hex: {hexError}");
            return 1;
        }

        if (!TransactionDecoder.TryDecode(raw, out var signed, out var error))
        {
            stderr.WriteLine($"error: not a valid signed transaction: {error}");
            return 1;
        }

        stdout.WriteLine(ToJson(signed!));
        return 0;
    }

    /// <summary>The JSON object <see cref="Run"/> prints.</summary>
    public static string ToJson(SignedTransaction signed)
    {
        ArgumentNullException.ThrowIfNull(signed);
        var tx = signed.Transaction;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("type", (int)tx.Type);
            if (tx.ChainId is { } chainId)
            {
                json.WriteString("chainId", Decimal(chainId));
            }

            json.WriteString("nonce", Decimal(tx.Nonce));
            if (tx.Type == TransactionType.DynamicFee)
            {
                json.WriteString("maxPriorityFeePerGas", Decimal(tx.MaxPriorityFeePerGas));
                json.WriteString("maxFeePerGas", Decimal(tx.MaxFeePerGas));
            }
            else
            {
                json.WriteString("gasPrice", Decimal(tx.GasPrice));
            }

            json.WriteString("gas", Decimal(tx.GasLimit));
            if (tx.To is { } to)
            {
                json.WriteString("to", to.ToChecksumString());
            }
            else
            {
                json.WriteNull("to");
            }

            json.WriteString("value", Decimal(tx.Value));
            json.WriteString("data", Hex.Encode(tx.Data));
            json.WriteStartArray("accessList");
            foreach (var entry in tx.AccessList)
            {
                json.WriteStartObject();
                json.WriteString("address", entry.Address.ToChecksumString());
                json.WriteStartArray("storageKeys");
                foreach (var key in entry.StorageKeys)
                {
                    json.WriteStringValue(key.ToString());
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString(tx.Type == TransactionType.Legacy ? "v" : "yParity", Decimal(signed.V));
            json.WriteString("r", Hex.Encode(signed.Signature.R));
            json.WriteString("s", Hex.Encode(signed.Signature.S));
            json.WriteString("hash", signed.Hash.ToString());
            json.WriteString("from", signed.From.ToChecksumString());
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Decimal(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}
