using Orchestrator.Abstractions.Events;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Bridge.Contract;

/// <summary>
/// The packed argument of OrchestratorHub.finalizeBatch(bytes) (layout in the contract's NatSpec and
/// contracts/README.md): the pool's public results base (the result pointer), then runs of one deal's
/// tasks, each task its 8-byte index, digest, contributions and, on a callback deal, its callback data. ABI encoding would pad every field to 32 bytes, and calldata is the largest cost
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

    /// <summary>High bit of a task's contribution count: callback data follows its contributions.</summary>
    public const byte WithCallbackData = 0x80;

    /// <summary>Most contributions one packed task carries (the count's high bit is the callback flag).</summary>
    public const int MaxContributions = 0x7f;

    /// <summary>Longest callback data the hub accepts (its MAX_CALLBACK_DATA).</summary>
    public const int MaxCallbackData = 4_096;

    /// <summary>Longest result base the hub accepts (its MAX_RESULT_BASE), in UTF-8 bytes.</summary>
    public const int MaxResultBase = 1_024;

    private const int SignatureLength = 65;

    /// <summary>
    /// Packs the tasks, grouped by deal in order of first appearance, after <paramref name="resultBase"/> (the
    /// pool's public results API, emitted by the hub; empty for none). Throws <see cref="ArgumentException"/>
    /// naming the task when a signature is not 65 bytes, a deal has more than 65,535 tasks in the batch,
    /// or callback data is missing on a callback deal or longer than <see cref="MaxCallbackData"/>.
    /// </summary>
    public static byte[] Encode(IEnumerable<TaskCompletedV1> tasks, string resultBase = "")
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(resultBase);
        var output = new List<byte>(4_096);
        var baseBytes = System.Text.Encoding.UTF8.GetBytes(resultBase);
        if (baseBytes.Length > MaxResultBase)
        {
            throw new ArgumentException($"the result base is {baseBytes.Length} bytes; the hub takes at most {MaxResultBase}", nameof(resultBase));
        }

        output.Add((byte)(baseBytes.Length >> 8));
        output.Add((byte)baseBytes.Length);
        output.AddRange(baseBytes);
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

        if (task.Contributions.Count is 0 or > MaxContributions)
        {
            throw new ArgumentException($"task {task.TaskId} has {task.Contributions.Count} contributions; a packed task carries 1..{MaxContributions}", nameof(task));
        }

        var callbackData = task.CallbackData ?? [];
        if (task.HasCallback && callbackData.Length > MaxCallbackData)
        {
            throw new ArgumentException($"task {task.TaskId} has {callbackData.Length} bytes of callback data; the hub takes at most {MaxCallbackData}", nameof(task));
        }

        Span<byte> index = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(index, (ulong)task.Index);
        output.AddRange(index);
        output.AddRange(task.ResultDigest.ToArray());
        output.Add((byte)(task.Contributions.Count | (task.HasCallback ? WithCallbackData : 0)));
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

        if (task.HasCallback)
        {
            // The hub checks keccak256(callbackData) == resultDigest and passes it to the deal's callback.
            output.Add((byte)(callbackData.Length >> 8));
            output.Add((byte)callbackData.Length);
            output.AddRange(callbackData);
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
