using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Enclave.Runner;
using Orchestrator.Worker.Enclave;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Session;

/// <summary>
/// The hardware TEE path of a replicate: the agent prepares the public parts (app command, inputs,
/// environment), fetches the task's secrets sealed to the trusted runner's session key, and hands both
/// to the runner, which opens them, runs the app, and returns the digest, the enclave signature and
/// the result archive sealed for the beneficiary. The agent never holds a secret, the enclave key or a
/// plaintext result of a task it did not make public.
/// </summary>
internal sealed partial class ReplicatePipeline
{
    private async Task<bool> RunInEnclaveAsync(Assignment assignment, Hash32 taskId, Hash32 dealId, Address appAddress, CancellationToken cancellationToken)
    {
        if (!Address.TryParse(assignment.EnclaveChallenge, out var challenge, out _) || challenge == Address.Zero)
        {
            await GiveBackAsync(taskId, "a TEE task arrived without its enclave challenge address", cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (!AppArguments.TrySplit(assignment.Params, out var taskArguments, out var argumentError))
        {
            await GiveBackAsync(taskId, "task parameters: " + argumentError, cancellationToken).ConfigureAwait(false);
            return false;
        }

        if (await PrepareAsync(assignment, taskId, dealId, appAddress, [], cancellationToken).ConfigureAwait(false) is not { } prepared)
        {
            return false;
        }

        var (request, workspace) = prepared;
        workspace.WriteInputs(request.Inputs);
        SendProgress(taskId, 0, "started");
        var outcome = await RunInSessionAsync(assignment, taskId, request, taskArguments, workspace, cancellationToken).ConfigureAwait(false);
        if (outcome is null)
        {
            return false;
        }

        if (outcome.AppFailure is { } failure || !EnclaveRun.TryDigest(outcome, out var digest) || EnclaveRun.SignatureOf(outcome) is not { } signature)
        {
            await GiveBackAsync(taskId, "the enclave's run failed: " + (outcome.AppFailure ?? "its answer lacks a digest or a 65-byte signature"), cancellationToken).ConfigureAwait(false);
            return false;
        }

        SendProgress(taskId, 100, "computed");
        journal.Record(new JournalEntry(taskId.ToString(), JournalStage.Computed, digest.ToString(), outcome.ResultPath,
            FinalDeadline: assignment.FinalDeadline?.ToDateTimeOffset(), CallbackData: outcome.CallbackData is { } data ? Hex.Encode(data) : null) { Encryption = outcome.Encryption });
        await ContributeAsync(assignment, taskId, digest, null, cancellationToken, signature).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Fetches the sealed secrets and runs the task in the runner, both on one session (the secrets are
    /// sealed to that session's key); again on the next session when it drops meanwhile, a few times.
    /// Null after giving the replicate back.
    /// </summary>
    private async Task<RunOutcome?> RunInSessionAsync(Assignment assignment, Hash32 taskId, ExecutionRequest request, IReadOnlyList<string> taskArguments,
        TaskWorkspace workspace, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var session = await sessions.CurrentAsync(cancellationToken).ConfigureAwait(false);
            string reason;
            try
            {
                var released = await secrets.FetchSealedAsync(session, taskId, cancellationToken).ConfigureAwait(false);
                WorkerLog.SecretsReleased(logger, taskId.ToString(), released.Secrets.Count, session.Welcome.SessionId);
                var runner = session.Runner ?? throw new TaskSecretsRefusedException("this session has no trusted runner");
                return await runner.RunAsync(identity.Address, taskId, EnclaveRun.For(assignment, request, taskArguments, workspace, released, options.MaxResultBytes), cancellationToken).ConfigureAwait(false);
            }
            catch (SessionLostException) when (attempt < 3)
            {
                sessions.Lost(session);
                continue;
            }
            catch (EnclaveRunnerException) when (attempt < 3 && session.IsClosed)
            {
                continue; // its session key ended with the session: fetch again, sealed to the next one
            }
            catch (SessionLostException ex)
            {
                reason = "the secret fetch failed on three sessions in a row: " + ex.Message;
            }
            catch (TaskSecretsRefusedException ex)
            {
                reason = ex.Message;
            }
            catch (EnclaveRunnerException ex)
            {
                reason = ex.Message;
            }

            WorkerLog.SecretsRefused(logger, taskId.ToString(), reason);
            await GiveBackAsync(taskId, reason, cancellationToken).ConfigureAwait(false);
            return null;
        }
    }
}
