using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Results;
using Orchestrator.Api.Validation;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Workers;
using Proto = Orchestrator.Api.Admin.V1;

namespace Orchestrator.Api.Admin;

/// <summary>orchestrator.admin.v1.PoolAdmin: the pool owner's API (the bearer token is checked by <see cref="Security.AdminAuthInterceptor"/>).</summary>
public sealed class PoolAdminService(
    IGrainFactory grains,
    IOptions<ApiOptions> options,
    TimeProvider time,
    SessionRegistry sessions,
    IResultStore results,
    IOptions<ResultsOptions> resultsOptions) : Proto.PoolAdmin.PoolAdminBase
{
    private const int ResultChunkBytes = 256 * 1024;

    /// <inheritdoc />
    public override async Task<Proto.AuthorizeWorkersReply> AuthorizeWorkers(Proto.AuthorizeWorkersRequest request, ServerCallContext context)
    {
        var addresses = Addresses(request.Addresses);
        await grains.Pool().AuthorizeAsync(addresses);
        return new Proto.AuthorizeWorkersReply { Count = addresses.Count };
    }

    /// <inheritdoc />
    public override async Task<Proto.RevokeWorkersReply> RevokeWorkers(Proto.RevokeWorkersRequest request, ServerCallContext context)
    {
        var addresses = Addresses(request.Addresses);
        await grains.Pool().RevokeAsync(addresses);
        return new Proto.RevokeWorkersReply { Count = addresses.Count };
    }

    /// <inheritdoc />
    public override async Task<Proto.Policy> GetPolicy(Proto.GetPolicyRequest request, ServerCallContext context)
        => AdminMapping.ToProto(await grains.Pool().GetPolicyAsync());

    /// <inheritdoc />
    public override async Task<Proto.Policy> SetPolicy(Proto.SetPolicyRequest request, ServerCallContext context)
    {
        var pool = grains.Pool();
        var policy = AdminMapping.ToPolicy(request.Policy, await pool.GetPolicyAsync());
        await pool.SetPolicyAsync(policy);
        return AdminMapping.ToProto(policy);
    }

    /// <inheritdoc />
    public override async Task<Proto.Policy> RestrictApps(Proto.RestrictAppsRequest request, ServerCallContext context)
    {
        var pool = grains.Pool();
        var policy = AdminMapping.ToAppRestriction(request, await pool.GetPolicyAsync());
        await pool.SetPolicyAsync(policy);
        return AdminMapping.ToProto(policy);
    }

    /// <inheritdoc />
    public override async Task<Proto.WorkerInfo> DrainWorker(Proto.DrainWorkerRequest request, ServerCallContext context)
    {
        var address = Require.Address(request.Address, "address");
        var worker = grains.Worker(address);
        var view = await KnownWorkerAsync(address);
        if (view.State is WorkerState.Revoked or WorkerState.Lost)
        {
            throw Require.Precondition($"worker {address.ToLowerHex()} is {view.State}: there is nothing to drain");
        }

        await worker.DrainAsync();
        return AdminMapping.ToProto(await worker.GetViewAsync(), await grains.Pool().IsAuthorizedAsync(address));
    }

    /// <inheritdoc />
    public override async Task<Proto.WorkerInfo> ReattestWorker(Proto.ReattestWorkerRequest request, ServerCallContext context)
    {
        var address = Require.Address(request.Address, "address");
        await KnownWorkerAsync(address);
        var worker = grains.Worker(address);
        if (!await worker.RequestReattestationAsync())
        {
            throw Require.Precondition($"worker {address.ToLowerHex()} has no live TEE session to re-attest (it is not connected, or declared no TEE)");
        }

        return AdminMapping.ToProto(await worker.GetViewAsync(), await grains.Pool().IsAuthorizedAsync(address));
    }

    /// <inheritdoc />
    public override async Task<Proto.WorkerInfo> GetWorker(Proto.GetWorkerRequest request, ServerCallContext context)
    {
        var address = Require.Address(request.Address, "address");
        var view = await KnownWorkerAsync(address);
        return AdminMapping.ToProto(view, await grains.Pool().IsAuthorizedAsync(address));
    }

    /// <inheritdoc />
    public override async Task<Proto.ListWorkersReply> ListWorkers(Proto.ListWorkersRequest request, ServerCallContext context)
    {
        var size = request.PageSize == 0 ? 100 : Require.Range(request.PageSize, 1, 1000, "page_size");
        var filter = (WorkerState)(int)Require.Defined(request.State, "state");
        Address? after = string.IsNullOrEmpty(request.PageToken) ? null : Require.Address(request.PageToken, "page_token");
        var pool = grains.Pool();
        var all = (await pool.ListWorkersAsync()).Select(a => a.ToLowerHex()).Order(StringComparer.Ordinal).ToList();
        var start = after is { } a ? all.FindIndex(x => string.CompareOrdinal(x, a.ToLowerHex()) > 0) : 0;
        var reply = new Proto.ListWorkersReply { Total = all.Count };
        if (start < 0)
        {
            return reply;
        }

        var i = start;
        while (i < all.Count && reply.Workers.Count < size)
        {
            var batch = all.Skip(i).Take(size - reply.Workers.Count).ToList();
            i += batch.Count;
            var views = await Task.WhenAll(batch.Select(x => grains.Worker(Address.Parse(x)).GetViewAsync()));
            var authorized = await Task.WhenAll(batch.Select(x => pool.IsAuthorizedAsync(Address.Parse(x))));
            for (var k = 0; k < views.Length; k++)
            {
                if (filter == WorkerState.Unknown || views[k].State == filter)
                {
                    reply.Workers.Add(AdminMapping.ToProto(views[k], authorized[k]));
                }
            }
        }

        reply.NextPageToken = i < all.Count ? all[i - 1] : string.Empty;
        return reply;
    }

    /// <inheritdoc />
    public override async Task<Proto.SubmitDealReply> SubmitDeal(Proto.SubmitDealRequest request, ServerCallContext context)
    {
        var spec = AdminMapping.ToSpec(request.Deal, time.GetUtcNow());
        await Registry.DealAssets.CheckAsync(grains, spec, Workers.SessionBinding.Of(options.Value).Pool);
        var result = await grains.Deal(spec.DealId).CreateAsync(spec);
        if (!result.Accepted)
        {
            throw Require.Invalid($"deal refused: {string.Join("; ", result.Errors)}");
        }

        if (result.Created)
        {
            sessions.WakeAll(); // idle workers on this silo look for the new tasks now, not at their next slow poll
        }

        return new Proto.SubmitDealReply { DealId = result.DealId.ToString(), Created = result.Created };
    }

    /// <inheritdoc />
    public override async Task<Proto.GetDealReply> GetDeal(Proto.GetDealRequest request, ServerCallContext context)
    {
        var dealId = Require.Hash(request.DealId, "deal_id");
        var size = Require.Range(request.PageSize, 0, 500, "page_size");
        var offset = 0;
        if (request.PageToken.Length > 0 && (!int.TryParse(request.PageToken, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            throw Require.Invalid($"page_token: \"{request.PageToken}\" is not a token this server issued (use next_page_token)");
        }

        var view = await KnownDealAsync(dealId);
        var reply = new Proto.GetDealReply { Deal = AdminMapping.ToProto(view) };
        var end = Math.Min(view.BotSize, offset + size);
        var indices = Enumerable.Range(offset, Math.Max(0, end - offset)).Select(o => view.BotFirst + o).ToList();
        reply.Tasks.AddRange(await TasksAsync(dealId, indices, context.CancellationToken));
        reply.NextPageToken = size > 0 && end < view.BotSize ? end.ToString(CultureInfo.InvariantCulture) : string.Empty;
        return reply;
    }

    /// <inheritdoc />
    public override async Task WatchDeal(Proto.WatchDealRequest request, IServerStreamWriter<Proto.TaskEvent> responseStream, ServerCallContext context)
    {
        var dealId = Require.Hash(request.DealId, "deal_id");
        var view = await KnownDealAsync(dealId);
        var watcher = new DealWatcher(grains, time, dealId, view);
        try
        {
            await watcher.RunAsync(responseStream, options.Value.WatchInterval, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // the watcher went away: an ordinary end of a watch, not an error
        }
    }

    /// <inheritdoc />
    public override async Task DownloadResult(Proto.DownloadResultRequest request, IServerStreamWriter<Proto.ResultData> responseStream, ServerCallContext context)
    {
        var taskId = Require.Hash(request.TaskId, "task_id");
        var cancellationToken = context.CancellationToken;
        var stored = await BoundResultAsync(taskId, cancellationToken);
        if (stored is { ExpiredAt: not null })
        {
            throw Require.NotFound(ResultRetentionService.ExpiredMessage(stored, resultsOptions.Value.Retention));
        }

        await using var stream = stored is null ? null : await results.OpenAsync(taskId, cancellationToken);
        if (stored is null || stream is null)
        {
            throw Require.NotFound($"task {taskId} has no result archive (none uploaded, or the task did not complete)");
        }

        // A chunk and its metadata stay well inside the configured message size.
        var buffer = new byte[Math.Min(ResultChunkBytes, options.Value.MaxMessageBytes / 2)];
        var first = true;
        int read;
        do
        {
            read = await stream.ReadAsync(buffer, cancellationToken);
            var chunk = new Proto.ResultData { Data = ByteString.CopyFrom(buffer, 0, read) };
            if (first)
            {
                chunk.Size = stored.Size;
                chunk.Sha256 = stored.Sha256.ToString();
                chunk.Worker = stored.Worker.ToLowerHex();
                chunk.ContentType = stored.ContentType;
                chunk.Encryption = stored.Encryption;
                chunk.ResultDigest = stored.ResultDigest.ToString();
                first = false;
            }

            if (read > 0 || chunk.Size == 0)
            {
                await responseStream.WriteAsync(chunk, cancellationToken);
            }
        }
        while (read > 0);
    }

    internal async Task<List<Proto.TaskInfo>> TasksAsync(Hash32 dealId, IReadOnlyList<long> indices, CancellationToken cancellationToken)
    {
        var ids = indices.Select(i => ProtocolIds.TaskId(dealId, (ulong)i)).ToList();
        var views = await Task.WhenAll(ids.Select(id => grains.Task(id).GetViewAsync()));
        var stored = await Task.WhenAll(ids.Select(id => results.FindAsync(id, cancellationToken)));
        return [.. ids.Select((id, k) => AdminMapping.ToProto(id, indices[k], views[k], stored[k] is { ExpiredAt: null } && ResultUploadRules.IsBound(views[k].Status)))];
    }

    /// <summary>
    /// The task's result, only once the task COMPLETED: an archive uploaded while it was revealing is a
    /// candidate until then, and is dropped here if the task FAILED instead.
    /// </summary>
    private async Task<StoredResult?> BoundResultAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var stored = await results.FindAsync(taskId, cancellationToken);
        if (stored is null)
        {
            return null;
        }

        var status = (await grains.Task(taskId).GetViewAsync()).Status;
        if (status == Orchestrator.Domain.Tasks.TaskStatus.Failed)
        {
            await results.DropAsync(taskId, cancellationToken);
        }

        return ResultUploadRules.IsBound(status) ? stored : null;
    }

    private async Task<WorkerView> KnownWorkerAsync(Address address)
    {
        var view = await grains.Worker(address).GetViewAsync();
        return view.State == WorkerState.Unknown
            ? throw Require.NotFound($"worker {address.ToLowerHex()} never registered with this pool")
            : view;
    }

    private async Task<DealView> KnownDealAsync(Hash32 dealId)
    {
        var view = await grains.Deal(dealId).GetViewAsync();
        return view.Exists ? view : throw Require.NotFound($"deal {dealId} is unknown to this pool");
    }

    private static List<Address> Addresses(IReadOnlyList<string> addresses)
    {
        Require.Count(addresses, 1, 1000, "addresses");
        return [.. addresses.Select((a, i) => Require.Address(a, $"addresses[{i}]")).Distinct()];
    }
}
