using System.Numerics;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Contract;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Bridge.Tests.Infrastructure;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Results;

namespace Orchestrator.Bridge.Tests;

/// <summary>
/// Where the result is, on chain, through the real bridge (batcher, preflight, sender) on Anvil: every
/// finalization names the pool's public results base, and callback deals get receiveResult with the
/// app's callback data; a callback that reverts or burns its gas never blocks the batch.
/// </summary>
public sealed class CallbackTests
{
    private const string ResultBase = "https://pool.example.org/api";
    private static readonly BigInteger Price = BigInteger.Pow(10, 15);
    private static readonly AbiFunction Count = AbiFunction.Parse("count() returns (uint256)");
    private static readonly AbiFunction Received = AbiFunction.Parse("received(uint256 i) returns (address, bytes32, bytes)");

    [AnvilFact]
    public async Task CallbackTasksAreFinalizedWithTheResultPointerAndAFailingCallbackNeverBlocksTheBatch()
    {
        await using var anvil = new AnvilNode();
        await anvil.StartAsync();
        var rpc = anvil.Client();
        var hub = await HubDeployment.DeployAsync(rpc);
        var recorder = await hub.DeployReceiverAsync("RecordingReceiver");
        var reverter = await hub.DeployReceiverAsync("RevertingReceiver");
        var burner = await hub.DeployReceiverAsync("GasBurningReceiver");
        var workerKey = Secp256k1.NewPrivateKey();
        await hub.DepositForAsync([Secp256k1.AddressOf(workerKey)], Price);

        var recorded = await hub.CreateDealAsync(2, Price, callback: recorder);
        var reverted = await hub.CreateDealAsync(1, Price, callback: reverter);
        var burnt = await hub.CreateDealAsync(1, Price, callback: burner);
        var plain = await hub.CreateDealAsync(1, Price);
        TaskCompletedV1[] tasks =
        [
            Completed(recorded, 0, workerKey, recorder, "0x7072696365"u8),
            Completed(reverted, 0, workerKey, reverter, "0x01"u8),
            Completed(recorded, 1, workerKey, recorder, "0x"u8),
            Completed(burnt, 0, workerKey, burner, "0x02"u8),
            Completed(plain, 0, workerKey, Address.Zero, default),
        ];

        await using (var bridge = Bridge(rpc, hub))
        {
            var outcomes = await Task.WhenAll(tasks.Select(t => bridge.Finalizations.EnqueueAsync(t, CancellationToken.None)));
            Assert.All(outcomes, o => Assert.Equal(SettleOutcome.Sent, o));
        }

        foreach (var t in tasks)
        {
            Assert.Equal(HubContract.StatusCompleted, await hub.TaskStatusAsync(t.DealId, t.Index));
        }

        // The pointer: every run's log names the base; with the task id it gives the result's location.
        var finalized = (await hub.LogsAsync(HubContract.TasksFinalized.Topic0)).Select(l => HubContract.DecodeTasksFinalizedLog(l.Topics, l.Data)).ToList();
        Assert.NotEmpty(finalized);
        Assert.All(finalized, f => Assert.Equal(ResultBase, f.ResultBase));
        Assert.Equal(tasks.Length, finalized.Sum(f => f.Tasks.Count));

        // The callbacks: one call per callback task, the outcome logged; the recorder got the app's bytes.
        var calls = (await hub.LogsAsync(HubContract.CallbackCalled.Topic0)).Select(l => HubContract.CallbackCalled.DecodeLog(l.Topics, l.Data)).ToDictionary(v => new Hash32((byte[])v[0]!), v => ((Address)v[1]!, (bool)v[2]!));
        Assert.Equal(4, calls.Count);
        Assert.Equal((recorder, true), calls[tasks[0].TaskId]);
        Assert.Equal((recorder, true), calls[tasks[2].TaskId]);
        Assert.Equal((reverter, false), calls[tasks[1].TaskId]);
        Assert.Equal((burner, false), calls[tasks[3].TaskId]);
        Assert.False(calls.ContainsKey(tasks[4].TaskId));

        Assert.Equal(new BigInteger(2), (BigInteger)Count.DecodeOutput(await rpc.CallAsync(new CallRequest { To = recorder, Data = Count.EncodeCall() }, BlockParameter.Latest))[0]!);
        var byTask = new Dictionary<Hash32, byte[]>();
        for (var i = 0; i < 2; i++)
        {
            var r = Received.DecodeOutput(await rpc.CallAsync(new CallRequest { To = recorder, Data = Received.EncodeCall(new BigInteger(i)) }, BlockParameter.Latest));
            Assert.Equal(hub.Hub, (Address)r[0]!);
            byTask[new Hash32((byte[])r[1]!)] = (byte[])r[2]!;
        }

        Assert.Equal(tasks[0].CallbackData, byTask[tasks[0].TaskId]);
        Assert.Empty(byTask[tasks[2].TaskId]);
    }

