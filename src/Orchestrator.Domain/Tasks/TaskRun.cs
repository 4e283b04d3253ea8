using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Tasks;

/// <summary>
/// One task's life under the PoCo rules: replicates handed out, contributions tallied by credibility,
/// reveal, finalization, reopening and failure. Pure: time comes in as an argument, effects go out in
/// the returned <see cref="TaskStep"/>, and a refused input leaves the task exactly as it was.
/// </summary>
public sealed class TaskRun
{
    /// <summary>Upper bound on replicates of one task, so a pathological trust cannot drain the pool.</summary>
    public const int MaxReplicates = 64;

    private readonly List<Replicate> _replicates;

    /// <summary>A task that has not been handed out yet.</summary>
    public TaskRun(Hash32 taskId, TaskTerms terms)
        : this(taskId, terms, TaskStatus.Unset, [], new ConsensusTally(terms.Trust), null, null, null, null, null, 0)
    {
    }

    /// <summary>Restores a task from stored values.</summary>
    public TaskRun(
        Hash32 taskId,
        TaskTerms terms,
        TaskStatus status,
        List<Replicate> replicates,
        ConsensusTally tally,
        Hash32? consensusHash,
        DateTimeOffset? revealDeadline,
        Hash32? resultDigest,
        Address? enclaveChallenge,
        DateTimeOffset? finishedAt,
        int reopens,
        byte[]? callbackData = null,
        string? cancelReason = null)
    {
        TaskId = taskId;
        Terms = terms;
        Status = status;
        _replicates = replicates;
        Tally = tally;
        ConsensusHash = consensusHash;
        RevealDeadline = revealDeadline;
        ResultDigest = resultDigest;
        EnclaveChallenge = enclaveChallenge;
        FinishedAt = finishedAt;
        Reopens = reopens;
        CallbackData = callbackData;
        CancelReason = cancelReason;
    }

    /// <summary>keccak256(dealId ‖ idx).</summary>
    public Hash32 TaskId { get; }

    /// <summary>What the task inherits from its deal.</summary>
    public TaskTerms Terms { get; }

    /// <summary>The task's status.</summary>
    public TaskStatus Status { get; private set; }

    /// <summary>All replicates ever handed out, in order.</summary>
    public IReadOnlyList<Replicate> Replicates => _replicates;

    /// <summary>The credibility tally.</summary>
    public ConsensusTally Tally { get; }

    /// <summary>The winning hash while REVEALING or once COMPLETED.</summary>
    public Hash32? ConsensusHash { get; private set; }

    /// <summary>Set while REVEALING.</summary>
    public DateTimeOffset? RevealDeadline { get; private set; }

    /// <summary>The result digest once COMPLETED.</summary>
    public Hash32? ResultDigest { get; private set; }

    /// <summary>The enclave challenge address of a TEE task (zero address for standard tasks).</summary>
    public Address? EnclaveChallenge { get; private set; }

    /// <summary>When the task reached COMPLETED or FAILED.</summary>
    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>How often the task reopened.</summary>
    public int Reopens { get; private set; }

    /// <summary>
    /// On a callback deal, the callback data of the first accepted reveal (every winner's is the same:
    /// its keccak256 is the one digest they all committed to); null otherwise.
    /// </summary>
    public byte[]? CallbackData { get; private set; }

    /// <summary>
    /// Why the task was cancelled with its deal (the deal's creation vanished from the chain), or null.
    /// A cancelled task keeps its status for the record but refuses every call and applies no deadline,
    /// so it is neither finalized nor claimed: nothing of it reaches the chain.
    /// </summary>
    public string? CancelReason { get; private set; }

    /// <summary>The workers that hold or held a replicate: none of them gets another.</summary>
    public IEnumerable<Address> Holders => _replicates.Select(r => r.Worker);

    /// <summary>Sets the enclave challenge of a TEE task, once.</summary>
    public void UseEnclaveChallenge(Address challenge)
    {
        if (EnclaveChallenge is { } existing && existing != challenge)
        {
            throw new InvalidOperationException($"task {TaskId} already has enclave challenge {existing}");
        }

        EnclaveChallenge = challenge;
    }

