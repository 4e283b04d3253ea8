using System.Numerics;
using Orchestrator.Chain.Rpc;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Rpc;

/// <summary>The RPC client and the EIP-1559 signer against a real Anvil node.</summary>
public sealed class AnvilIntegrationTests : IClassFixture<AnvilNode>
{
    private static readonly byte[] Account0Key = Hex.Decode("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    private static readonly Address Account0 = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    private static readonly Address Account1 = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    private readonly EthereumRpcClient _client;

    public AnvilIntegrationTests(AnvilNode anvil) => _client = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = anvil.Endpoint });

    [AnvilFact]
    public async Task SignedEip1559TransferIsMinedAndMovesTheBalances()
    {
        var client = _client;
        var chainId = await client.ChainIdAsync();
        Assert.Equal(31337, chainId);

        var nonce = await client.GetTransactionCountAsync(Account0, BlockParameter.Pending);
        var head = await client.GetBlockByNumberAsync(BlockParameter.Latest);
        Assert.NotNull(head);
        Assert.NotNull(head.BaseFeePerGas);
        var history = await client.FeeHistoryAsync(1, BlockParameter.Latest, [50]);
        Assert.Equal(2, history.BaseFeePerGas.Count);
        var tip = await client.MaxPriorityFeePerGasAsync();
        var maxFee = (head.BaseFeePerGas.Value * 2) + tip;
        var value = BigInteger.Pow(10, 18);
        var gas = await client.EstimateGasAsync(new CallRequest { From = Account0, To = Account1, Value = value, Data = [] });
        Assert.Equal(21_000, gas);

        var signed = TransactionSigner.SignEip1559(chainId, nonce, tip, maxFee, gas, Account1, value, [], Account0Key);
        var hash = await client.SendRawTransactionAsync(signed.Raw);
        Assert.Equal(signed.Hash, hash);

        var receipt = await WaitForReceiptAsync(client, hash);
        Assert.True(receipt.Succeeded);
        Assert.Equal(Account0, receipt.From);
        Assert.Equal(Account1, receipt.To);
        Assert.Equal(gas, receipt.GasUsed);
        Assert.NotNull(receipt.EffectiveGasPrice);

        var before = BlockParameter.Number(receipt.BlockNumber - 1);
        var after = BlockParameter.Number(receipt.BlockNumber);
        Assert.Equal(value, await client.GetBalanceAsync(Account1, after) - await client.GetBalanceAsync(Account1, before));
        var spent = await client.GetBalanceAsync(Account0, before) - await client.GetBalanceAsync(Account0, after);
        Assert.Equal(value + (receipt.GasUsed * receipt.EffectiveGasPrice.Value), spent);
        Assert.Equal(nonce + 1, await client.GetTransactionCountAsync(Account0, BlockParameter.Latest));
        Assert.True(await client.BlockNumberAsync() >= receipt.BlockNumber);

        // Replaying the mined transaction is a JSON-RPC error, reported once and not retried.
        var replay = await Assert.ThrowsAsync<JsonRpcException>(() => client.SendRawTransactionAsync(signed.Raw));
        Assert.Contains("nonce", replay.RpcMessage, StringComparison.OrdinalIgnoreCase);

        Assert.Empty(await client.GetLogsAsync(new LogFilter { FromBlock = before, ToBlock = after, Addresses = [Account1] }));
    }

    private static async Task<TransactionReceipt> WaitForReceiptAsync(EthereumRpcClient client, Hash32 hash)
        => (await Eventually.ForAsync($"the receipt of {hash}", () => client.GetTransactionReceiptAsync(hash), r => r is not null, TimeSpan.FromSeconds(10)))!;
}
