using System.Numerics;
using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>Anvil's well-known development accounts, in the roles the tests give them.</summary>
public static class Accounts
{
    /// <summary>Deploys the hub and owns the pool (its share is credited here).</summary>
    public static readonly byte[] PoolOwnerKey = Hex.Decode("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

    /// <summary>The pool's scheduler: the bridge signs with it.</summary>
    public static readonly byte[] SchedulerKey = Hex.Decode("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");

    /// <summary>Buys deals.</summary>
    public static readonly byte[] RequesterKey = Hex.Decode("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");

    /// <summary>Funds the workers' stakes.</summary>
    public static readonly byte[] FunderKey = Hex.Decode("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6");

    /// <summary>Registers an app with a price (Anvil's account 4).</summary>
    public static readonly byte[] AppOwnerKey = Hex.Decode("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a");

    /// <summary>Registers a dataset with a price (Anvil's account 5).</summary>
    public static readonly byte[] DatasetOwnerKey = Hex.Decode("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");

    /// <summary>The app every deal names unless a test registers its own (an address nobody registered).</summary>
    public static readonly Address DefaultApp = Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC");

    /// <summary>Address of a key.</summary>
    public static Address Of(byte[] key) => Secp256k1.AddressOf(key);
}

/// <summary>The hub deployed on a node, with the calls the tests make as requester, pool owner and funder.</summary>
public sealed class HubDeployment(EthereumRpcClient rpc, Address hub)
{
    /// <summary>The workers' reward ratio the pool registers (the scheduler keeps this percentage).</summary>
    public const int SchedulerRatioPercent = 10;

    private static readonly AbiFunction TaskStatusOf = AbiFunction.Parse("taskStatusOf(bytes32 dealId, uint256 idx) returns (uint8)");
    private static readonly AbiFunction Score = AbiFunction.Parse("scoreOf(address) returns (uint256)");
    private static readonly AbiFunction ComputeDealId = AbiFunction.Parse(
        "computeDealId(address requester, (address pool, address app, address dataset, uint8 category, uint256 trust, bytes32 tag, uint256 botFirst, uint256 botSize, uint256 taskPrice, string params, bytes32 salt, address callback) p) returns (bytes32, bytes32)");

    /// <summary>The contract.</summary>
    public Address Hub { get; } = hub;

    /// <summary>The node.</summary>
    public EthereumRpcClient Rpc { get; } = rpc;

    /// <summary>Deploys the hub and registers the pool (owner → scheduler, ratio).</summary>
    public static async Task<HubDeployment> DeployAsync(EthereumRpcClient rpc)
    {
        var bytecode = CompiledBytecode();
        var receipt = await SendAsync(rpc, Accounts.PoolOwnerKey, null, Hex.Decode("0x" + bytecode), BigInteger.Zero, 8_000_000);
        var hub = new HubDeployment(rpc, receipt.ContractAddress!.Value);
        await SendAsync(rpc, Accounts.PoolOwnerKey, hub.Hub, HubContract.RegisterPool.EncodeCall(Accounts.Of(Accounts.SchedulerKey), new BigInteger(SchedulerRatioPercent)), BigInteger.Zero);
        return hub;
    }

    /// <summary>Credits each worker's hub balance (their stakes) from the funder.</summary>
    public async Task DepositForAsync(IEnumerable<Address> workers, BigInteger amount)
    {
        foreach (var worker in workers)
        {
            await SendAsync(Rpc, Accounts.FunderKey, Hub, HubContract.DepositFor.EncodeCall(worker), amount);
        }
    }

    /// <summary>The requester creates a deal with its escrow; returns the deal id.</summary>
    public async Task<Hash32> CreateDealAsync(int botSize, BigInteger taskPrice, int trust = 1, uint tag = 0, int category = 0, string parameters = "chain-demo", Address callback = default)
        => (await CreateDealSignedAsync(botSize, taskPrice, BlockParameter.Pending, trust, tag, category, parameters, callback)).DealId;

    /// <summary>
    /// The requester creates a deal naming <paramref name="app"/> and <paramref name="dataset"/>, sending
    /// <paramref name="value"/> (deposited, then the hub locks the whole escrow from its balance); returns the deal id.
    /// </summary>
    public async Task<Hash32> CreatePaidDealAsync(int botSize, BigInteger taskPrice, Address app, Address dataset, BigInteger value, int trust = 1)
        => (await CreateDealSignedAsync(botSize, taskPrice, BlockParameter.Pending, trust, app: app, dataset: dataset, value: value)).DealId;

