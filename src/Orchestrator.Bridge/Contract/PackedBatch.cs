using Orchestrator.Abstractions.Events;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Contract;

/// <summary>
/// The packed argument of OrchestratorHub.finalizeBatch(bytes) (layout in the contract's NatSpec and
/// contracts/README.md): runs of one deal's tasks, each task its 8-byte index, digest and
/// contributions. ABI encoding would pad every field to 32 bytes, and calldata is the largest cost
/// per task after the signature check, so the bridge sends only the bytes the contract reads.
/// </summary>
public static class PackedBatch
{
    /// <summary>The contribution was revealed.</summary>
    public const byte Revealed = 0x1;

    /// <summary>An enclave challenge and its signature follow.</summary>
    public const byte EnclaveSigned = 0x2;

    /// <summary>Result hash and seal follow (the contract cannot compute them).</summary>
    public const byte HashesGiven = 0x4;

    private const int SignatureLength = 65;

    /// <summary>
    /// Packs the tasks, grouped by deal in order of first appearance. Throws <see cref="ArgumentException"/>
    /// naming the task when a signature is not 65 bytes or a deal has more than 65,535 tasks in the batch.
    /// </summary>
    public static byte[] Encode(IEnumerable<TaskCompletedV1> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var output = new List<byte>(4_096);
        foreach (var run in tasks.GroupBy(t => t.DealId))
        {
            var items = run.ToList();
            if (items.Count > ushort.MaxValue)
            {
                throw new ArgumentException($"deal {run.Key} has {items.Count} tasks in one batch; a run holds at most {ushort.MaxValue}", nameof(tasks));
            }

            output.AddRange(run.Key.ToArray());
            output.Add((byte)(items.Count >> 8));
            output.Add((byte)items.Count);
            foreach (var task in items)
            {
                AppendTask(output, task);
            }
        }

        return [.. output];
    }

    private static void AppendTask(List<byte> output, TaskCompletedV1 task)
    {
        if (task.Index < 0)
        {
            throw new ArgumentException($"task {task.TaskId} has a negative index {task.Index}", nameof(task));
        }

        if (task.Contributions.Count is 0 or > byte.MaxValue)
        {
            throw new ArgumentException($"task {task.TaskId} has {task.Contributions.Count} contributions; a packed task carries 1..255", nameof(task));
        }

        Span<byte> index = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(index, (ulong)task.Index);
        output.AddRange(index);
        output.AddRange(task.ResultDigest.ToArray());
        output.Add((byte)task.Contributions.Count);
        foreach (var c in task.Contributions)
        {
            Require65(c.WorkerSignature, task.TaskId, "worker");
            var honest = c.ResultHash == ProtocolIds.ResultHash(task.TaskId, task.ResultDigest)
                && c.ResultSeal == ProtocolIds.ResultSeal(c.Worker, task.TaskId, task.ResultDigest);
            var hashes = !c.Revealed || !honest;
            var enclave = !c.EnclaveChallenge.IsZero;
            output.Add((byte)((c.Revealed ? Revealed : 0) | (enclave ? EnclaveSigned : 0) | (hashes ? HashesGiven : 0)));
            output.AddRange(c.Worker.Bytes);
            output.AddRange(c.WorkerSignature);
            if (hashes)
            {
                output.AddRange(c.ResultHash.ToArray());
                output.AddRange(c.ResultSeal.ToArray());
            }

            if (enclave)
            {
                Require65(c.EnclaveSignature, task.TaskId, "enclave");
                output.AddRange(c.EnclaveChallenge.Bytes);
                output.AddRange(c.EnclaveSignature);
            }
        }
    }

    private static void Require65(byte[] signature, Hash32 taskId, string who)
    {
        if (signature.Length != SignatureLength)
        {
            throw new ArgumentException($"task {taskId}: a {who} signature is {SignatureLength} bytes (r‖s‖v), got {signature.Length}");
        }
    }
}
