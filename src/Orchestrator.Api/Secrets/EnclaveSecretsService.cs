using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Proto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Api.Secrets;

/// <summary>
/// orchestrator.secrets.v1.EnclaveSecrets: an enclave fetches its task's secrets. No bearer token:
/// the request is authenticated by the worker session (id + enclave session key signature), and the
/// secret service decides and audits (<see cref="ITaskSecretsGrain"/>).
/// </summary>
public sealed class EnclaveSecretsService(IGrainFactory grains, Workers.AuthorizedWorkers authorized) : Proto.EnclaveSecrets.EnclaveSecretsBase
{
    /// <inheritdoc />
    public override async Task<Proto.FetchTaskSecretsReply> FetchTaskSecrets(Proto.FetchTaskSecretsRequest request, ServerCallContext context)
    {
        var worker = Require.Address(request.WorkerAddress, "worker_address");
        var sessionId = Require.Text(request.SessionId, 128, "session_id");
        if (string.IsNullOrEmpty(sessionId))
        {
            throw Require.Invalid("session_id: is required (the id the worker session was welcomed with)");
        }

        var taskId = Require.Hash(request.TaskId, "task_id");
        if (request.IssuedAt is null)
        {
            throw Require.Invalid("issued_at: is required");
        }

        if (request.Signature.Length != 65)
        {
            throw Require.Invalid($"signature: 65 bytes (r ‖ s ‖ v) by the enclave session key, got {request.Signature.Length}");
        }

        if (!await authorized.IsAuthorizedAsync(worker, context.CancellationToken))
        {
            // Refused before the secret service's grain (or the worker's) activates for a stranger.
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"worker {worker.ToLowerHex()} is not an authorized worker of this pool (rule: only registered, authorized workers fetch task secrets)"));
        }

        var result = await grains.TaskSecrets(taskId).FetchAsync(
            new SecretFetchRequest(worker, sessionId, taskId, request.IssuedAt.ToDateTimeOffset(), request.Signature.ToByteArray()));
        return result.Granted ? SecretsMapping.ToProto(taskId, result) : throw Refused(result);
    }

    private static RpcException Refused(SecretFetchResult result) => new(new Status(result.Refusal switch
    {
        SecretRefusal.UnknownTask => StatusCode.NotFound,
        SecretRefusal.TaskExpired => StatusCode.DeadlineExceeded,
        SecretRefusal.SessionNotCurrent or SecretRefusal.BadProof => StatusCode.Unauthenticated,
        SecretRefusal.NoAppPolicy => StatusCode.FailedPrecondition,
        _ => StatusCode.PermissionDenied,
    }, $"{result.Refusal}: {result.Message}"));
}