    /// <summary>The owner registers an app at a price per task; returns its address.</summary>
    public async Task<Address> RegisterAppAsync(byte[] ownerKey, string name, BigInteger price, string policy = "none")
    {
        // By default the policy text is not one the registry mirrors (the listener skips it): only the owner and price matter.
        await SendAsync(Rpc, ownerKey, Hub, HubContract.RegisterApp.EncodeCall(name, "registry.example/app@sha256:" + new string('a', 64), policy, price), BigInteger.Zero);
        return Orchestrator.Domain.Registry.AssetAddresses.App(Accounts.Of(ownerKey), name);
    }

    /// <summary>The owner registers a dataset anyone may use, at a price per task; returns its address.</summary>
    public async Task<Address> RegisterDatasetAsync(byte[] ownerKey, string name, BigInteger price)
    {
        var none = Array.Empty<object?>();
        await SendAsync(Rpc, ownerKey, Hub, HubContract.RegisterDataset.EncodeCall(name, new byte[32], "https://data.example/" + name + ".enc", price, none, none, none, none), BigInteger.Zero, 1_000_000);
        return Orchestrator.Domain.Registry.AssetAddresses.Dataset(Accounts.Of(ownerKey), name);
    }

    /// <summary>The account deposits <paramref name="amount"/> into its free hub balance.</summary>
    public Task DepositAsync(byte[] key, BigInteger amount) => SendAsync(Rpc, key, Hub, HubContract.Deposit.EncodeCall(), amount);

    /// <summary>How many tasks of the order with this EIP-712 digest the hub sold or cancelled.</summary>
    public async Task<BigInteger> ConsumedAsync(Hash32 orderDigest)
        => (BigInteger)HubOrders.ConsumedOf.DecodeOutput(await Rpc.CallAsync(new CallRequest { To = Hub, Data = HubOrders.ConsumedOf.EncodeCall(orderDigest) }, BlockParameter.Latest))[0]!;

    /// <summary>An account's frozen hub balance (a requester's locked escrow).</summary>
    public async Task<BigInteger> FrozenAsync(Address account)
        => (BigInteger)HubContract.FrozenOf.DecodeOutput(await Rpc.CallAsync(new CallRequest { To = Hub, Data = HubContract.FrozenOf.EncodeCall(account) }, BlockParameter.Latest))[0]!;

    /// <summary>
    /// The requester creates a deal at the account's <paramref name="nonceAt"/> nonce and waits for it to be mined;
    /// returns the deal id, the signed transaction (to send it again after a reorganisation) and its receipt.
    /// </summary>
    public async Task<(Hash32 DealId, byte[] Raw, TransactionReceipt Receipt)> CreateDealSignedAsync(
        int botSize, BigInteger taskPrice, BlockParameter nonceAt, int trust = 1, uint tag = 0, int category = 0, string parameters = "chain-demo", Address callback = default,
        Address app = default, Address dataset = default, BigInteger? value = null)
    {
        var salt = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var tagBytes = new byte[32];
        tagBytes[31] = (byte)tag;
        var p = new object?[]
        {
            Accounts.Of(Accounts.PoolOwnerKey), app.IsZero ? Accounts.DefaultApp : app, dataset.IsZero ? Address.Zero : dataset, new BigInteger(category),
            new BigInteger(trust), tagBytes, BigInteger.Zero, new BigInteger(botSize), taskPrice, parameters, salt, callback.IsZero ? Address.Zero : callback,
        };
        var nonce = await Rpc.GetTransactionCountAsync(Accounts.Of(Accounts.RequesterKey), nonceAt);
        var signed = TransactionSigner.SignEip1559(31337, nonce, 1_000_000_000, 100_000_000_000, 1_000_000, Hub, value ?? taskPrice * botSize, HubContract.CreateDeal.EncodeCall([p]), Accounts.RequesterKey);
        var receipt = await SendRawAsync(Rpc, signed.Raw.ToArray());
        var ids = ComputeDealId.DecodeOutput(await Rpc.CallAsync(new CallRequest { To = Hub, Data = ComputeDealId.EncodeCall(Accounts.Of(Accounts.RequesterKey), p) }, BlockParameter.Latest));
        return (new Hash32((byte[])ids[1]!), signed.Raw.ToArray(), receipt);
    }