    [AnvilFact]
    public async Task ACallbackDealsTaskWhoseDataDoesNotHashToItsDigestIsRefusedByTheHubAndTheRestGoOn()
    {
        await using var anvil = new AnvilNode();
        await anvil.StartAsync();
        var rpc = anvil.Client();
        var hub = await HubDeployment.DeployAsync(rpc);
        var recorder = await hub.DeployReceiverAsync("RecordingReceiver");
        var workerKey = Secp256k1.NewPrivateKey();
        await hub.DepositForAsync([Secp256k1.AddressOf(workerKey)], Price);
        var deal = await hub.CreateDealAsync(2, Price, callback: recorder);
        var good = Completed(deal, 0, workerKey, recorder, "0xaa"u8);
        var forged = Completed(deal, 1, workerKey, recorder, "0xbb"u8) with { CallbackData = [0xcc] };

        await using var bridge = Bridge(rpc, hub);
        var refused = bridge.Finalizations.EnqueueAsync(forged, CancellationToken.None);
        Assert.Equal(SettleOutcome.Sent, await bridge.Finalizations.EnqueueAsync(good, CancellationToken.None));
        var error = await Assert.ThrowsAsync<TaskRejectedException>(() => refused);
        Assert.Contains("BadCallbackData", error.Message, StringComparison.Ordinal);
        Assert.Equal(HubContract.StatusActive, await hub.TaskStatusAsync(deal, 1));
    }

    private static ChainBridge Bridge(EthereumRpcClient rpc, HubDeployment hub)
    {
        var options = new BridgeOptions
        {
            Enabled = true,
            RpcUrl = new Uri("http://127.0.0.1:1/"), // unused: the sender is given the node's client
            HubAddress = hub.Hub.ToChecksumString(),
            PoolAddress = Accounts.Of(Accounts.PoolOwnerKey).ToChecksumString(),
            SchedulerKey = Hex.Encode(Accounts.SchedulerKey),
            Confirmations = 1,
            BatchAge = TimeSpan.FromMilliseconds(300),
            PollInterval = TimeSpan.FromMilliseconds(100),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(1),
        };
        var sender = new AccountSender(rpc, new InMemoryBridgeStore(), new FeeOracle(rpc, options), options, TimeProvider.System, NullLogger<AccountSender>.Instance);
        return new ChainBridge(rpc, sender, options, TimeProvider.System, NullLoggerFactory.Instance, new ResultPointerOptions { PublicBaseUrl = new Uri(ResultBase + "/") }.ResultBase);
    }

    /// <summary>A trust-1 task completed by one revealed worker; on a callback deal its digest is keccak256 of the callback data.</summary>
    private static TaskCompletedV1 Completed(Hash32 dealId, long index, byte[] workerKey, Address callback, ReadOnlySpan<byte> callbackHex)
    {
        var taskId = ProtocolIds.TaskId(dealId, (ulong)index);
        var data = callback.IsZero ? null : CallbackData.Parse(System.Text.Encoding.ASCII.GetString(callbackHex));
        var digest = CallbackData.ResultDigest(!callback.IsZero, data, new Hash32(System.Security.Cryptography.SHA256.HashData(taskId.ToArray())));
        var worker = Secp256k1.AddressOf(workerKey);
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(worker, taskId, digest);
        var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(taskId, hash, seal).ToArray(), workerKey).ToBytes65();
        var contribution = new ContributionRecordV1(worker, hash, seal, signature, [], Address.Zero, true, 2, 0, BigInteger.Zero, BigInteger.Zero);
        return new TaskCompletedV1($"task-completed:{taskId}", DateTimeOffset.UtcNow, taskId, dealId, index, digest, hash, [contribution], BigInteger.Zero, false, callback, data);
    }
}
