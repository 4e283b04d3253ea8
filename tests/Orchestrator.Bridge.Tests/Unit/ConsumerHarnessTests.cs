using System.Numerics;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Bus;
using Orchestrator.Bridge.Consumers;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Tests.Unit;

/// <summary>
/// The bridge's consumers under MassTransit's test harness (no broker): an event that could never be
/// settled faults in the consumer with its reason, before any chain work, so it lands in the error
/// queue instead of a batch. The broker's own part (error queues, redelivery) is in ChainDealTests.
/// </summary>
public sealed class ConsumerHarnessTests
{
    [Fact]
    public async Task An_event_whose_ids_do_not_match_faults_with_the_reason_before_reaching_the_chain()
    {
        await using var provider = Services();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            var deal = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            await harness.Bus.Publish(Completed(deal, index: 0, ProtocolIds.TaskId(deal, 1)));

            var consumer = harness.GetConsumerHarness<TaskCompletedConsumer>();
            Assert.True(await consumer.Consumed.Any<TaskCompletedV1>(c => c.Exception is not null), "the consumer did not refuse the event");
            var fault = Assert.Single(await harness.Published.SelectAsync<Fault<TaskCompletedV1>>().ToListAsync());
            Assert.Contains("is not keccak256", fault.Context.Message.Exceptions[0].Message, StringComparison.Ordinal);
            Assert.Equal(typeof(TaskRejectedException).FullName, fault.Context.Message.Exceptions[0].ExceptionType);
        }
        finally
        {
            await harness.Stop();
        }
    }

    [Fact]
    public async Task A_failed_task_of_another_deal_index_faults_in_the_claim_consumer()
    {
        await using var provider = Services();
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        try
        {
            var deal = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            await harness.Bus.Publish(new TaskFailedV1("task-failed:x", DateTimeOffset.UnixEpoch, ProtocolIds.TaskId(deal, 3), deal, 2, BigInteger.Zero, "final deadline"));

            Assert.True(await harness.GetConsumerHarness<TaskFailedConsumer>().Consumed.Any<TaskFailedV1>(c => c.Exception is not null));
            Assert.True(await harness.Published.Any<Fault<TaskFailedV1>>());
        }
        finally
        {
            await harness.Stop();
        }
    }

    // A bridge on a node nobody listens on: a consumer that reached it would hang, not fault.
    private static ServiceProvider Services()
    {
        var options = new BridgeOptions { SchedulerKey = Hex.Encode(Secp256k1.NewPrivateKey()), RpcUrl = new Uri("http://127.0.0.1:1/") };
        var rpc = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = options.RpcUrl, MaxAttempts = 1 });
        var sender = new AccountSender(rpc, new InMemoryBridgeStore(), new FeeOracle(rpc, options), options, TimeProvider.System, NullLogger<AccountSender>.Instance);
        return new ServiceCollection()
            .AddSingleton(new ChainBridge(rpc, sender, options, TimeProvider.System, NullLoggerFactory.Instance))
            // The harness gives up after a second without bus activity by default: too short for a
            // cold start on a small, shared machine (it only lengthens a wait that is about to fail).
            .Configure<TestHarnessOptions>(o =>
            {
                o.TestTimeout = TimeSpan.FromSeconds(60);
                o.TestInactivityTimeout = TimeSpan.FromSeconds(30);
            })
            .AddMassTransitTestHarness(x =>
            {
                x.AddConsumer<TaskCompletedConsumer>();
                x.AddConsumer<TaskFailedConsumer>();
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.ConfigureJsonSerializerOptions(BusJson.Configure);
                    cfg.ConfigureEndpoints(context);
                });
            })
            .BuildServiceProvider(true);
    }

    private static TaskCompletedV1 Completed(Hash32 dealId, long index, Hash32 taskId)
    {
        var worker = Secp256k1.NewPrivateKey();
        var digest = new Hash32(System.Security.Cryptography.SHA256.HashData([1, 2, 3]));
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(Secp256k1.AddressOf(worker), taskId, digest);
        var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(taskId, hash, seal).ToArray(), worker).ToBytes65();
        var contribution = new ContributionRecordV1(Secp256k1.AddressOf(worker), hash, seal, signature, [], Address.Zero, true, 2, 0, BigInteger.One, BigInteger.Zero);
        return new TaskCompletedV1($"task-completed:{taskId}", DateTimeOffset.UtcNow, taskId, dealId, index, digest, hash, [contribution], BigInteger.Zero, false);
    }
}
