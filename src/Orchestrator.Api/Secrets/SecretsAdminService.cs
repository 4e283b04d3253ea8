using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Validation;
using Proto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Api.Secrets;

/// <summary>orchestrator.secrets.v1.SecretsAdmin: secrets, app policies and the audit (the bearer token is checked by <see cref="Security.AdminAuthInterceptor"/>).</summary>
public sealed class SecretsAdminService(IGrainFactory grains, TimeProvider time, IConfiguration configuration) : Proto.SecretsAdmin.SecretsAdminBase
{
    /// <summary>The largest secret value accepted.</summary>
    public const int MaxValueBytes = 64 * 1024;

    /// <inheritdoc />
    public override Task<Proto.SecretInfo> PutSecret(Proto.PutSecretRequest request, ServerCallContext context)
        => throw OwnersOnly("push a secret", "PushSecret");

    /// <inheritdoc />
    public override Task<Proto.DeleteSecretReply> DeleteSecret(Proto.DeleteSecretRequest request, ServerCallContext context)
        => throw OwnersOnly("delete a secret", "PushSecret (to replace it)");

    /// <inheritdoc />
    public override Task<Proto.ListSecretsReply> ListSecrets(Proto.ListSecretsRequest request, ServerCallContext context)
        => throw OwnersOnly("list an owner's secrets", "ListOwnerSecrets");

    /// <inheritdoc />
    public override async Task<Proto.RewrapSecretsReply> RewrapSecrets(Proto.RewrapSecretsRequest request, ServerCallContext context)
    {
        var owner = SecretsMapping.Owner(request.Owner, "owner");
        return new Proto.RewrapSecretsReply { Rewrapped = await GuardAsync(() => grains.Secrets(owner).RewrapAsync()) };
    }

    /// <inheritdoc />
    public override Task<Proto.AppPolicy> SetAppPolicy(Proto.SetAppPolicyRequest request, ServerCallContext context)
        => throw OwnersOnly("set an app's measurements", "RegisterApp");

    /// <inheritdoc />
    public override async Task<Proto.AppPolicy> GetAppPolicy(Proto.GetAppPolicyRequest request, ServerCallContext context)
    {
        var app = Require.Address(request.App, "app");
        return await grains.AppPolicy(app).GetAsync() is { } policy
            ? SecretsMapping.ToProto(policy)
            : throw Require.NotFound($"app {app.ToLowerHex()} has no attestation policy (its TEE tasks are dispatched to nobody)");
    }

    /// <inheritdoc />
    public override Task<Proto.RemoveAppPolicyReply> RemoveAppPolicy(Proto.RemoveAppPolicyRequest request, ServerCallContext context)
        => throw OwnersOnly("remove an app's measurements", "RegisterApp");

    /// <inheritdoc />
    public override async Task<Proto.ListAppPoliciesReply> ListAppPolicies(Proto.ListAppPoliciesRequest request, ServerCallContext context)
    {
        var apps = await grains.AppPolicyIndex().ListAsync();
        var policies = await Task.WhenAll(apps.Select(a => grains.AppPolicy(a).GetAsync()));
        var reply = new Proto.ListAppPoliciesReply();
        reply.Policies.AddRange(policies.Where(p => p is not null).Select(p => SecretsMapping.ToProto(p!)));
        return reply;
    }

    /// <inheritdoc />
    public override async Task<Proto.TaskAudit> GetTaskAudit(Proto.GetTaskAuditRequest request, ServerCallContext context)
    {
        var taskId = Require.Hash(request.TaskId, "task_id");
        return SecretsMapping.ToProto(await grains.TaskSecrets(taskId).GetViewAsync());
    }

    /// <inheritdoc />
    public override async Task<Proto.WorkerAttestation> GetWorkerAttestation(Proto.GetWorkerAttestationRequest request, ServerCallContext context)
    {
        var worker = Require.Address(request.Address, "address");
        var maxAge = configuration.GetValue<TimeSpan?>("Orchestrator:Attestation:MaxEvidenceAge") ?? TimeSpan.FromHours(24);
        return await grains.Worker(worker).GetAttestationAsync() is { } attestation
            ? SecretsMapping.ToProto(attestation, time.GetUtcNow(), maxAge)
            : throw Require.NotFound($"worker {worker.ToLowerHex()} presented no attestation evidence");
    }

    /// <summary>
    /// What the pool's token may no longer do: an app's measurements and every owner's secrets belong
    /// to their owners, who sign their own requests (orchestrator.registry.v1). Nothing is read or written.
    /// </summary>
    private static RpcException OwnersOnly(string what, string instead) => new(new Status(StatusCode.PermissionDenied,
        $"the pool's token cannot {what} (rule: apps, datasets and secrets are governed by their owners, who sign orchestrator.registry.v1 {instead})"));

    /// <summary>A grain's refusal of bad input, or a silo without master keys, as a status a person can act on.</summary>
    private static async Task<T> GuardAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ArgumentException ex)
        {
            throw Require.Invalid(ex.Message);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("master key", StringComparison.Ordinal))
        {
            throw Require.Precondition(ex.Message);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw Require.Precondition(ex.Message);
        }
    }
}
