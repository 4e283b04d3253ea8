using System.Numerics;
using Orchestrator.Chain.Rpc;
using Orchestrator.Chain.Transactions;
using Orchestrator.Cli.Commands.Account;
using Orchestrator.Domain.Crypto;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>`orchestrator account`: amounts as typed, and deposits and withdrawals on a real Anvil node with the hub deployed.</summary>
public sealed class AccountCommandTests
{
    // Anvil's accounts 0 (deploys) and 6 (moves its own money).
    private static readonly byte[] DeployerKey = Hex.Decode("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    private static readonly byte[] OwnerKey = Hex.Decode("0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e");

    [Theory]
    [InlineData("1500", "1500")]
    [InlineData("1500wei", "1500")]
    [InlineData("0.25eth", "250000000000000000")]
    [InlineData("1ether", "1000000000000000000")]
    [InlineData("0.000000000000000001ETH", "1")]
    public void AmountsAreExactWei(string text, string wei)
    {
        Assert.True(WeiAmount.TryParse(text, out var value, out var error), error);
        Assert.Equal(BigInteger.Parse(wei, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("", "not a whole number")]
    [InlineData("-5", "not a whole number")]
    [InlineData("1e18", "not a whole number")]
    [InlineData("0.5", "wei has no fractions")]
    [InlineData("0.0000000000000000001eth", "at most 18 decimals")]
    [InlineData("0eth", "zero")]
    public void BadAmountsAreRefusedWithTheRule(string text, string rule)
    {
        Assert.False(WeiAmount.TryParse(text, out _, out var error));
        Assert.Contains(rule, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [AnvilFact]
    public async Task DepositWithdrawAndARefusedWithdrawalThatChangesNothing()
    {
        await using var anvil = new AnvilNode();
        await anvil.StartAsync();
        var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = anvil.Endpoint, MaxAttempts = 1 });
        var hub = await DeployHubAsync(rpc);
        var account = new HubAccount(rpc, hub) { ReceiptPoll = TimeSpan.FromMilliseconds(20) };
        var owner = Secp256k1.AddressOf(OwnerKey);

        Assert.Equal(new HubBalance(owner, 0, 0), await account.BalanceAsync(owner));
        var deposited = await account.DepositAsync(OwnerKey, 5_000);
        Assert.Equal(new HubBalance(owner, 5_000, 0), deposited.Balance);

        // More than the free balance: refused by the simulation with the hub's rule, nothing sent.
        var nonce = await rpc.GetTransactionCountAsync(owner, BlockParameter.Pending);
        var refused = await Assert.ThrowsAsync<HubAccountException>(() => account.WithdrawAsync(OwnerKey, 5_001));
        Assert.Contains("InsufficientBalance — 5001 wei asked, 5000 wei free", refused.Message, StringComparison.Ordinal);
        Assert.Equal(nonce, await rpc.GetTransactionCountAsync(owner, BlockParameter.Pending));
        Assert.Equal(new HubBalance(owner, 5_000, 0), await account.BalanceAsync(owner));

        var ethBefore = await rpc.GetBalanceAsync(owner, BlockParameter.Latest);
        var withdrawn = await account.WithdrawAsync(OwnerKey, 3_000);
        Assert.Equal(new HubBalance(owner, 2_000, 0), withdrawn.Balance);
        var receipt = await rpc.GetTransactionReceiptAsync(withdrawn.Transaction);
        Assert.Equal(ethBefore + 3_000 - (receipt!.GasUsed * receipt.EffectiveGasPrice!.Value), await rpc.GetBalanceAsync(owner, BlockParameter.Latest));

        // An address where no hub is deployed answers nothing: said so, not decoded as zero.
        var nowhere = new HubAccount(rpc, Address.Parse("0x00000000000000000000000000000000000000aa"));
        var missing = await Assert.ThrowsAsync<HubAccountException>(() => nowhere.BalanceAsync(owner));
        Assert.Contains("no OrchestratorHub is deployed there", missing.Message, StringComparison.Ordinal);
    }

    [AnvilFact]
    public async Task ThePoolOwnerSetsTheWorkerStakeRatioAndABadRatioOrAKeyWithoutAPoolIsRefusedWithNothingSent()
    {
        await using var anvil = new AnvilNode();
        await anvil.StartAsync();
        var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = anvil.Endpoint, MaxAttempts = 1 });
        var hub = await DeployHubAsync(rpc);
        var pool = Secp256k1.AddressOf(DeployerKey);
        await SendAsync(rpc, DeployerKey, hub, Orchestrator.Bridge.Contract.HubContract.RegisterPool.EncodeCall(Secp256k1.AddressOf(OwnerKey), new BigInteger(10)));
        var account = new HubAccount(rpc, hub) { ReceiptPoll = TimeSpan.FromMilliseconds(20) };
        Assert.Equal(30, await account.WorkerStakeRatioAsync(pool)); // PoCo's default until the owner sets one

        await account.SetWorkerStakeRatioAsync(DeployerKey, 20);
        Assert.Equal(20, await account.WorkerStakeRatioAsync(pool));

        var nonce = await rpc.GetTransactionCountAsync(pool, BlockParameter.Pending);
        var tooMuch = await Assert.ThrowsAsync<HubAccountException>(() => account.SetWorkerStakeRatioAsync(DeployerKey, 101));
        Assert.Contains("InvalidStakeRatio — 101 is not a percentage", tooMuch.Message, StringComparison.Ordinal);
        Assert.Equal(nonce, await rpc.GetTransactionCountAsync(pool, BlockParameter.Pending));
        var notAPool = await Assert.ThrowsAsync<HubAccountException>(() => account.SetWorkerStakeRatioAsync(OwnerKey, 5));
        Assert.Contains("UnknownPool", notAPool.Message, StringComparison.Ordinal);
        Assert.Equal(20, await account.WorkerStakeRatioAsync(pool));

        // The same through the command, as a process: set, read, and a bad percentage refused before anything is sent.
        var keyFile = Path.Combine(Path.GetTempPath(), $"pool-{Guid.NewGuid():n}.key");
        File.WriteAllText(keyFile, Hex.Encode(DeployerKey));
        try
        {
            string[] chain = ["--rpc", anvil.Endpoint.ToString(), "--hub", hub.ToChecksumString(), "--key", keyFile];
            var (code, stdout, stderr) = await BuiltCli.RunAsync(["pool", "stake-ratio", "25", .. chain]);
            Assert.True(code == 0, stderr);
            Assert.Contains("\"workerStakeRatioPercent\":25", stdout, StringComparison.Ordinal);
            (code, stdout, stderr) = await BuiltCli.RunAsync(["pool", "stake-ratio", .. chain]);
            Assert.True(code == 0, stderr);
            Assert.Contains("\"workerStakeRatioPercent\":25", stdout, StringComparison.Ordinal);
            (code, _, stderr) = await BuiltCli.RunAsync(["pool", "stake-ratio", "101", .. chain]);
            Assert.Equal(2, code);
            Assert.Contains("0..100", stderr, StringComparison.Ordinal);

            // Anyone reads a pool's ratio by its address; setting it needs the owner's key, and a --pool that is not the key's is refused.
            string[] keyless = ["--rpc", anvil.Endpoint.ToString(), "--hub", hub.ToChecksumString()];
            (code, stdout, stderr) = await BuiltCli.RunAsync(["pool", "stake-ratio", "--pool", pool.ToString(), .. keyless]);
            Assert.True(code == 0, stderr);
            Assert.Contains("\"workerStakeRatioPercent\":25", stdout, StringComparison.Ordinal);
            (code, _, stderr) = await BuiltCli.RunAsync(["pool", "stake-ratio", "10", "--pool", pool.ToString(), .. keyless]);
            Assert.Equal(2, code);
            Assert.Contains("needs the pool owner's key", stderr, StringComparison.Ordinal);
            (code, _, stderr) = await BuiltCli.RunAsync(["pool", "stake-ratio", "--pool", Secp256k1.AddressOf(OwnerKey).ToString(), .. chain]);
            Assert.Equal(2, code);
            Assert.Contains("is not the address of --key", stderr, StringComparison.Ordinal);
            (code, _, stderr) = await BuiltCli.RunAsync(["pool", "stake-ratio", .. keyless]);
            Assert.Equal(2, code);
            Assert.Contains("--pool or --key", stderr, StringComparison.Ordinal);
            (code, stdout, stderr) = await BuiltCli.RunAsync(["account", "balance", .. chain]);
            Assert.True(code == 0, stderr);
            Assert.Contains("\"free\":\"0\"", stdout, StringComparison.Ordinal);
            Assert.Equal(25, await account.WorkerStakeRatioAsync(pool));
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    private static async Task SendAsync(EthereumRpcClient rpc, byte[] key, Address to, byte[] data)
    {
        var from = Secp256k1.AddressOf(key);
        var nonce = await rpc.GetTransactionCountAsync(from, BlockParameter.Pending);
        var signed = TransactionSigner.SignEip1559(31337, nonce, 1_000_000_000, 100_000_000_000, 500_000, to, BigInteger.Zero, data, key);
        var hash = await rpc.SendRawTransactionAsync(signed.Raw);
        var receipt = await Eventually.ForAsync("the transaction's receipt", () => rpc.GetTransactionReceiptAsync(hash), r => r is not null, TimeSpan.FromSeconds(30));
        Assert.True(receipt!.Succeeded);
    }

    private static async Task<Address> DeployHubAsync(EthereumRpcClient rpc)
    {
        Orchestrator.Testing.Commands.Run("node", [Repository.PathOf("contracts", "build.mjs"), "--if-needed"], TimeSpan.FromMinutes(3));
        var bytecode = Hex.Decode("0x" + File.ReadAllText(Repository.PathOf("contracts", "out", "OrchestratorHub.bin")).Trim());
        var from = Secp256k1.AddressOf(DeployerKey);
        var nonce = await rpc.GetTransactionCountAsync(from, BlockParameter.Pending);
        var signed = TransactionSigner.SignEip1559(31337, nonce, 1_000_000_000, 100_000_000_000, 8_000_000, null, BigInteger.Zero, bytecode, DeployerKey);
        var hash = await rpc.SendRawTransactionAsync(signed.Raw);
        var receipt = await Eventually.ForAsync("the hub's deployment", () => rpc.GetTransactionReceiptAsync(hash), r => r is not null, TimeSpan.FromSeconds(30));
        Assert.True(receipt!.Succeeded);
        return receipt.ContractAddress!.Value;
    }
}
