using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Tasks;

namespace Orchestrator.Domain.Workers;

/// <summary>A worker's persisted facts, as the core is loaded from and saved to storage.</summary>
/// <param name="State">Active, draining, lost, revoked.</param>
/// <param name="SessionId">The current session ("" when none).</param>
/// <param name="Score">The PoCo score.</param>
/// <param name="Held">The replicates it holds and where each is.</param>
/// <param name="Contributions">Contributions accepted.</param>
/// <param name="Wins">Votes won.</param>
/// <param name="Losses">Votes lost.</param>
/// <param name="LostCount">How many times it was declared lost.</param>
/// <param name="LastSeen">When it last showed life, as last written (null: never).</param>
public sealed record WorkerSnapshot(
    WorkerState State,
    string SessionId,
    int Score,
    IReadOnlyDictionary<Hash32, HeldPhase> Held,
    int Contributions,
    int Wins,
    int Losses,
    int LostCount,
    DateTimeOffset? LastSeen = null)
{
    /// <summary>A worker that never registered.</summary>
    public static WorkerSnapshot New { get; } = new(WorkerState.Unknown, string.Empty, 0, new Dictionary<Hash32, HeldPhase>(), 0, 0, 0, 0);
}

/// <summary>What applying a task's outcome did.</summary>
/// <param name="Write">When the change must reach storage.</param>
/// <param name="Cancel">The reason to give the session when the worker's part ended without a win (null: nothing to say).</param>
public sealed record OutcomeStep(WorkerWrite Write, string? Cancel)
{
    /// <summary>Already applied, or never held here: nothing changes.</summary>
    public static OutcomeStep Ignored { get; } = new(WorkerWrite.None, null);

    /// <summary>True when the outcome changed the worker.</summary>
    public bool Applied => Write != WorkerWrite.None;
}

/// <summary>What a refused contribution means for the worker's holding.</summary>
/// <param name="Write">When the change must reach storage.</param>
/// <param name="Cancel">The reason to give the session when the refusal ended the worker's part (null: it may still contribute).</param>
/// <param name="ReleaseAtTask">True when the task still counts the replicate as running and should be told it was given up.</param>
public sealed record RefusalStep(WorkerWrite Write, string? Cancel, bool ReleaseAtTask);

/// <summary>
/// One worker's lifecycle as pure rules (the worker grain loads it, calls it, persists what it says
/// and sends what it says): sessions, held replicates and their phases, liveness, scores and
/// counters, drain and revoke. Heartbeats are not persisted (they would cost a write each); the last
/// one seen is written with the worker's other facts.
/// </summary>
public sealed class WorkerRun
{
    private readonly Dictionary<Hash32, HeldPhase> _held;

    /// <summary>
    /// Loads a worker from its snapshot at <paramref name="now"/>. A live worker (active or draining) is
    /// granted one more timeout from now, since its heartbeats were not written; any other keeps when it
    /// was last seen, so reloading a lost or revoked worker never makes it look recently alive.
    /// </summary>
    public WorkerRun(Address worker, WorkerSnapshot snapshot, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Worker = worker;
        State = snapshot.State;
        SessionId = snapshot.SessionId;
        Score = snapshot.Score;
        _held = new Dictionary<Hash32, HeldPhase>(snapshot.Held);
        Contributions = snapshot.Contributions;
        Wins = snapshot.Wins;
        Losses = snapshot.Losses;
        LostCount = snapshot.LostCount;
        LastHeartbeat = IsLive ? now : snapshot.LastSeen;
    }

    /// <summary>The worker's address.</summary>
    public Address Worker { get; }

    /// <summary>Its state.</summary>
    public WorkerState State { get; private set; }

    /// <summary>Its current session ("" when none).</summary>
    public string SessionId { get; private set; }

    /// <summary>Its PoCo score.</summary>
    public int Score { get; private set; }

    /// <summary>Contributions accepted.</summary>
    public int Contributions { get; private set; }

    /// <summary>Votes won.</summary>
    public int Wins { get; private set; }

    /// <summary>Votes lost.</summary>
    public int Losses { get; private set; }

    /// <summary>Times declared lost.</summary>
    public int LostCount { get; private set; }

    /// <summary>When it last showed life (a heartbeat, a poll, a registration); null when it never did.</summary>
    public DateTimeOffset? LastHeartbeat { get; private set; }

    /// <summary>What it holds, and where each replicate is.</summary>
    public IReadOnlyDictionary<Hash32, HeldPhase> Held => _held;

