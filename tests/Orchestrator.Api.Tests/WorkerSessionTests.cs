using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using AdminTaskStatus = Orchestrator.Api.Admin.V1.TaskStatus;
using WorkerTaskStatus = Orchestrator.Api.Worker.V1.TaskStatus;

namespace Orchestrator.Api.Tests;

/// <summary>Worker sessions end to end over real gRPC: handshake, pushed work, contribution, reveal, upload, resume.</summary>
[Collection("api")]
public sealed class WorkerSessionTests(ApiHost host)
{
    [Fact]
    public async Task A_worker_runs_a_task_from_hello_to_completion_and_uploads_its_result()
    {
        var key = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        await using var worker = await TestWorker.ConnectAsync(host.Workers, key);
        Assert.NotEmpty(worker.Welcome!.SessionId);
        Assert.Empty(worker.Welcome.Resumed);

        var deal = Deals.Standard();
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
        var assignment = (await worker.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment;
        Assert.Equal("echo hello", assignment.Params);
        Assert.False(assignment.TeeFastPath);
        Assert.Empty(assignment.SecretIds);

        var archive = RandomNumberGenerator.GetBytes(300_000);
        var digest = new Hash32(SHA256.HashData(archive));
        var contributed = await worker.ContributeAsync(assignment.TaskId, digest);
        Assert.True(contributed.Accepted, contributed.Message);
        Assert.True(contributed.RevealNow); // trust 1: one contribution is consensus
        var revealed = await worker.RevealAsync(assignment.TaskId, digest);
        Assert.True(revealed.Accepted, revealed.Message);
        Assert.Equal(WorkerTaskStatus.Completed, revealed.TaskStatus);

        var reply = await UploadAsync(worker, assignment.TaskId, archive);
        Assert.Equal(archive.Length, reply.Size);

        var view = await host.Admin.GetDealAsync(new GetDealRequest { DealId = deal.DealId, PageSize = 10 });
        Assert.Equal(1, view.Deal.Completed);
        var task = Assert.Single(view.Tasks);
        Assert.Equal(AdminTaskStatus.Completed, task.Status);
        Assert.Equal(digest.ToString(), task.ResultDigest);
        Assert.True(task.HasResult);

        using var download = host.Admin.DownloadResult(new DownloadResultRequest { TaskId = assignment.TaskId });
        var bytes = new List<byte>();
        await foreach (var chunk in download.ResponseStream.ReadAllAsync())
        {
            bytes.AddRange(chunk.Data);
        }

        Assert.Equal(archive, bytes.ToArray());
    }

    [Fact]
    public async Task Consensus_on_trust_3_pushes_a_reveal_request_to_the_first_contributor()
    {
        var keys = new[] { Secp256k1.NewPrivateKey(), Secp256k1.NewPrivateKey() };
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { keys.Select(k => Secp256k1.AddressOf(k).ToLowerHex()) } });
        await using var first = await TestWorker.ConnectAsync(host.Workers, keys[0], TestWorker.Standard(slots: 1));
        await using var second = await TestWorker.ConnectAsync(host.Workers, keys[1], TestWorker.Standard(slots: 1));
        var deal = Deals.Standard(botSize: 1, trust: 3);
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });

        var a1 = (await first.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment;
        var a2 = (await second.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment;
        Assert.Equal(a1.TaskId, a2.TaskId);
        var digest = Deals.Digest(a1.TaskId);
        var c1 = await first.ContributeAsync(a1.TaskId, digest);
        Assert.True(c1.Accepted, c1.Message);
        Assert.False(c1.RevealNow);
        var c2 = await second.ContributeAsync(a2.TaskId, digest);
        Assert.True(c2.RevealNow, c2.Message);

        // The first contributor learns of consensus by a push, not by asking.
        var request = (await first.NextAsync(m => m.RevealRequest?.TaskId == a1.TaskId)).RevealRequest;
        Assert.NotNull(request.RevealDeadline);
        Assert.True((await first.RevealAsync(a1.TaskId, digest)).Accepted);
        var last = await second.RevealAsync(a2.TaskId, digest);
        Assert.True(last.Accepted, last.Message);
        Assert.Equal(WorkerTaskStatus.Completed, last.TaskStatus);
    }

    [Fact]
    public async Task A_dropped_session_is_resumed_with_its_replicate_and_never_pushes_it_twice()
    {
        var key = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        var deal = Deals.Standard(botSize: 1);
        Worker.V1.Assignment assignment;
        var firstSession = await TestWorker.ConnectAsync(host.Workers, key, TestWorker.Standard(slots: 1));
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
        assignment = (await firstSession.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment;
        firstSession.Drop(); // the network breaks mid-task
        await firstSession.DisposeAsync();

        await using var resumed = await TestWorker.ConnectAsync(host.Workers, key, TestWorker.Standard(slots: 1), running: [assignment.TaskId]);
        var held = Assert.Single(resumed.Welcome!.Resumed);
        Assert.Equal(assignment.TaskId, held.TaskId);
        Assert.True(held.Resumed);
        Assert.NotEqual(firstSession.Welcome!.SessionId, resumed.Welcome.SessionId);

        var digest = Deals.Digest(assignment.TaskId);
        var contributed = await resumed.ContributeAsync(assignment.TaskId, digest);
        Assert.True(contributed.Accepted, contributed.Message);
        Assert.True((await resumed.RevealAsync(assignment.TaskId, digest)).Accepted);
        Assert.DoesNotContain(resumed.Seen, m => m.Assignment?.TaskId == assignment.TaskId);
        Assert.DoesNotContain(resumed.Seen, m => m.Cancel?.TaskId == assignment.TaskId);
    }

    [Fact]
    public async Task A_resumed_worker_is_told_to_cancel_what_it_no_longer_holds()
    {
        var key = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        var stale = new Hash32(RandomNumberGenerator.GetBytes(32)).ToString();
        await using var worker = await TestWorker.ConnectAsync(host.Workers, key, running: [stale]);
        var cancel = (await worker.NextAsync(m => m.Cancel is not null)).Cancel;
        Assert.Equal(stale, cancel.TaskId);
    }

    [Fact]
    public async Task A_newer_session_of_the_same_worker_ends_the_older_one_with_aborted()
    {
        var key = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        await using var older = await TestWorker.ConnectAsync(host.Workers, key);
        await using var newer = await TestWorker.ConnectAsync(host.Workers, key);
        Assert.Equal(StatusCode.Aborted, await older.EndStatusAsync());
    }

    [Fact]
    public async Task A_session_whose_worker_stops_heartbeating_ends_with_deadline_exceeded()
    {
        var key = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        await using var worker = await TestWorker.ConnectAsync(host.Workers, key, heartbeats: false);
        Assert.Equal(TimeSpan.FromSeconds(6), worker.Welcome!.HeartbeatTimeout.ToTimeSpan());
        var error = await worker.EndErrorAsync(timeoutSeconds: 30);
        Assert.Equal(StatusCode.DeadlineExceeded, error?.StatusCode);
        Assert.Contains("no heartbeat", error!.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_a_connected_worker_ends_its_session_with_permission_denied()
    {
        var key = Secp256k1.NewPrivateKey();
        var address = Secp256k1.AddressOf(key).ToLowerHex();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { address } });
        await using var worker = await TestWorker.ConnectAsync(host.Workers, key);
        await host.Admin.RevokeWorkersAsync(new RevokeWorkersRequest { Addresses = { address } });
        Assert.Equal(StatusCode.PermissionDenied, await worker.EndStatusAsync());
    }

    [Fact]
    public async Task Draining_a_connected_worker_pushes_drain_and_lists_it_as_draining()
    {
        var key = Secp256k1.NewPrivateKey();
        var address = Secp256k1.AddressOf(key).ToLowerHex();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { address } });
        await using var worker = await TestWorker.ConnectAsync(host.Workers, key);
        var info = await host.Admin.DrainWorkerAsync(new DrainWorkerRequest { Address = address });
        Assert.Equal(WorkerState.Draining, info.State);
        await worker.NextAsync(m => m.Drain is not null);
        var listed = await host.Admin.ListWorkersAsync(new ListWorkersRequest { State = WorkerState.Draining, PageSize = 1000 });
        Assert.Contains(listed.Workers, w => w.Address == address);
    }

    [Fact]
    public async Task Watching_a_deal_streams_its_task_events_until_it_is_finished()
    {
        var key = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        await using var worker = await TestWorker.ConnectAsync(host.Workers, key, TestWorker.Standard(slots: 2));
        var deal = Deals.Standard(botSize: 2);
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
        using var watch = host.Admin.WatchDeal(new WatchDealRequest { DealId = deal.DealId });
        var events = new List<TaskEvent>();
        var reading = Task.Run(async () =>
        {
            await foreach (var e in watch.ResponseStream.ReadAllAsync())
            {
                events.Add(e);
            }
        });

        for (var i = 0; i < 2; i++)
        {
            var a = (await worker.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment;
            var digest = Deals.Digest(a.TaskId);
            Assert.True((await worker.ContributeAsync(a.TaskId, digest)).Accepted);
            Assert.True((await worker.RevealAsync(a.TaskId, digest)).Accepted);
        }

        await reading.WaitAsync(TimeSpan.FromSeconds(20)); // the stream ends by itself once the deal is finished
        Assert.Equal(2, events.Count(e => e.Status == AdminTaskStatus.Completed));
        Assert.Equal(0, events[^1].Open);
    }

    private async Task<UploadResultReply> UploadAsync(TestWorker worker, string taskId, byte[] archive)
    {
        using var call = host.Workers.UploadResult();
        var sha = SHA256.HashData(archive);
        var signature = EthereumMessage.Sign(SignedMessages.Upload(Hash32.Parse(taskId).ToArray(), sha), worker.Key).ToBytes65();
        await call.RequestStream.WriteAsync(new ResultChunk
        {
            Header = new UploadHeader
            {
                TaskId = taskId,
                WorkerAddress = worker.Address.ToLowerHex(),
                Size = archive.Length,
                Sha256 = new Hash32(sha).ToString(),
                Signature = ByteString.CopyFrom(signature),
                ContentType = "application/octet-stream",
            },
        });
        foreach (var chunk in archive.Chunk(64 * 1024))
        {
            await call.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(chunk) });
        }

        await call.RequestStream.CompleteAsync();
        return await call;
    }
}
