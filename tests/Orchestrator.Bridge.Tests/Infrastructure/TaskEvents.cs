using System.Numerics;
using System.Security.Cryptography;
using Orchestrator.Abstractions.Events;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>Completed-task events as the cluster emits them at trust 1: one worker, its signature, revealed.</summary>
public static class TaskEvents
{
    /// <summary>The first <paramref name="tasks"/> tasks of a deal, signed by the workers in turn.</summary>
    public static List<TaskCompletedV1> ForDeal(Hash32 dealId, int tasks, IReadOnlyList<byte[]> workerKeys, BigInteger reward)
        => Enumerable.Range(0, tasks).Select(i =>
        {
            var key = workerKeys[i % workerKeys.Count];
            var worker = Secp256k1.AddressOf(key);
            var taskId = ProtocolIds.TaskId(dealId, (ulong)i);
            var digest = new Hash32(SHA256.HashData(taskId.ToArray()));
            var hash = ProtocolIds.ResultHash(taskId, digest);
            var seal = ProtocolIds.ResultSeal(worker, taskId, digest);
            var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(taskId, hash, seal).ToArray(), key).ToBytes65();
            var contribution = new ContributionRecordV1(worker, hash, seal, signature, [], Address.Zero, true, 2, 0, reward, BigInteger.Zero);
            return new TaskCompletedV1($"task-completed:{taskId}", DateTimeOffset.UtcNow, taskId, dealId, i, digest, hash, [contribution], BigInteger.Zero, false);
        }).ToList();
}