    /// <summary>True while it has a live session (active or draining).</summary>
    public bool IsLive => State is WorkerState.Active or WorkerState.Draining;

    /// <summary>The replicates it is running (handed out, not contributed yet).</summary>
    public int Running => _held.Values.Count(p => p == HeldPhase.Running);

    /// <summary>True when <paramref name="sessionId"/> is the worker's live session.</summary>
    public bool IsCurrentSession(string sessionId) => IsLive && sessionId == SessionId;

    /// <summary>
    /// Starts (or resumes) a session, replacing any earlier one. Returns the replicates it still runs,
    /// which the new session runs again. Written through: a session must survive a silo loss.
    /// </summary>
    public IReadOnlyList<Hash32> StartSession(string sessionId, DateTimeOffset now)
    {
        State = WorkerState.Active;
        SessionId = sessionId;
        LastHeartbeat = now;
        return HeldIn(HeldPhase.Running);
    }

    /// <summary>A sign of life from the session; false (and nothing changes) when it is not the current one.</summary>
    public bool Beat(string sessionId, DateTimeOffset now)
    {
        if (!IsCurrentSession(sessionId))
        {
            return false;
        }

        LastHeartbeat = now;
        return true;
    }

    /// <summary>How many new replicates it may take now: none unless active, never past the pool's limit.</summary>
    public int Room(int freeSlots, int maxReplicatesPerWorker)
        => State == WorkerState.Active ? Math.Max(0, Math.Min(freeSlots, maxReplicatesPerWorker - Running)) : 0;

    /// <summary>Records a replicate handed to it (written through, once per batch, by the caller).</summary>
    public void Hold(Hash32 taskId) => _held[taskId] = HeldPhase.Running;

    /// <summary>The replicates held in <paramref name="phase"/>.</summary>
    public IReadOnlyList<Hash32> HeldIn(HeldPhase phase) => _held.Where(h => h.Value == phase).Select(h => h.Key).ToList();

    /// <summary>A contribution the task accepted.</summary>
    public WorkerWrite Contributed(Hash32 taskId)
    {
        if (!_held.ContainsKey(taskId))
        {
            return WorkerWrite.None;
        }

        _held[taskId] = HeldPhase.Contributed;
        Contributions++;
        return WorkerWrite.Behind;
    }

    /// <summary>A TEE fast-path contribution the task accepted: the task is complete and the replicate won (no score change).</summary>
    public WorkerWrite ContributedAndFinalized(Hash32 taskId)
    {
        if (!_held.Remove(taskId))
        {
            return WorkerWrite.None;
        }

        Contributions++;
        Wins++;
        return WorkerWrite.Behind;
    }

    /// <summary>A reveal the task accepted.</summary>
    public WorkerWrite Revealed(Hash32 taskId)
    {
        if (!_held.ContainsKey(taskId))
        {
            return WorkerWrite.None;
        }

        _held[taskId] = HeldPhase.Revealed;
        return WorkerWrite.Behind;
    }

    /// <summary>A replicate given back before it contributed.</summary>
    public WorkerWrite GaveBack(Hash32 taskId)
        => _held.TryGetValue(taskId, out var phase) && phase == HeldPhase.Running && _held.Remove(taskId) ? WorkerWrite.Behind : WorkerWrite.None;

    /// <summary>
    /// True when a contribution's answer ends the worker's part in the task, so its slot is free:
    /// accepted, or refused for a reason no retry can change (the task is over, the replicate is no
    /// longer its, contributions are closed, it already contributed, or its deal was cancelled). A bad signature or the wrong
    /// path does not end it: a corrected call may still be accepted.
    /// </summary>
    public static bool EndsPart(TaskRefusalCode? refusal) => refusal is null or TaskRefusalCode.TaskFinal or TaskRefusalCode.NotAssigned
        or TaskRefusalCode.ContributionDeadlinePassed or TaskRefusalCode.ConsensusAlreadyReached or TaskRefusalCode.AlreadyContributed
        or TaskRefusalCode.DealCancelled;