    /// <summary>Hands a replicate to <paramref name="worker"/> if the task still needs one.</summary>
    public TaskStep Assign(Address worker, int predictedWeight, DateTimeOffset now)
    {
        if (CancelledRefusal() is { } cancelled) return cancelled;
        if (Status.IsFinal()) return Refuse(TaskRefusalCode.TaskFinal, $"task {TaskId} is {Status}");
        if (now >= Terms.ContributionDeadline) return Refuse(TaskRefusalCode.ContributionDeadlinePassed, $"the contribution deadline {Terms.ContributionDeadline:O} has passed");
        if (Status == TaskStatus.Revealing) return Refuse(TaskRefusalCode.NotNeeded, "consensus is already reached");
        if (FindReplicate(worker) is not null) return Refuse(TaskRefusalCode.AlreadyHoldsReplicate, $"worker {worker} already holds a replicate of task {TaskId}");
        if (!NeedsMoreReplicas(now)) return Refuse(TaskRefusalCode.NotNeeded, "the task has enough replicates in flight");
        if (_replicates.Count >= MaxReplicates) return Refuse(TaskRefusalCode.NotNeeded, $"the task reached the limit of {MaxReplicates} replicates");

        if (Status == TaskStatus.Unset)
        {
            MoveTo(TaskStatus.Active);
        }

        _replicates.Add(new Replicate { Worker = worker, Status = ReplicateStatus.Assigned, AssignedAt = now, Weight = Math.Max(predictedWeight, 1) });
        return TaskStep.Change();
    }

    /// <summary>
    /// A contribution on the replicated path: result hash and seal, signed by the worker over
    /// keccak256(taskId ‖ resultHash ‖ resultSeal) (EIP-191).
    /// </summary>
    public TaskStep Contribute(Address worker, int score, Hash32 resultHash, Hash32 resultSeal, byte[] workerSignature, DateTimeOffset now)
    {
        if (CancelledRefusal() is { } cancelled) return cancelled;
        if (Terms.IsTeeFastPath) return Refuse(TaskRefusalCode.WrongPath, "a TEE task with trust ≤ 1 completes through contribute-and-finalize with an enclave signature");
        var refusal = CheckCanContribute(worker, now, out var replicate);
        if (refusal is not null) return refusal;
        if (!SignatureRecoversTo(ProtocolIds.ContributionMessage(TaskId, resultHash, resultSeal), workerSignature, worker))
        {
            return Refuse(TaskRefusalCode.InvalidSignature, $"the contribution signature does not recover to worker {worker}");
        }

        var weight = Credibility.Weight(score);
        replicate!.MoveTo(ReplicateStatus.Contributed);
        replicate.Weight = weight;
        replicate.Score = score;
        replicate.ResultHash = resultHash;
        replicate.ResultSeal = resultSeal;
        replicate.WorkerSignature = workerSignature;
        replicate.ContributedAt = now;
        Tally.Add(resultHash, weight);

        if (!Tally.HasConsensus(resultHash))
        {
            return TaskStep.Change();
        }

        return TaskStep.Change(DeclareConsensus(resultHash, now));
    }

    /// <summary>
    /// TEE fast path (trust ≤ 1, TEE tag): one contribution whose enclave signature over
    /// keccak256(resultHash ‖ resultSeal) recovers to the task's enclave challenge completes the task.
    /// </summary>
    public TaskStep ContributeAndFinalize(Address worker, int score, Hash32 resultDigest, byte[] enclaveSignature, DateTimeOffset now, byte[]? callbackData = null)
    {
        if (CancelledRefusal() is { } cancelled) return cancelled;
        if (!Terms.IsTeeFastPath) return Refuse(TaskRefusalCode.WrongPath, "contribute-and-finalize is only for TEE tasks with trust ≤ 1");
        var refusal = CheckCanContribute(worker, now, out var replicate);
        if (refusal is not null) return refusal;
        if (EnclaveChallenge is not { } challenge || challenge.IsZero) return Refuse(TaskRefusalCode.InvalidSignature, "the task has no enclave challenge yet");

        var resultHash = ProtocolIds.ResultHash(TaskId, resultDigest);
        var resultSeal = ProtocolIds.ResultSeal(worker, TaskId, resultDigest);
        if (!SignatureRecoversTo(ProtocolIds.EnclaveMessage(resultHash, resultSeal), enclaveSignature, challenge))
        {
            return Refuse(TaskRefusalCode.InvalidSignature, $"the enclave signature does not recover to the task's enclave challenge {challenge}");
        }

        if (Results.CallbackData.Check(Terms.HasCallback, resultDigest, callbackData) is { } callbackError)
        {
            return Refuse(TaskRefusalCode.BadCallbackData, callbackError);
        }

        replicate!.MoveTo(ReplicateStatus.Contributed);
        replicate.Score = score;
        replicate.ResultHash = resultHash;
        replicate.ResultSeal = resultSeal;
        replicate.EnclaveSignature = enclaveSignature;
        replicate.ContributedAt = now;
        replicate.MoveTo(ReplicateStatus.Revealed);
        replicate.RevealedDigest = resultDigest;
        Tally.Add(resultHash, Math.Max(replicate.Weight, 1));
        ConsensusHash = resultHash;
        ResultDigest = resultDigest;
        CallbackData = Terms.HasCallback ? callbackData : null;
        FinishedAt = now;
        MoveTo(TaskStatus.Completed);
        var settlement = RewardSplit.SettleTee(Terms.TaskPrice, worker, score);
        return TaskStep.Change(new TaskCompleted(resultDigest, settlement, [replicate]));
    }

