using System.Text.Json;
using Orchestrator.Chain.Tests.Vectors;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Transactions;

/// <summary>
/// ethereum/tests TransactionTests: txbytes → decode, hash, sender. The reference is the newest fork
/// each file has a result for. Rejections must come from <see cref="TransactionDecoder"/> (wire format,
/// signature, chain id 1 as the tests assume) or, for the gas-schedule rules only, from
/// <see cref="TransactionRules"/>; <see cref="RulesOnlyRejections"/> lists those.
/// </summary>
public sealed class EthereumTransactionTests
{
    private static readonly string[] ForksNewestFirst =
        ["Prague", "Cancun", "Shanghai", "Paris", "London", "Berlin", "Istanbul", "ConstantinopleFix", "Constantinople", "Byzantium", "EIP158", "EIP150", "Homestead", "Frontier"];

    private static readonly TransactionDecodeOptions ChainOne = new() { ExpectedChainId = 1 };

    /// <summary>Exceptions that depend on the gas schedule or account state, not on the bytes.</summary>
    private static readonly HashSet<string> RulesOnlyRejections =
    [
        "TransactionException.INTRINSIC_GAS_TOO_LOW",
        "TransactionException.NONCE_TOO_BIG",
        "TransactionException.GASLIMIT_PRICE_PRODUCT_OVERFLOW",
        "TransactionException.PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2",
    ];

    public static IEnumerable<object[]> Cases()
    {
        var root = ChainVectors.PathOf("ethereum-tests/TransactionTests");
        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var test in doc.RootElement.EnumerateObject())
            {
                yield return [new Case(Path.GetRelativePath(root, file) + "::" + test.Name, test.Value.Clone())];
            }
        }
    }

    [Fact]
    public void AllFilesAreThere()
    {
        Assert.Equal(206, Cases().Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NewestForkResultIsReproduced(Case vector)
    {
        var raw = vector.Data.HexOf("txbytes");
        var (fork, result) = Newest(vector.Data.GetProperty("result"));
        var decoded = TransactionDecoder.TryDecode(raw, out var tx, out var error, ChainOne);

        if (result.Has("hash"))
        {
            Assert.True(decoded, $"{vector.Name}: valid in {fork} but rejected: {error}");
            Assert.Equal(result.Str("hash"), tx!.Hash.ToString());
            Assert.Equal(result.Str("sender"), tx.From.ToLowerHex());
            Assert.True(TransactionRules.TryValidate(tx.Transaction, out var ruleError), ruleError);
            if (fork is "Shanghai" or "Cancun" or "Prague")
            {
                Assert.Equal(Json.Big(result.GetProperty("intrinsicGas")), TransactionRules.IntrinsicGas(tx.Transaction));
            }

            // Canonical input round-trips exactly.
            Assert.Equal(Hex.Encode(raw), Hex.Encode(TransactionEncoder.EncodeSigned(tx.Transaction, tx.Signature)));
            return;
        }

        var exception = result.Str("exception");
        if (decoded)
        {
            Assert.Contains(exception, RulesOnlyRejections);
            Assert.False(TransactionRules.TryValidate(tx!.Transaction, out _), $"{vector.Name}: {exception} in {fork} but accepted");
        }
    }

    [Fact]
    public void OnlyTheDocumentedCasesNeedMoreThanTheDecoder()
    {
        var decodedWithChainOne = new List<string>();
        var decodedWithoutChainId = new List<string>();
        foreach (var row in Cases())
        {
            var vector = (Case)row[0];
            var (_, result) = Newest(vector.Data.GetProperty("result"));
            if (result.Has("hash"))
            {
                continue;
            }

            var raw = vector.Data.HexOf("txbytes");
            var name = vector.Name[(vector.Name.IndexOf("::", StringComparison.Ordinal) + 2)..];
            if (TransactionDecoder.TryDecode(raw, out _, out _, ChainOne))
            {
                decodedWithChainOne.Add(name);
            }
            else if (TransactionDecoder.TryDecode(raw, out _, out _))
            {
                decodedWithoutChainId.Add(name);
            }
        }

        // Well-formed and validly signed; only the gas schedule or fee rules (TransactionRules) reject them.
        Assert.Equal(
            [
                "DataTestNotEnoughGAS", "dataTx_bcValidBlockTestFrontier", "TransactionException.GASLIMIT_PRICE_PRODUCT_OVERFLOW",
                "GasLimitPriceProductOverflowPlusOne", "maxFeePerGas32BytesValue", "maxPriorityFeePerGass32BytesValue",
                "DataTestInsufficientGas2028", "NotEnoughGasLimit", "TransactionWithGasLimitxPriceOverflow", "TransactionWithHighNonce64Minus1",
            ],
            decodedWithChainOne);

        // Valid EIP-155 transactions for another chain: rejected only when the expected chain id (1) is given.
        Assert.Equal(
            [
                "RightVRSTestF0000000a", "RightVRSTestF0000000b", "RightVRSTestF0000000c", "RightVRSTestF0000000d", "RightVRSTestF0000000e",
                "RightVRSTestF0000000f", "Vitalik_15", "Vitalik_16", "Vitalik_17", "V_overflow64bitSigned", "V_wrongvalue_101", "V_wrongvalue_121",
                "V_wrongvalue_122", "V_wrongvalue_123", "V_wrongvalue_124", "V_wrongvalue_ff", "V_wrongvalue_ffff", "ValidChainID1InvalidV1",
                "WrongVRSTestVEqual39", "WrongVRSTestVEqual41", "tr201506052141PYTHON",
            ],
            decodedWithoutChainId);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FrontierResultIsReproducedWithHighSAllowed(Case vector)
    {
        // Frontier predates EIP-2 and EIP-155, so only its high-s and unprotected cases are meaningful here.
        if (!vector.Data.GetProperty("result").TryGetProperty("Frontier", out var frontier) || !frontier.Has("hash"))
        {
            return;
        }

        var raw = vector.Data.HexOf("txbytes");
        var tx = TransactionDecoder.Decode(raw, new TransactionDecodeOptions { AllowHighS = true });

        Assert.Equal(frontier.Str("hash"), tx.Hash.ToString());
        Assert.Equal(frontier.Str("sender"), tx.From.ToLowerHex());
    }

    private static (string Fork, JsonElement Result) Newest(JsonElement results)
    {
        foreach (var fork in ForksNewestFirst)
        {
            if (results.TryGetProperty(fork, out var result))
            {
                return (fork, result);
            }
        }

        throw new InvalidOperationException("no fork result");
    }
}