    /// <summary>
    /// A contribution the task refused. When the refusal ends the worker's part (<see cref="EndsPart"/>),
    /// the replicate stops counting against its slots at once and the session is told why; a
    /// replicate the task shows as contributed (the phase written behind was lost) waits for its outcome.
    /// </summary>
    public RefusalStep ContributionRefused(Hash32 taskId, TaskRefusalCode code, string message)
    {
        if (!EndsPart(code) || !_held.TryGetValue(taskId, out var phase) || phase != HeldPhase.Running)
        {
            return new RefusalStep(WorkerWrite.None, null, false);
        }

        if (code == TaskRefusalCode.AlreadyContributed)
        {
            _held[taskId] = HeldPhase.Contributed; // its outcome is still to come and must find it held
            return new RefusalStep(WorkerWrite.Behind, null, false);
        }

        // After consensus the task still counts this replicate as pending, which would hold back
        // replicas if it reopens: give it back. Past the contribution deadline the task can only fail,
        // and a refused call leaves it as it was.
        _held.Remove(taskId);
        return new RefusalStep(WorkerWrite.Through, $"contribution refused ({code}): {message}", code == TaskRefusalCode.ConsensusAlreadyReached);
    }

    /// <summary>
    /// Applies a settled task's outcome to the current score, exactly once per task. The record of
    /// "not applied yet" is the holding itself: a replicate stays held from hand-out until its outcome
    /// (a lost or revoked worker gives back only what it runs; what it contributed stays), the task
    /// never hands this worker the same task again once it is final, and removing the holding is
    /// written in the same write as the score. So a redelivered outcome — at any time, from a task
    /// grain replaying its pending outcomes — finds nothing held and changes nothing, and the memory
    /// of applied outcomes is bounded by what the worker holds, with no expiry to get wrong.
    /// </summary>
    public OutcomeStep Apply(TaskOutcome outcome)
    {
        if (!_held.Remove(outcome.TaskId))
        {
            return OutcomeStep.Ignored;
        }

        Score = outcome.Apply(Score);
        if (outcome.Verdict == OutcomeVerdict.Won) Wins++;
        else if (outcome.Verdict == OutcomeVerdict.Lost) Losses++; // counted even when ⌊2/3·0⌋ leaves the score unchanged
        var cancel = outcome.Verdict == OutcomeVerdict.Won ? null : outcome.Reason;

        // A judged outcome is written through (score and counters must never count twice); an
        // unjudged one only drops a holding, which a lost write brings back harmlessly.
        return new OutcomeStep(outcome.Verdict == OutcomeVerdict.Unjudged ? WorkerWrite.Behind : WorkerWrite.Through, cancel);
    }

    /// <summary>
    /// A task asks whether the worker still holds its replicate. Null when it does; otherwise the
    /// status to release it with (abandoned by a live worker, or lost with a worker that is gone).
    /// </summary>
    public ReplicateStatus? ReleaseIfNotHeld(Hash32 taskId)
        => IsLive && _held.ContainsKey(taskId) ? null : IsLive ? ReplicateStatus.Abandoned : ReplicateStatus.WorkerLost;

    /// <summary>Stops giving it new work; false when it was not active.</summary>
    public bool Drain()
    {
        if (State != WorkerState.Active)
        {
            return false;
        }

        State = WorkerState.Draining;
        return true;
    }

    /// <summary>The pool revoked it: the session ends, and the replicates it runs are returned (the caller releases them at their tasks).</summary>
    public IReadOnlyList<Hash32> Revoke()
    {
        var running = TakeBackRunning();
        State = WorkerState.Revoked;
        SessionId = string.Empty;
        return running;
    }

    /// <summary>
    /// How long until <see cref="DeclareLostIfSilent"/> would declare this worker lost if it stays silent:
    /// the moment a liveness check is due, so a grain arms one timer for that instant instead of checking on
    /// a fixed period (detection within the timeout itself, not the timeout plus a period). Zero when the
    /// check is due now; null when the worker is not live and nothing is to be checked.
    /// </summary>
    public TimeSpan? UntilSilent(DateTimeOffset now, TimeSpan timeout)
    {
        if (!IsLive)
        {
            return null;
        }

        var left = LastHeartbeat is { } last ? timeout - (now - last) : TimeSpan.Zero;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>
    /// The loss rule, judged only here: a live worker silent for <paramref name="timeout"/> (no heartbeat,
    /// poll or registration) is lost, its session ends and the replicates it runs are returned for
    /// release. Null while it is alive (or not live at all).
    /// </summary>
    public IReadOnlyList<Hash32>? DeclareLostIfSilent(DateTimeOffset now, TimeSpan timeout)
    {
        if (!IsLive || (LastHeartbeat is { } last && now - last < timeout))
        {
            return null;
        }

        var running = TakeBackRunning();
        State = WorkerState.Lost;
        SessionId = string.Empty;
        LostCount++;
        return running;
    }

    private List<Hash32> TakeBackRunning()
    {
        var running = HeldIn(HeldPhase.Running).ToList();
        foreach (var taskId in running)
        {
            _held.Remove(taskId);
        }

        return running;
    }
}
