using System.Numerics;
using System.Text.Json;
using Orchestrator.Abstractions.Events;
using Orchestrator.Bridge.Bus;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Tests.Unit;

public sealed class BusJsonTests
{
    private static readonly JsonSerializerOptions Options = BusJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    [Fact]
    public void ACompletedTaskSurvivesTheWireWithWeiAmountsBeyondJsonNumbers()
    {
        var worker = Address.Parse("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        var hash = new Hash32(Enumerable.Repeat((byte)7, 32).ToArray());
        var reward = BigInteger.Pow(10, 30) + 1;
        var original = new TaskCompletedV1("task-completed:x", DateTimeOffset.UnixEpoch, hash, hash, 5, hash, hash,
            [new ContributionRecordV1(worker, hash, hash, [1, 2, 3], [], Address.Zero, true, 2, 0, reward, BigInteger.Zero)], reward, false);

        var json = JsonSerializer.Serialize(original, Options);
        Assert.Contains("\"1000000000000000000000000000001\"", json, StringComparison.Ordinal);
        Assert.Contains(worker.ToChecksumString(), json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<TaskCompletedV1>(json, Options)!;

        Assert.Equal(original.TaskId, back.TaskId);
        Assert.Equal(reward, back.SchedulerReward);
        var c = Assert.Single(back.Contributions);
        Assert.Equal(worker, c.Worker);
        Assert.Equal(reward, c.Reward);
        Assert.Equal([1, 2, 3], c.WorkerSignature);
    }

    [Fact]
    public void AMalformedHashIsAJsonErrorNamingWhatWasExpected()
    {
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Hash32>("\"0x12\"", Options));
        Assert.Contains("32-byte hash", ex.Message, StringComparison.Ordinal);
    }
}