    /// <summary>
    /// A winner reveals its digest; the task finalizes when every winner has revealed. On a callback deal the
    /// reveal carries the app's callback data, whose keccak256 must be the digest (DESIGN §6); elsewhere none.
    /// </summary>
    public TaskStep Reveal(Address worker, Hash32 resultDigest, DateTimeOffset now, byte[]? callbackData = null)
    {
        if (CancelledRefusal() is { } cancelled) return cancelled;
        if (Status.IsFinal()) return Refuse(TaskRefusalCode.TaskFinal, $"task {TaskId} is {Status}");
        if (Status != TaskStatus.Revealing) return Refuse(TaskRefusalCode.NotRevealing, $"task {TaskId} is {Status}, not REVEALING");
        var replicate = FindReplicate(worker);
        if (replicate is null) return Refuse(TaskRefusalCode.NotAssigned, $"worker {worker} holds no replicate of task {TaskId}");
        if (replicate.Status == ReplicateStatus.Revealed) return Refuse(TaskRefusalCode.AlreadyRevealed, $"worker {worker} already revealed");
        if (replicate.Status != ReplicateStatus.Contributed || replicate.ResultHash != ConsensusHash)
        {
            return Refuse(TaskRefusalCode.NotAWinner, $"worker {worker} did not contribute the winning hash");
        }

        if (now >= RevealDeadline) return Refuse(TaskRefusalCode.RevealDeadlinePassed, $"the reveal deadline {RevealDeadline:O} has passed");
        if (ProtocolIds.ResultHash(TaskId, resultDigest) != replicate.ResultHash || ProtocolIds.ResultSeal(worker, TaskId, resultDigest) != replicate.ResultSeal)
        {
            return Refuse(TaskRefusalCode.RevealMismatch, "the revealed digest does not reproduce the contributed result hash and seal");
        }

        if (Results.CallbackData.Check(Terms.HasCallback, resultDigest, callbackData) is { } callbackError)
        {
            return Refuse(TaskRefusalCode.BadCallbackData, callbackError);
        }

        replicate.MoveTo(ReplicateStatus.Revealed);
        replicate.RevealedDigest = resultDigest;
        ResultDigest ??= resultDigest;
        if (Terms.HasCallback)
        {
            CallbackData ??= callbackData;
        }
        var allRevealed = _replicates.All(r => r.ResultHash != ConsensusHash || r.Status != ReplicateStatus.Contributed);
        return allRevealed ? Finalize(now) : TaskStep.Change();
    }

