using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Ids;
using Orchestrator.Telemetry;
using Orchestrator.Worker.Configuration;
using Orchestrator.Simulation;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Session;

/// <summary>
/// One replicate from assignment to the end: for a TEE task, fetch its secrets from the secret
/// service into the enclave session (the enclave challenge key, and the dataset's, app's and
/// requester's secrets for the app; a refusal gives the replicate back); run the app (unless the
/// journal shows it computed); contribute (replicated path: hash, seal, worker signature; TEE fast path: digest and enclave
/// signature), reveal when consensus asks, upload the result archive. Calls survive a dropped
/// session: they are sent again on the next one (a repeated contribution or reveal is refused as
/// "already", which counts as done).
/// </summary>
internal sealed partial class ReplicatePipeline(
    WorkerOptions options,
    WorkerIdentity identity,
    AppCatalog apps,
    IExecutor executor,
    TaskJournal journal,
    SessionGate sessions,
    InputFetcher inputs,
    ResultUploader uploader,
    TaskSecretsClient secrets,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>Runs and contributes; returns false when the replicate was given back (not run).</summary>
    public async Task<bool> RunAsync(Assignment assignment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        if (!ProtoConvert.TryHash(assignment.TaskId, out var taskId) || !ProtoConvert.TryHash(assignment.DealId, out var dealId)
            || !Address.TryParse(assignment.AppAddress, out var appAddress, out _))
        {
            WorkerLog.Ignored(logger, $"an assignment with a malformed task id, deal id or app address ({assignment.TaskId})");
            return false;
        }

        var id = taskId.ToString();
        WorkerLog.Assigned(logger, id, appAddress.ToString(), assignment.Trust, assignment.Resumed ? ", resumed" : string.Empty);
        ReleasedSecrets? released = null;
        try
        {
            if (IsTee(assignment) && !string.IsNullOrWhiteSpace(options.EnclaveRunner.Command))
            {
                return await RunInEnclaveAsync(assignment, taskId, dealId, appAddress, cancellationToken).ConfigureAwait(false);
            }

            if (IsTee(assignment))
            {
                released = await FetchSecretsAsync(assignment, taskId, cancellationToken).ConfigureAwait(false);
                if (released is null)
                {
                    return false;
                }
            }

            var digest = journal.Find(taskId)?.Digest;
            if (digest is { } known)
            {
                WorkerLog.FromJournal(logger, id, known.ToString());
                WorkerAgentTelemetry.JournalHits.Add(1);
            }
            else
            {
                var computed = await ComputeAsync(assignment, taskId, dealId, appAddress, released?.Secrets ?? [], cancellationToken).ConfigureAwait(false);
                if (computed is null)
                {
                    return false;
                }

                digest = computed;
            }

            await ContributeAsync(assignment, taskId, digest.Value, released, cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            released?.Dispose();
        }
    }

    /// <summary>A task that runs in a TEE: its secrets (and, on the fast path, its signing key) come from the secret service.</summary>
    internal static bool IsTee(Assignment assignment) => assignment.TeeFastPath || assignment.Tee != Api.Worker.V1.TeeKind.None;

    /// <summary>
    /// The task's secrets, fetched on the current session (again on the next one when it drops
    /// meanwhile, a few times); null after giving the replicate back because they were refused.
    /// </summary>
    private async Task<ReleasedSecrets?> FetchSecretsAsync(Assignment assignment, Hash32 taskId, CancellationToken cancellationToken)
    {
        if (!Address.TryParse(assignment.EnclaveChallenge, out var challenge, out _) || challenge == Address.Zero)
        {
            await GiveBackAsync(taskId, "a TEE task arrived without its enclave challenge address", cancellationToken).ConfigureAwait(false);
            return null;
        }

        for (var attempt = 1; ; attempt++)
        {
            var session = await sessions.CurrentAsync(cancellationToken).ConfigureAwait(false);
            string reason;
            try
            {
                var released = await secrets.FetchAsync(session, taskId, challenge, cancellationToken).ConfigureAwait(false);
                WorkerLog.SecretsReleased(logger, taskId.ToString(), released.Secrets.Count, session.Welcome.SessionId);
                return released;
            }
            catch (SessionLostException) when (attempt < 3)
            {
                sessions.Lost(session);
                continue;
            }
            catch (SessionLostException ex)
            {
                reason = "the secret fetch failed on three sessions in a row: " + ex.Message;
            }
            catch (TaskSecretsRefusedException ex)
            {
                reason = ex.Message;
            }

            WorkerLog.SecretsRefused(logger, taskId.ToString(), reason);
            await GiveBackAsync(taskId, reason, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>Sends the reveal of a journaled digest (after a RevealRequest or reveal_now), then uploads.</summary>
    public async Task RevealAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        using var span = TaskTrace.Start(WorkerAgentTelemetry.Source, "worker.reveal", taskId, ActivityKind.Client);
        var entry = journal.Find(taskId);
        if (entry is null)
        {
            WorkerLog.NothingToReveal(logger, taskId.ToString());
            return;
        }

        var reveal = new Reveal { TaskId = taskId.ToString(), ResultDigest = entry.ResultDigest };
        if (entry.CallbackBytes is { } callbackData)
        {
            reveal.Callback = new CallbackPayload { Data = ProtoConvert.Bytes(callbackData) };
        }

        var result = await CallAsync(new WorkerMessage { Reveal = reveal }, cancellationToken).ConfigureAwait(false);
        if (result.Accepted || result.Refusal == Refusal.AlreadyRevealed)
        {
            WorkerLog.Accepted(logger, taskId.ToString(), "reveal", result.TaskStatus.ToString());
            journal.Advance(taskId, JournalStage.Revealed);
            await UploadAsync(taskId, entry, cancellationToken).ConfigureAwait(false);
            Forget(taskId);
            return;
        }

        WorkerLog.CallRefused(logger, taskId.ToString(), "reveal", result.Refusal.ToString(), result.Message);
        Forget(taskId);
    }

    /// <summary>Gives a replicate back (cannot run it, or draining).</summary>
    public async Task GiveBackAsync(Hash32 taskId, string reason, CancellationToken cancellationToken)
    {
        WorkerLog.GivingBack(logger, taskId.ToString(), reason);
        var message = new WorkerMessage { GiveBack = new GiveBack { TaskId = taskId.ToString(), Reason = reason.Length > 256 ? reason[..256] : reason } };
        var result = await CallAsync(message, cancellationToken).ConfigureAwait(false);
        if (!result.Accepted)
        {
            WorkerLog.CallRefused(logger, taskId.ToString(), "give-back", result.Refusal.ToString(), result.Message);
        }

        Forget(taskId);
    }

    /// <summary>Drops everything local about a task (journal record and workspace).</summary>
    public void Forget(Hash32 taskId)
    {
        journal.Remove(taskId);
        try
        {
            TaskWorkspace.At(options.ScratchDirectory, taskId).Delete();
        }
        catch (IOException)
        {
            // a process still writing there (being killed); the next run of the task recreates it empty
        }
    }

    private async Task<Hash32?> ComputeAsync(
        Assignment assignment, Hash32 taskId, Hash32 dealId, Address appAddress, IReadOnlyList<AppSecret> appSecrets, CancellationToken cancellationToken)
    {
        using var span = TaskTrace.Start(WorkerAgentTelemetry.Source, "worker.run", taskId);
        if (await PrepareAsync(assignment, taskId, dealId, appAddress, appSecrets, cancellationToken).ConfigureAwait(false) is not { } prepared)
        {
            return null;
        }

        var (request, workspace) = prepared;

        SendProgress(taskId, 0, "started");
        var result = await executor.RunAsync(request, workspace, cancellationToken).ConfigureAwait(false);
        WorkerAgentTelemetry.Executions.Add(1, new KeyValuePair<string, object?>("outcome", result.Outcome switch
        {
            ExecutionOutcome.Completed => "completed",
            ExecutionOutcome.TimedOut => "timed_out",
            _ => "failed",
        }));
        WorkerAgentTelemetry.ExecutionDuration.Record(result.Duration.TotalSeconds);
        var logs = PackLogs(assignment, workspace, options.LogTailBytes);
        if (result.Outcome != ExecutionOutcome.Completed || result.ResultDigest is not { } archiveDigest)
        {
            // The requester sees why: the failed app's output goes up before the replicate goes back.
            await UploadLogsAsync(taskId, logs.Path, logs.Encryption, cancellationToken).ConfigureAwait(false);
            await GiveBackAsync(taskId, result.Message, cancellationToken).ConfigureAwait(false);
            return null;
        }

        // DESIGN §6: on a callback deal the result digest is keccak256 of the app's callback data.
        var hasCallback = HasCallback(assignment);
        Hash32 digest;
        try
        {
            digest = CallbackData.ResultDigest(hasCallback, result.CallbackData, archiveDigest);
        }
        catch (InvalidDataException ex)
        {
            await GiveBackAsync(taskId, ex.Message, cancellationToken).ConfigureAwait(false);
            return null;
        }

        WorkerLog.Computed(logger, taskId.ToString(), result.Duration, digest.ToString());
        SendProgress(taskId, 100, "computed");
        var (archivePath, encryption) = SealForBeneficiary(assignment, result.ArchivePath);
        journal.Record(new JournalEntry(taskId.ToString(), JournalStage.Computed, digest.ToString(), archivePath,
            FinalDeadline: assignment.FinalDeadline?.ToDateTimeOffset(), CallbackData: hasCallback ? Hex.Encode(result.CallbackData!) : null) { Encryption = encryption, LogsPath = logs.Path, LogsEncryption = logs.Encryption });
        return digest;
    }

    /// <summary>The execution request and workspace (inputs fetched) of an assignment; null after giving it back.</summary>
    private async Task<(ExecutionRequest Request, TaskWorkspace Workspace)?> PrepareAsync(
        Assignment assignment, Hash32 taskId, Hash32 dealId, Address appAddress, IReadOnlyList<AppSecret> appSecrets, CancellationToken cancellationToken)
    {
        if (!apps.TryChoose(appAddress, assignment.AppImage, options.Executor, out var app, out var refusal))
        {
            await GiveBackAsync(taskId, refusal, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var maxRunTime = MaxRunTime(assignment, app, time.GetUtcNow());
        if (maxRunTime <= TimeSpan.Zero)
        {
            await GiveBackAsync(taskId, "the contribution deadline is too close to run the app", cancellationToken).ConfigureAwait(false);
            return null;
        }

        var workspace = TaskWorkspace.Create(options.ScratchDirectory, taskId);
        IReadOnlyList<InputFile> files;
        try
        {
            files = await inputs.FetchAsync(assignment.InputFiles, cancellationToken).ConfigureAwait(false);
        }
        catch (InputFetchException ex)
        {
            await GiveBackAsync(taskId, ex.Message, cancellationToken).ConfigureAwait(false);
            return null;
        }

        var request = new ExecutionRequest
        {
            TaskId = taskId,
            DealId = dealId,
            Index = (long)assignment.Index,
            App = app,
            Dataset = Address.TryParse(assignment.DatasetAddress, out var dataset, out _) ? dataset : Address.Zero,
            Params = assignment.Params,
            Inputs = files,
            MaxRunTime = maxRunTime,
            Secrets = appSecrets,
            LogTailBytes = options.LogTailBytes,
            Cores = assignment.Cores > 0 ? assignment.Cores : 1,
            MemoryMb = assignment.MemoryMb > 0 ? assignment.MemoryMb : options.Containers.DefaultMemoryMb,
        };
        return (request, workspace);
    }

    /// <summary>
    /// The archive to upload: encrypted for the deal's beneficiary when the assignment names one (the
    /// plaintext is deleted, so nothing readable waits on the worker's disk), else as built.
    /// </summary>
    internal static (string? Path, string Encryption) SealForBeneficiary(Assignment assignment, string? archivePath)
    {
        if (assignment.BeneficiaryKey.IsEmpty || archivePath is null)
        {
            return (archivePath, string.Empty);
        }

        var sealedPath = ResultEncryption.EncryptFile(archivePath, assignment.BeneficiaryKey.Span);
        File.Delete(archivePath);
        return (sealedPath, ResultPrivacy.EciesLabel);
    }

    /// <summary>
    /// The app's logs package (<see cref="LogsPackage"/>: the last <paramref name="tailBytes"/> of its
    /// stdout and stderr) in the workspace, sealed for the beneficiary like the result.
    /// </summary>
    internal static (string? Path, string Encryption) PackLogs(Assignment assignment, TaskWorkspace workspace, int tailBytes)
    {
        var package = LogsPackage.Pack(
            LogTail.ReadTail(Path.Combine(workspace.LogDirectory, LogsPackage.StdoutEntry), tailBytes),
            LogTail.ReadTail(Path.Combine(workspace.LogDirectory, LogsPackage.StderrEntry), tailBytes));
        var path = Path.Combine(workspace.Root, "logs.tar");
        File.WriteAllBytes(path, package);
        return SealForBeneficiary(assignment, path);
    }

    /// <summary>True when the assignment names a callback contract (its deal's result digest is then keccak256 of the callback data).</summary>
    internal static bool HasCallback(Assignment assignment)
        => Address.TryParse(assignment.Callback, out var callback, out _) && !callback.IsZero;

    /// <summary>The category's max run time (its timeref), capped by the app's own limit and by the time left to contribute.</summary>
    internal static TimeSpan MaxRunTime(Assignment assignment, AllowedApp app, DateTimeOffset now)
    {
        var limit = ProtoConvert.TimerefOf(assignment);
        if (limit <= TimeSpan.Zero) limit = app.MaxRunTime ?? TimeSpan.FromMinutes(5);
        if (app.MaxRunTime is { } own && own < limit) limit = own;
        if (assignment.ContributionDeadline is { } deadline)
        {
            var left = deadline.ToDateTimeOffset() - now;
            if (left < limit) limit = left;
        }

        return limit;
    }

    private async Task ContributeAsync(Assignment assignment, Hash32 taskId, Hash32 digest, ReleasedSecrets? released, CancellationToken cancellationToken, byte[]? enclaveSignature = null)
    {
        using var span = TaskTrace.Start(WorkerAgentTelemetry.Source, "worker.contribute", taskId, ActivityKind.Client);
        var id = taskId.ToString();
        var resultHash = ProtocolIds.ResultHash(taskId, digest);
        var resultSeal = ProtocolIds.ResultSeal(identity.Address, taskId, digest);
        if (assignment.TeeFastPath)
        {
            if (released is null && enclaveSignature is null)
            {
                await GiveBackAsync(taskId, "a TEE fast-path task without its enclave challenge key from the secret service", cancellationToken).ConfigureAwait(false);
                return;
            }

            // The trusted runner signed inside the enclave; the simulated enclave's key is opened here.
            enclaveSignature ??= SimulatedEnclave.SignResult(resultHash, resultSeal, released!.EnclaveKey);
            var contribution = new TeeContribution { TaskId = id, ResultDigest = digest.ToString(), EnclaveSignature = ProtoConvert.Bytes(enclaveSignature) };
            if (journal.Find(taskId)?.CallbackBytes is { } callbackData)
            {
                contribution.Callback = new CallbackPayload { Data = ProtoConvert.Bytes(callbackData) };
            }

            var tee = await CallAsync(new WorkerMessage { TeeContribution = contribution }, cancellationToken).ConfigureAwait(false);
            if (tee.Accepted || (tee.Refusal == Refusal.TaskFinal && tee.TaskStatus == Api.Worker.V1.TaskStatus.Completed))
            {
                WorkerLog.Accepted(logger, id, "TEE contribution", tee.TaskStatus.ToString());
                if (journal.Find(taskId) is { } entry)
                {
                    await UploadAsync(taskId, entry, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                WorkerLog.CallRefused(logger, id, "TEE contribution", tee.Refusal.ToString(), tee.Message);
            }

            Forget(taskId);
            return;
        }

        var signature = identity.SignPersonal(ProtocolIds.ContributionMessage(taskId, resultHash, resultSeal).ToArray());
        var result = await CallAsync(new WorkerMessage
        {
            Contribution = new Contribution
            {
                TaskId = id,
                ResultHash = resultHash.ToString(),
                ResultSeal = resultSeal.ToString(),
                WorkerSignature = ProtoConvert.Bytes(signature),
            },
        }, cancellationToken).ConfigureAwait(false);
        if (result.Accepted || result.Refusal == Refusal.AlreadyContributed)
        {
            WorkerLog.Accepted(logger, id, "contribution", result.TaskStatus.ToString());
            journal.Advance(taskId, JournalStage.Contributed);
            if (result.RevealNow)
            {
                await RevealAsync(taskId, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        WorkerLog.CallRefused(logger, id, "contribution", result.Refusal.ToString(), result.Message);
        Forget(taskId);
    }

    private async Task UploadAsync(Hash32 taskId, JournalEntry entry, CancellationToken cancellationToken)
    {
        using var span = TaskTrace.Start(WorkerAgentTelemetry.Source, "worker.upload", taskId, ActivityKind.Client);
        if (entry.Uploaded || entry.ArchivePath is null || !File.Exists(entry.ArchivePath))
        {
            return;
        }

        var maxBytes = sessions.Current?.Welcome.MaxResultBytes ?? 0;
        var outcome = await uploader.UploadAsync(taskId, entry.ArchivePath, maxBytes, entry.Encryption, entry.Digest, cancellationToken).ConfigureAwait(false);
        if (outcome.Error is null)
        {
            WorkerLog.Uploaded(logger, taskId.ToString(), outcome.Size, outcome.Location);
            journal.Advance(taskId, JournalStage.Revealed, uploaded: true);
            await UploadLogsAsync(taskId, entry.LogsPath, entry.LogsEncryption, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            WorkerLog.UploadFailed(logger, taskId.ToString(), outcome.Error);
        }
    }

    /// <summary>Uploads a logs package; a refusal or failure is logged, never thrown (the task's outcome does not depend on it).</summary>
    private async Task UploadLogsAsync(Hash32 taskId, string? path, string encryption, CancellationToken cancellationToken)
    {
        if (path is null || !File.Exists(path))
        {
            return;
        }

        var outcome = await uploader.UploadLogsAsync(taskId, path, encryption, cancellationToken).ConfigureAwait(false);
        if (outcome.Error is null)
        {
            WorkerLog.Uploaded(logger, taskId.ToString() + " (logs)", outcome.Size, outcome.Location);
        }
        else
        {
            WorkerLog.UploadFailed(logger, taskId.ToString() + " (logs)", outcome.Error);
        }
    }

    private void SendProgress(Hash32 taskId, uint percent, string message)
    {
        try
        {
            sessions.Current?.Send(new WorkerMessage { Progress = new Progress { TaskId = taskId.ToString(), Percent = percent, Message = message } });
        }
        catch (SessionLostException)
        {
            // informational only
        }
    }

    /// <summary>Sends a call on the live session, again on the next one if the session drops before the answer.</summary>
    private async Task<CallResult> CallAsync(WorkerMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            var session = await sessions.CurrentAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await session.CallAsync(message.Clone(), cancellationToken).ConfigureAwait(false);
                WorkerAgentTelemetry.Calls.Add(1, new KeyValuePair<string, object?>("call", message.BodyCase.ToString()), new KeyValuePair<string, object?>("accepted", result.Accepted));
                return result;
            }
            catch (SessionLostException)
            {
                sessions.Lost(session);
            }
        }
    }
}
