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
    public override async Task<Proto.SecretInfo> PutSecret(Proto.PutSecretRequest request, ServerCallContext context)
    {
        var owner = SecretsMapping.Owner(request.Owner, "owner");
        var name = SecretsMapping.Name(request.Name, "name");
        if (request.Value.Length is 0 or > MaxValueBytes)
        {
            throw Require.Invalid($"value: 1..{MaxValueBytes} bytes, got {request.Value.Length}");
        }

        var stored = await GuardAsync(() => grains.Secrets(owner).PutAsync(name, request.Value.ToByteArray()));
        return SecretsMapping.ToProto(stored);
    }

    /// <inheritdoc />
    public override async Task<Proto.DeleteSecretReply> DeleteSecret(Proto.DeleteSecretRequest request, ServerCallContext context)
    {
        var owner = SecretsMapping.Owner(request.Owner, "owner");
        var name = SecretsMapping.Name(request.Name, "name");
        return await grains.Secrets(owner).DeleteAsync(name)
            ? new Proto.DeleteSecretReply()
            : throw Require.NotFound($"{owner.Key} has no secret named \"{name}\"");
    }

    /// <inheritdoc />
    public override async Task<Proto.ListSecretsReply> ListSecrets(Proto.ListSecretsRequest request, ServerCallContext context)
    {
        var owner = SecretsMapping.Owner(request.Owner, "owner");
        var reply = new Proto.ListSecretsReply();
        reply.Secrets.AddRange((await grains.Secrets(owner).ListAsync()).Select(SecretsMapping.ToProto));
        return reply;
    }

    /// <inheritdoc />
    public override async Task<Proto.RewrapSecretsReply> RewrapSecrets(Proto.RewrapSecretsRequest request, ServerCallContext context)
    {
        var owner = SecretsMapping.Owner(request.Owner, "owner");
        return new Proto.RewrapSecretsReply { Rewrapped = await GuardAsync(() => grains.Secrets(owner).RewrapAsync()) };
    }

    /// <inheritdoc />
    public override async Task<Proto.AppPolicy> SetAppPolicy(Proto.SetAppPolicyRequest request, ServerCallContext context)
    {
        var policy = SecretsMapping.ToPolicy(request.Policy);
        var result = await grains.AppPolicy(policy.App).SetAsync(policy);
        return result.Accepted
            ? SecretsMapping.ToProto(result.Policy!)
            : throw Require.Invalid("policy: " + string.Join("; ", result.Errors));
    }

    /// <inheritdoc />
    public override async Task<Proto.AppPolicy> GetAppPolicy(Proto.GetAppPolicyRequest request, ServerCallContext context)
    {
        var app = Require.Address(request.App, "app");
        return await grains.AppPolicy(app).GetAsync() is { } policy
            ? SecretsMapping.ToProto(policy)
            : throw Require.NotFound($"app {app.ToLowerHex()} has no attestation policy (its TEE tasks are dispatched to nobody)");
    }

    /// <inheritdoc />
    public override async Task<Proto.RemoveAppPolicyReply> RemoveAppPolicy(Proto.RemoveAppPolicyRequest request, ServerCallContext context)
    {
        var app = Require.Address(request.App, "app");
        return await grains.AppPolicy(app).RemoveAsync()
            ? new Proto.RemoveAppPolicyReply()
            : throw Require.NotFound($"app {app.ToLowerHex()} has no attestation policy");
    }

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