    /// <summary>The worker is gone or gave the replicate back before contributing.</summary>
    public TaskStep Release(Address worker, ReplicateStatus reason, DateTimeOffset now)
    {
        if (reason is not (ReplicateStatus.WorkerLost or ReplicateStatus.Abandoned))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), "a replicate is released because its worker was lost or gave it back");
        }

        var replicate = FindReplicate(worker);
        if (replicate is null) return Refuse(TaskRefusalCode.NotAssigned, $"worker {worker} holds no replicate of task {TaskId}");
        if (Status.IsFinal() || Cancelled || replicate.Status is not (ReplicateStatus.Assigned or ReplicateStatus.TimedOut))
        {
            return TaskStep.NoChange; // contributed work still counts; nothing to take back
        }

        if (replicate.Status == ReplicateStatus.TimedOut)
        {
            // Already not counted as pending; record why it ended without an illegal edge.
            return TaskStep.NoChange;
        }

        replicate.MoveTo(reason);
        return TaskStep.Change(new ReplicateReleased(worker, reason));
    }

    /// <summary>
    /// Applies the passage of time: final deadline (FAILED), reveal deadline (finalize or reopen),
    /// replicates held past one timeref (TIMED OUT, no longer pending).
    /// </summary>
    public TaskStep Advance(DateTimeOffset now)
    {
        if (Status.IsFinal() || Cancelled) return TaskStep.NoChange; // a cancelled task is never claimed
        if (now >= Terms.FinalDeadline)
        {
            var before = Status;
            MoveTo(TaskStatus.Failed);
            FinishedAt = now;
            return TaskStep.Change(new TaskFailed($"final deadline {Terms.FinalDeadline:O} passed while {before}"));
        }

        var effects = new List<TaskEffect>();
        if (Status == TaskStatus.Revealing && now >= RevealDeadline)
        {
            if (_replicates.Any(r => r.Status == ReplicateStatus.Revealed))
            {
                return Finalize(now);
            }

            effects.Add(Reopen());

            // Removing the rejected group lowers total, so a remaining group may now pass on its own.
            // Declare it: otherwise the task sits in ACTIVE with no replica needed and nobody to reveal.
            if (Tally.Winner() is { } passing)
            {
                effects.Add(DeclareConsensus(passing, now));
            }
        }

        var timedOut = false;
        foreach (var replicate in _replicates)
        {
            if (replicate.Status == ReplicateStatus.Assigned && now - replicate.AssignedAt >= Terms.Timeref)
            {
                replicate.MoveTo(ReplicateStatus.TimedOut);
                timedOut = true;
            }
        }

        return effects.Count > 0 || timedOut ? TaskStep.Change(effects) : TaskStep.NoChange;
    }

    /// <summary>The next instant at which <see cref="Advance"/> would change something.</summary>
    public DateTimeOffset? NextWakeUp()
    {
        if (Status.IsFinal() || Cancelled) return null;
        var next = Terms.FinalDeadline;
        if (Status == TaskStatus.Revealing && RevealDeadline < next) next = RevealDeadline.Value;
        foreach (var replicate in _replicates)
        {
            if (replicate.Status == ReplicateStatus.Assigned && replicate.AssignedAt + Terms.Timeref < next)
            {
                next = replicate.AssignedAt + Terms.Timeref;
            }
        }

        return next;
    }

    /// <summary>True once cancelled with its deal.</summary>
    public bool Cancelled => CancelReason is not null;

    /// <summary>
    /// Cancels the task with its deal, once: from now on it refuses every call, and the workers holding
    /// a replicate (assigned, timed out, or contributed and waiting) are told to stop. A final task keeps
    /// its outcome and is not cancelled.
    /// </summary>
    public TaskStep Cancel(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (Status.IsFinal() || Cancelled) return TaskStep.NoChange;
        CancelReason = reason;
        RevealDeadline = null;
        var holders = _replicates
            .Where(r => r.Status is ReplicateStatus.Assigned or ReplicateStatus.TimedOut or ReplicateStatus.Contributed)
            .Select(r => r.Worker)
            .ToList();
        return TaskStep.Change(new TaskCancelled(reason, holders));
    }

    /// <summary>Whether another replicate must be handed out now (PoCo's prediction on pending weights).</summary>
    public bool NeedsMoreReplicas(DateTimeOffset now)
    {
        if (Status is TaskStatus.Revealing || Status.IsFinal() || Cancelled || now >= Terms.ContributionDeadline) return false;
        return Tally.NeedsMoreReplicas(PendingWeights(now));
    }

    /// <summary>How many more replicates to request now, assuming each new one comes from a fresh worker (weight 2).</summary>
    public int ReplicasToRequest(DateTimeOffset now)
    {
        if (!NeedsMoreReplicas(now)) return 0;
        var weights = PendingWeights(now).ToList();
        var count = 0;
        while (Tally.NeedsMoreReplicas(weights) && _replicates.Count + count < MaxReplicates)
        {
            weights.Add(Credibility.Weight(0));
            count++;
        }

        return count;
    }

    private IEnumerable<int> PendingWeights(DateTimeOffset now)
        => _replicates.Where(r => r.IsPending(now, Terms.Timeref)).Select(r => r.Weight);

    private TaskStep Finalize(DateTimeOffset now)
    {
        foreach (var replicate in _replicates.Where(r => r.Status == ReplicateStatus.Contributed))
        {
            replicate.MoveTo(ReplicateStatus.Rejected);
        }

        var contributors = _replicates.Where(r => r.HasContributed).ToList();
        var settlees = contributors.Select(r => new Settlee(r.Worker, r.Weight, r.Score, r.Status == ReplicateStatus.Revealed)).ToList();
        var settlement = RewardSplit.Settle(Terms.TaskPrice, settlees);
        MoveTo(TaskStatus.Completed);
        RevealDeadline = null;
        FinishedAt = now;
        return TaskStep.Change(new TaskCompleted(ResultDigest!.Value, settlement, contributors));
    }

    private ConsensusReached DeclareConsensus(Hash32 resultHash, DateTimeOffset now)
    {
        MoveTo(TaskStatus.Revealing);
        ConsensusHash = resultHash;
        RevealDeadline = Deals.Deadlines.Reveal(now, Terms.Timeref);
        var winners = _replicates.Where(r => r.Status == ReplicateStatus.Contributed && r.ResultHash == resultHash).Select(r => r.Worker).ToList();
        return new ConsensusReached(resultHash, winners, RevealDeadline.Value);
    }

    private TaskReopened Reopen()
    {
        var hash = ConsensusHash!.Value;
        var rejected = new List<Address>();
        foreach (var replicate in _replicates.Where(r => r.Status == ReplicateStatus.Contributed && r.ResultHash == hash))
        {
            replicate.MoveTo(ReplicateStatus.Rejected);
            rejected.Add(replicate.Worker);
        }

        Tally.RemoveGroup(hash);
        MoveTo(TaskStatus.Active);
        ConsensusHash = null;
        RevealDeadline = null;
        Reopens++;
        return new TaskReopened(hash, rejected);
    }

    private TaskStep? CheckCanContribute(Address worker, DateTimeOffset now, out Replicate? replicate)
    {
        replicate = FindReplicate(worker);
        if (Status.IsFinal()) return Refuse(TaskRefusalCode.TaskFinal, $"task {TaskId} is {Status}");
        if (replicate is null) return Refuse(TaskRefusalCode.NotAssigned, $"worker {worker} holds no replicate of task {TaskId}");
        if (replicate.HasContributed) return Refuse(TaskRefusalCode.AlreadyContributed, $"worker {worker} already contributed to task {TaskId}");
        if (replicate.Status.IsClosedBeforeContribution() && replicate.Status != ReplicateStatus.TimedOut)
        {
            return Refuse(TaskRefusalCode.NotAssigned, $"the replicate of worker {worker} was released ({replicate.Status})");
        }

        if (now >= Terms.ContributionDeadline) return Refuse(TaskRefusalCode.ContributionDeadlinePassed, $"the contribution deadline {Terms.ContributionDeadline:O} has passed");
        if (Status == TaskStatus.Revealing) return Refuse(TaskRefusalCode.ConsensusAlreadyReached, "consensus is already reached; contributions are closed");
        return null;
    }

    private TaskStep? CancelledRefusal()
        => Cancelled && !Status.IsFinal() ? Refuse(TaskRefusalCode.DealCancelled, $"task {TaskId} is cancelled: {CancelReason}") : null;

    private Replicate? FindReplicate(Address worker)
    {
        foreach (var replicate in _replicates)
        {
            if (replicate.Worker == worker) return replicate;
        }

        return null;
    }

    private void MoveTo(TaskStatus next) => Status = StateMachine.Move(Status, next);

    private static TaskStep Refuse(TaskRefusalCode code, string message) => TaskStep.Refuse(code, message);

    private static bool SignatureRecoversTo(Hash32 message, byte[] signatureBytes, Address expected)
    {
        if (!Signature.TryFromBytes65(signatureBytes, out var signature, out _)) return false;
        if (!Secp256k1.IsLowS(signature!.S)) return false;
        var hash = EthereumMessage.Hash(message.ToArray());
        return Secp256k1.TryRecoverAddress(hash, signature, out var signer) && signer == expected;
    }
}
