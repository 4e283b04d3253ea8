using System.Numerics;
using CsCheck;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Domain.Tests.Tasks;

/// <summary>Random walks through a task's life: invariants that must hold after every step.</summary>
public sealed class TaskRunPropertyTests
{
    private static readonly Hash32 Good = TestKit.SmallHash(0x60);
    private static readonly Hash32 Bad = TestKit.SmallHash(0x66);

    // Keys are slow to make; a fixed pool of real workers is shared by every sample.
    private static readonly TestWorker[] Workers = Enumerable.Range(0, 6).Select(_ => new TestWorker()).ToArray();

    private static readonly Gen<(int Kind, int Worker, bool Honest, int Score, int Seconds)> GenOp =
        Gen.Select(Gen.Int[0, 4], Gen.Int[0, 5], Gen.Frequency((4, Gen.Const(true)), (1, Gen.Const(false))), Gen.Int[0, 40], Gen.Int[0, 240]);

    [Fact]
    public void InvariantsHoldAlongRandomRuns()
    {
        Gen.Select(Gen.Int[0, 6], GenOp.Array[1, 40]).Sample((trust, ops) =>
        {
            var task = TestKit.NewTask(trust);
            var now = TestKit.Start;
            var contributed = new Dictionary<Address, Hash32>();
            foreach (var (kind, index, honest, score, seconds) in ops)
            {
                now = now.AddSeconds(seconds);
                var worker = Workers[index];
                var digest = honest ? Good : Bad;
                var before = TaskSnapshot.Of(task);
                var statusBefore = task.Status;
                var step = kind switch
                {
                    0 => task.Assign(worker.Address, 2, now),
                    1 => task.Contribute(worker.Address, score, ProtocolHash(task, digest), ProtocolSeal(task, worker, digest), worker.Sign(task.TaskId, ProtocolHash(task, digest), ProtocolSeal(task, worker, digest)), now),
                    2 => task.Reveal(worker.Address, contributed.GetValueOrDefault(worker.Address, digest), now),
                    3 => task.Advance(now),
                    _ => task.Release(worker.Address, ReplicateStatus.WorkerLost, now),
                };

                if (kind == 1 && step.Accepted) contributed[worker.Address] = digest;

                if (!step.Accepted)
                {
                    Assert.False(step.Changed);
                    Assert.Empty(step.Effects);
                    Assert.Equal(before, TaskSnapshot.Of(task));
                }
                else if (!step.Changed)
                {
                    Assert.Equal(before, TaskSnapshot.Of(task));
                }

                CheckInvariants(task, statusBefore, step, now);
            }
        }, iter: 400);
    }

    private static Hash32 ProtocolHash(TaskRun task, Hash32 digest) => Orchestrator.Domain.Ids.ProtocolIds.ResultHash(task.TaskId, digest);

    private static Hash32 ProtocolSeal(TaskRun task, TestWorker worker, Hash32 digest) => Orchestrator.Domain.Ids.ProtocolIds.ResultSeal(worker.Address, task.TaskId, digest);

    private static void CheckInvariants(TaskRun task, TaskStatus statusBefore, TaskStep step, DateTimeOffset now)
    {
        Assert.True(statusBefore == task.Status || StateMachine.IsLegal(statusBefore, task.Status) || (statusBefore, task.Status) == (TaskStatus.Revealing, TaskStatus.Revealing));
        Assert.Equal(task.Replicates.Count, task.Holders.Distinct().Count());
        Assert.Equal(BigInteger.One + task.Tally.Groups.Values.Aggregate(BigInteger.Zero, (a, b) => a + b), task.Tally.Total);

        switch (task.Status)
        {
            case TaskStatus.Unset:
                Assert.Empty(task.Replicates);
                break;
            case TaskStatus.Active:
                // No group may pass undeclared: that task would wait for nothing until its final deadline.
                Assert.Null(task.Tally.Winner());
                Assert.Null(task.ConsensusHash);
                if (now < task.Terms.ContributionDeadline && !task.NeedsMoreReplicas(now))
                {
                    Assert.Contains(task.Replicates, r => r.IsPending(now, task.Terms.Timeref));
                }

                break;
            case TaskStatus.Revealing:
                Assert.NotNull(task.RevealDeadline);
                Assert.Equal(task.ConsensusHash, task.Tally.Winner());
                Assert.Contains(task.Replicates, r => r.ResultHash == task.ConsensusHash && r.Status is ReplicateStatus.Contributed or ReplicateStatus.Revealed);
                break;
            case TaskStatus.Completed:
                Assert.NotNull(task.ResultDigest);
                Assert.Equal(Orchestrator.Domain.Ids.ProtocolIds.ResultHash(task.TaskId, task.ResultDigest.Value), task.ConsensusHash);
                Assert.DoesNotContain(task.Replicates, r => r.Status == ReplicateStatus.Contributed);
                break;
            case TaskStatus.Failed:
                Assert.True(now >= task.Terms.FinalDeadline);
                break;
        }

        foreach (var effect in step.Effects)
        {
            if (effect is TaskCompleted completed)
            {
                var s = completed.Settlement;
                var seized = s.Workers.Aggregate(BigInteger.Zero, (a, w) => a + w.StakeSeized);
                var rewards = s.Workers.Aggregate(BigInteger.Zero, (a, w) => a + w.Reward);
                Assert.Equal(task.Terms.TaskPrice + seized, rewards + s.SchedulerReward);
                var revealed = task.Replicates.Where(r => r.Status == ReplicateStatus.Revealed).Select(r => r.Worker).ToHashSet();
                Assert.True(revealed.SetEquals(s.Workers.Where(w => w.Won).Select(w => w.Worker)));
                Assert.True(task.Replicates.Where(r => r.HasContributed).Select(r => r.Worker).ToHashSet().SetEquals(s.Workers.Select(w => w.Worker)));
                Assert.All(task.Replicates.Where(r => r.Status == ReplicateStatus.Revealed), r => Assert.Equal(completed.ResultDigest, r.RevealedDigest));
            }

            if (effect is TaskFailed)
            {
                Assert.Equal(TaskStatus.Failed, task.Status);
            }
        }
    }
}
