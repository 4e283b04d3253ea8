using System.Numerics;
using Orchestrator.Abstractions.Events;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Consensus;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Grains.Tasks;

/// <summary>A replicate as stored.</summary>
[GenerateSerializer, Alias("orch.state.replicate.v1")]
public sealed class ReplicateState
{
    [Id(0)] public Address Worker { get; set; }
    [Id(1)] public ReplicateStatus Status { get; set; }
    [Id(2)] public DateTimeOffset AssignedAt { get; set; }
    [Id(3)] public int Weight { get; set; }
    [Id(4)] public int Score { get; set; }
    [Id(5)] public Hash32? ResultHash { get; set; }
    [Id(6)] public Hash32? ResultSeal { get; set; }
    [Id(7)] public byte[]? WorkerSignature { get; set; }
    [Id(8)] public byte[]? EnclaveSignature { get; set; }
    [Id(9)] public DateTimeOffset? ContributedAt { get; set; }
    [Id(10)] public Hash32? RevealedDigest { get; set; }

    public static ReplicateState From(Replicate r)
    {
        var state = new ReplicateState();
        state.CopyFrom(r);
        return state;
    }

    public void CopyFrom(Replicate r)
    {
        Worker = r.Worker;
        Status = r.Status;
        AssignedAt = r.AssignedAt;
        Weight = r.Weight;
        Score = r.Score;
        ResultHash = r.ResultHash;
        ResultSeal = r.ResultSeal;
        WorkerSignature = r.WorkerSignature;
        EnclaveSignature = r.EnclaveSignature;
        ContributedAt = r.ContributedAt;
        RevealedDigest = r.RevealedDigest;
    }

    public Replicate ToDomain() => new()
    {
        Worker = Worker, Status = Status, AssignedAt = AssignedAt, Weight = Weight, Score = Score,
        ResultHash = ResultHash, ResultSeal = ResultSeal, WorkerSignature = WorkerSignature,
        EnclaveSignature = EnclaveSignature, ContributedAt = ContributedAt, RevealedDigest = RevealedDigest,
    };
}

/// <summary>
/// A task grain's persisted state (state name "task"). Versioned: new fields get new ids and
/// defaults, so a state written by an older silo still reads.
/// </summary>
[GenerateSerializer, Alias("orch.state.task.v1")]
public sealed class TaskGrainState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public DealTicket? Deal { get; set; }
    [Id(2)] public long Index { get; set; }
    [Id(3)] public string Params { get; set; } = string.Empty;
    [Id(4)] public TaskStatus Status { get; set; }
    [Id(5)] public List<ReplicateState> Replicates { get; set; } = [];
    [Id(6)] public BigInteger Total { get; set; } = BigInteger.One;
    [Id(7)] public Dictionary<Hash32, BigInteger> Groups { get; set; } = [];
    [Id(8)] public Hash32? ConsensusHash { get; set; }
    [Id(9)] public DateTimeOffset? RevealDeadline { get; set; }
    [Id(10)] public Hash32? ResultDigest { get; set; }
    [Id(11)] public Address? EnclaveChallenge { get; set; }
    // Id 12 (EnclaveKey) is retired: the secret service holds the enclave challenge key (TaskSecretsGrain).
    // A TEE task stored before that change keeps its challenge address but the service has no key for
    // it, so its secret fetches are refused and it fails at its final deadline (requester refunded).
    [Id(13)] public DateTimeOffset? FinishedAt { get; set; }
    [Id(14)] public int Reopens { get; set; }
    [Id(15)] public List<IIntegrationEvent> Outbox { get; set; } = [];
    [Id(16)] public int OutstandingRequests { get; set; }
    [Id(17)] public DateTimeOffset? LastRequestAt { get; set; }
    // Id 18 (DealNotified) is retired: a nudged final task always re-notifies its deal.
    [Id(19)] public List<PendingOutcome> PendingOutcomes { get; set; } = [];
    [Id(20)] public DateTimeOffset? FirstAssignedAt { get; set; }
    [Id(21)] public byte[]? CallbackData { get; set; }

    /// <summary>Why the task was cancelled with its deal (null: it was not).</summary>
    [Id(22)] public string? CancelReason { get; set; }

    // Not part of the protocol's run: why the last replicate given back failed, as its worker said
    // (e.g. the app went over its memory limit), so an operator sees it in the task's view.
    [Id(23)] public string? LastFailure { get; set; }

    public TaskRun ToDomain(Hash32 taskId)
    {
        var terms = Deal!.TermsFor(Index);
        var tally = new ConsensusTally(terms.Trust, Total, new Dictionary<Hash32, BigInteger>(Groups));
        return new TaskRun(taskId, terms, Status, Replicates.Select(r => r.ToDomain()).ToList(), tally,
            ConsensusHash, RevealDeadline, ResultDigest, EnclaveChallenge, FinishedAt, Reopens, CallbackData, CancelReason);
    }

    public void CopyFrom(TaskRun run)
    {
        Status = run.Status;

        // Updated in place rather than copied: a step changes or adds one replicate, and a fresh list of every replicate
        // and a fresh tally on each of a lifecycle's writes were garbage the moment the write was serialized.
        var replicates = run.Replicates;
        if (Replicates.Count > replicates.Count)
        {
            Replicates.RemoveRange(replicates.Count, Replicates.Count - replicates.Count);
        }

        for (var i = 0; i < replicates.Count; i++)
        {
            if (i < Replicates.Count)
            {
                Replicates[i].CopyFrom(replicates[i]);
            }
            else
            {
                Replicates.Add(ReplicateState.From(replicates[i]));
            }
        }

        Total = run.Tally.Total;
        Groups.Clear();
        foreach (var (hash, weight) in run.Tally.Groups)
        {
            Groups[hash] = weight;
        }

        ConsensusHash = run.ConsensusHash;
        RevealDeadline = run.RevealDeadline;
        ResultDigest = run.ResultDigest;
        EnclaveChallenge = run.EnclaveChallenge;
        FinishedAt = run.FinishedAt;
        Reopens = run.Reopens;
        CallbackData = run.CallbackData;
        CancelReason = run.CancelReason;
    }
}

/// <summary>A settlement still to be told to a worker grain (delivered one-way, idempotent there).</summary>
[GenerateSerializer, Immutable, Alias("orch.state.pending-outcome.v1")]
public sealed record PendingOutcome([property: Id(0)] Address Worker, [property: Id(1)] WorkerOutcome Outcome);
