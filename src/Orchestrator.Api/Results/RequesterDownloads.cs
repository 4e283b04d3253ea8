using Grpc.Core;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Validation;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using TaskStatus = Orchestrator.Domain.Tasks.TaskStatus;

namespace Orchestrator.Api.Results;

/// <summary>
/// Decides a requester's signed download (gRPC orchestrator.results.v1 and its JSON routes alike), in
/// an order that lets a refused call change and activate nothing: the request's freshness and
/// signature first (pure), then the result store (no grain), and only for a stored object the task
/// grain's read of its deal's terms (requester, beneficiary key, status).
/// </summary>
internal sealed class RequesterDownloads(IGrainFactory grains, IResultStore results, IOptions<ApiOptions> options, IOptions<ResultsOptions> resultsOptions, TimeProvider time)
{
    /// <summary>The pool's EIP-712 domain: the identity worker sessions bind (Orchestrator:Api:PoolAddress and ChainId).</summary>
    public (ulong ChainId, Address Pool) Domain
    {
        get
        {
            var binding = SessionBinding.Of(options.Value);
            return (binding.ChainId, binding.Pool);
        }
    }

    /// <summary>The task's stored result, once the requester or beneficiary proved who they are and the task COMPLETED.</summary>
    public async Task<StoredResult> AuthorizeResultAsync(Hash32 taskId, ulong expiry, Signature signature, CancellationToken cancellationToken)
    {
        var signer = Authenticate(new ResultRequest(taskId, ResultKind.Result, expiry), signature);
        var stored = await results.FindAsync(taskId, cancellationToken)
            ?? throw Require.NotFound($"task {taskId} has no result archive (none uploaded, or the task did not complete)");
        ThrowIfExpired(stored, "result");
        var terms = await AuthorizeAsync(taskId, signer);
        if (terms.Status != TaskStatus.Completed)
        {
            throw Require.NotFound($"task {taskId} has not completed (it is {terms.Status}): an archive uploaded while it was revealing is not its result yet");
        }

        return stored;
    }

    /// <summary>The task's logs objects (of one <paramref name="worker"/> when given) that still hold bytes, for its requester or beneficiary.</summary>
    public async Task<IReadOnlyList<StoredResult>> AuthorizeLogsAsync(Hash32 taskId, ulong expiry, Signature signature, Address? worker, CancellationToken cancellationToken)
    {
        var signer = Authenticate(new ResultRequest(taskId, ResultKind.Logs, expiry), signature);
        var all = (await results.ListLogsAsync(taskId, cancellationToken)).Where(l => worker is null || l.Worker == worker).ToList();
        if (all.Count == 0)
        {
            throw Require.NotFound($"task {taskId} has no logs{(worker is { } w ? $" from worker {w.ToLowerHex()}" : string.Empty)} (none uploaded)");
        }

        var live = all.Where(l => l.ExpiredAt is null).ToList();
        if (live.Count == 0)
        {
            ThrowIfExpired(all[0], "logs");
        }

        // Logs are the requester's whatever the task's status: a failed app's output says why it failed.
        await AuthorizeAsync(taskId, signer);
        return live;
    }

    private Address Authenticate(ResultRequest request, Signature signature)
    {
        var (chainId, pool) = Domain;
        var refusal = ResultAccessRules.Authenticate(request, signature, time.GetUtcNow(), chainId, pool, out var signer);
        return refusal is null ? signer : throw Refused(refusal);
    }

    private async Task<Abstractions.Messages.ResultTerms> AuthorizeAsync(Hash32 taskId, Address signer)
    {
        var terms = await grains.Task(taskId).GetResultTermsAsync();
        if (!terms.Exists)
        {
            throw Require.NotFound($"task {taskId} is unknown to this pool");
        }

        var refusal = ResultAccessRules.Authorize(taskId, signer, terms.Requester, terms.BeneficiaryKey);
        return refusal is null ? terms : throw Refused(refusal);
    }

    private void ThrowIfExpired(StoredResult stored, string what)
    {
        if (stored.ExpiredAt is not null)
        {
            throw Require.NotFound(ResultRetentionService.ExpiredMessage(stored, resultsOptions.Value.Retention, what));
        }
    }

    private static RpcException Refused(ResultAccessRefusal refusal)
        => new(new Status(refusal.Code.IsPermission() ? StatusCode.PermissionDenied : StatusCode.Unauthenticated, refusal.Message));
}