    /// <summary>Sends a signed transaction (again) and waits for its receipt (it must succeed).</summary>
    public static async Task<TransactionReceipt> SendRawAsync(EthereumRpcClient rpc, byte[] raw)
    {
        var hash = await rpc.SendRawTransactionAsync(raw);
        var receipt = await Eventually.ForAsync($"the receipt of {hash}", () => rpc.GetTransactionReceiptAsync(hash), r => r is not null, TimeSpan.FromSeconds(30));
        return receipt!.Succeeded ? receipt : throw new InvalidOperationException($"transaction {hash} reverted");
    }

    /// <summary>A task's on-chain status (0 no such task, 1 active, 3 completed, 4 failed).</summary>
    public async Task<byte> TaskStatusAsync(Hash32 dealId, long index)
        => (byte)(BigInteger)TaskStatusOf.DecodeOutput(await Rpc.CallAsync(new CallRequest { To = Hub, Data = TaskStatusOf.EncodeCall(dealId, new BigInteger(index)) }, BlockParameter.Latest))[0]!;

    /// <summary>How many tasks of a deal the TasksFinalized logs report (each counted as often as it appears).</summary>
    public async Task<int> FinalizedLogCountAsync(Hash32 dealId)
        => (await LogsAsync(HubContract.TasksFinalized.Topic0)).Where(l => l.Topics[1] == dealId).Sum(l => HubContract.DecodeTasksFinalized(l.Topics, l.Data).Count);

    /// <summary>An account's hub balance.</summary>
    public async Task<BigInteger> BalanceAsync(Address account)
        => (BigInteger)HubContract.BalanceOf.DecodeOutput(await Rpc.CallAsync(new CallRequest { To = Hub, Data = HubContract.BalanceOf.EncodeCall(account) }, BlockParameter.Latest))[0]!;

    /// <summary>An account's on-chain score.</summary>
    public async Task<BigInteger> ScoreAsync(Address account)
        => (BigInteger)Score.DecodeOutput(await Rpc.CallAsync(new CallRequest { To = Hub, Data = Score.EncodeCall(account) }, BlockParameter.Latest))[0]!;

    /// <summary>Logs of one event of the hub.</summary>
    public Task<IReadOnlyList<LogEntry>> LogsAsync(Hash32 topic0)
        => Rpc.GetLogsAsync(new LogFilter { FromBlock = BlockParameter.Earliest, ToBlock = BlockParameter.Latest, Addresses = [Hub], Topics = [[topic0]] });

    /// <summary>The compiled contract's bytecode (built with solc from npm when missing).</summary>
    // Once per test run: rebuilds the artifacts when the sources changed (a no-op otherwise), so a stale out/ is never deployed.
    private static readonly Lazy<bool> Built = new(() =>
    {
        Commands.Run("node", [Repository.PathOf("contracts", "build.mjs"), "--if-needed"], TimeSpan.FromMinutes(3));
        return true;
    });

    /// <summary>Deploys one of the contract tests' callback receivers (contracts/test/ResultReceivers.sol).</summary>
    public async Task<Address> DeployReceiverAsync(string name)
    {
        var receipt = await SendAsync(Rpc, Accounts.PoolOwnerKey, null, Hex.Decode("0x" + CompiledBytecode(name)), BigInteger.Zero, 2_000_000);
        return receipt.ContractAddress!.Value;
    }

    private static string CompiledBytecode(string name = "OrchestratorHub")
    {
        var bin = Repository.PathOf("contracts", "out", name + ".bin");
        _ = Built.Value;

        return File.ReadAllText(bin).Trim();
    }

    /// <summary>Signs and sends a transaction from a test account and waits for its receipt (it must succeed).</summary>
    public static async Task<TransactionReceipt> SendAsync(EthereumRpcClient rpc, byte[] key, Address? to, byte[] data, BigInteger value, long gas = 500_000)
    {
        var from = Accounts.Of(key);
        var nonce = await rpc.GetTransactionCountAsync(from, BlockParameter.Pending);
        var signed = TransactionSigner.SignEip1559(31337, nonce, 1_000_000_000, 100_000_000_000, gas, to, value, data, key);
        var hash = await rpc.SendRawTransactionAsync(signed.Raw);
        var receipt = await Eventually.ForAsync($"the receipt of {hash}", () => rpc.GetTransactionReceiptAsync(hash), r => r is not null, TimeSpan.FromSeconds(30));
        return receipt!.Succeeded ? receipt : throw new InvalidOperationException($"transaction {hash} reverted");
    }
}
