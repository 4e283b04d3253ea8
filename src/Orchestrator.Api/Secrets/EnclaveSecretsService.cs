using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;
using Proto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Api.Secrets;

/// <summary>
/// orchestrator.secrets.v1.EnclaveSecrets: an enclave fetches its task's secrets. No bearer token:
/// the request is authenticated by the worker session (id + enclave session key signature), and the
/// secret service decides and audits (<see cref="ITaskSecretsGrain"/>). The proof is checked here too,
/// before the secret service's grain activates: a known worker's address with a made-up signature must
/// not be able to make the pool write audit rows or log warnings on its behalf.
/// </summary>
public sealed class EnclaveSecretsService(IGrainFactory grains, AuthorizedWorkers authorized, WorkerRateLimits limits) : Proto.EnclaveSecrets.EnclaveSecretsBase
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

        var issuedAt = request.IssuedAt.ToDateTimeOffset();
        var signature = request.Signature.ToByteArray();
        var session = await grains.Worker(worker).GetEnclaveSessionAsync(taskId);
        if (!session.Active || session.SessionId != sessionId
            || session.Attestation?.SessionPublicKey is not { } sessionKey
            || !SecretFetchProof.Verify(sessionKey, signature, worker, taskId, sessionId, issuedAt))
        {
            // The same answer for "no such session" and "wrong signature": the caller learns nothing it could not prove.
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the fetch is not signed by the enclave key of the worker's current attested session (rule: a fetch carries the session id it was welcomed with and a signature by the session key its quote bound)"));
        }

        // Counted once the proof holds: forged fetches naming a worker must not spend that worker's budget
        // (shared with its uploads); the per-client limit in front of every call bounds the attempts.
        limits.AdmitCall(worker);
        var result = await grains.TaskSecrets(taskId).FetchAsync(new SecretFetchRequest(worker, sessionId, taskId, issuedAt, signature));
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
