using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Testing;
using WorkerTaskStatus = Orchestrator.Api.Worker.V1.TaskStatus;

namespace Orchestrator.Api.Tests;

/// <summary>
/// A task's result is bound to its consensus and written once, over real gRPC on loopback: only a
/// revealed winner uploads, only the consensus digest, and the first complete archive stays.
/// </summary>
[Collection("api")]
public sealed class ResultBindingTests(ApiHost host)
{
    [Fact]
    public async Task A_losing_workers_upload_is_refused_and_the_stored_bytes_stay_the_winners()
    {
        var good = RandomNumberGenerator.GetBytes(200_000);
        var bad = RandomNumberGenerator.GetBytes(200_000);
        await using var a = await ConnectAsync();
        await using var faulty = await ConnectAsync();
        var deal = Deals.Standard(botSize: 1, trust: 3);
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
        var taskId = (await a.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment.TaskId;
        await faulty.NextAsync(m => m.Assignment?.TaskId == taskId);
        Assert.True((await a.ContributeAsync(taskId, ResultUploads.Sha256(good))).Accepted);
        Assert.True((await faulty.ContributeAsync(taskId, ResultUploads.Sha256(bad))).Accepted);

        // 2 against 2 out of 5: two more agreeing workers make consensus (8·3 > 11·2).
        await using var workerC = await ConnectAsync();
        await using var workerD = await ConnectAsync();
        await workerC.NextAsync(m => m.Assignment?.TaskId == taskId);
        await workerD.NextAsync(m => m.Assignment?.TaskId == taskId);
        Assert.True((await workerC.ContributeAsync(taskId, ResultUploads.Sha256(good))).Accepted);
        Assert.True((await workerD.ContributeAsync(taskId, ResultUploads.Sha256(good))).Accepted);

        // Before its reveal a winner may not upload; after it, its archive is the task's candidate.
        var early = await Assert.ThrowsAsync<RpcException>(() => ResultUploads.UploadAsync(host.Workers, workerC, taskId, good));
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Contains("rule: a winner uploads after its reveal is accepted", early.Status.Detail, StringComparison.Ordinal);
        Assert.True((await a.RevealAsync(taskId, ResultUploads.Sha256(good))).Accepted);
        var candidate = await ResultUploads.UploadAsync(host.Workers, a, taskId, good);
        Assert.False(candidate.AlreadyStored);
        Assert.Null(await ResultUploads.DownloadAsync(host.Admin, taskId)); // bound only when the task completes

        Assert.True((await workerC.RevealAsync(taskId, ResultUploads.Sha256(good))).Accepted);
        Assert.Equal(WorkerTaskStatus.Completed, (await workerD.RevealAsync(taskId, ResultUploads.Sha256(good))).TaskStatus);
        var before = ResultUploads.Sha256((await ResultUploads.DownloadAsync(host.Admin, taskId))!);
        Assert.Equal(ResultUploads.Sha256(good), before);

        // The loser offers its own archive, then a copy of the winners': both refused, naming the rule.
        foreach (var offered in new[] { bad, good })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => ResultUploads.UploadAsync(host.Workers, faulty, taskId, offered));
            Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
            Assert.Contains("rule: only a revealed winner uploads", refused.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Equal(before, ResultUploads.Sha256((await ResultUploads.DownloadAsync(host.Admin, taskId))!));
        var view = await host.Admin.GetDealAsync(new GetDealRequest { DealId = deal.DealId, PageSize = 10 });
        Assert.True(Assert.Single(view.Tasks).HasResult);
    }

    [Fact]
    public async Task Two_winners_uploading_at_once_leave_exactly_one_archive()
    {
        var archive = RandomNumberGenerator.GetBytes(900_000);
        var digest = ResultUploads.Sha256(archive);
        await using var first = await ConnectAsync();
        await using var second = await ConnectAsync();
        var deal = Deals.Standard(botSize: 1, trust: 3);
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
        var taskId = (await first.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment.TaskId;
        await second.NextAsync(m => m.Assignment?.TaskId == taskId);
        foreach (var worker in new[] { first, second })
        {
            Assert.True((await worker.ContributeAsync(taskId, digest)).Accepted);
        }

        Assert.True((await first.RevealAsync(taskId, digest)).Accepted);
        Assert.Equal(WorkerTaskStatus.Completed, (await second.RevealAsync(taskId, digest)).TaskStatus);

        // Both headers first, then the chunks interleaved: both uploads are in flight together.
        using var callA = host.Workers.UploadResult();
        using var callB = host.Workers.UploadResult();
        await callA.RequestStream.WriteAsync(ResultUploads.Header(first, taskId, archive));
        await callB.RequestStream.WriteAsync(ResultUploads.Header(second, taskId, archive));
        foreach (var chunk in archive.Chunk(ResultUploads.ChunkBytes))
        {
            await callA.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(chunk) });
            await callB.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(chunk) });
        }

        await callA.RequestStream.CompleteAsync();
        await callB.RequestStream.CompleteAsync();
        var replies = await Task.WhenAll(callA.ResponseAsync, callB.ResponseAsync);

        Assert.Single(replies, r => !r.AlreadyStored);
        Assert.Equal(replies[0].Location, replies[1].Location);
        Assert.All(replies, r => Assert.Equal(digest.ToString(), r.Sha256));
        Assert.Equal(["archive.bin", "result.json"], Directory.GetFiles(Path.Combine(host.ResultDirectory, taskId)).Select(Path.GetFileName).Order());
        Assert.Empty(StagingFor(taskId));
        Assert.Equal(archive, await ResultUploads.DownloadAsync(host.Admin, taskId));
    }

    [Fact]
    public async Task A_download_after_the_retention_sweep_is_not_found_and_says_when_the_result_expired()
    {
        var archive = RandomNumberGenerator.GetBytes(50_000);
        var (worker, taskId) = await WinAloneAsync(archive);
        await using var _ = worker;
        await ResultUploads.UploadAsync(host.Workers, worker, taskId, archive);
        Assert.Equal(archive, await ResultUploads.DownloadAsync(host.Admin, taskId));

        // The sweep as the silo's would run it 31 days later (the host keeps the default 30 days).
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(31));
        var store = new Orchestrator.Api.Results.FileSystemResultStore(Microsoft.Extensions.Options.Options.Create(new Orchestrator.Api.Hosting.ApiOptions { ResultDirectory = host.ResultDirectory }), later);
        Assert.True((await store.DeleteExpiredAsync(later.GetUtcNow() - TimeSpan.FromDays(30), 1000, CancellationToken.None)).Results >= 1);

        var expired = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var download = host.Admin.DownloadResult(new DownloadResultRequest { TaskId = taskId });
            await download.ResponseStream.MoveNext(CancellationToken.None);
        });
        Assert.Equal(StatusCode.NotFound, expired.StatusCode);
        Assert.Equal($"the result of task {taskId} expired on {later.GetUtcNow():yyyy-MM-dd} (retention 30 days)", expired.Status.Detail);
        Assert.False(File.Exists(Path.Combine(host.ResultDirectory, taskId, "archive.bin")));
    }

    [Fact]
    public async Task An_upload_cancelled_mid_stream_leaves_nothing_stored_and_the_winner_uploads_again()
    {
        var archive = RandomNumberGenerator.GetBytes(900_000);
        var (worker, taskId) = await WinAloneAsync(archive);
        await using var _ = worker;

        using (var cancel = new CancellationTokenSource())
        {
            using var call = host.Workers.UploadResult(cancellationToken: cancel.Token);
            await call.RequestStream.WriteAsync(ResultUploads.Header(worker, taskId, archive));
            foreach (var chunk in archive.Chunk(ResultUploads.ChunkBytes).Take(10))
            {
                await call.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(chunk) });
            }

            // The worker dies mid-upload: its half archive must never become the result.
            await Eventually.UntilAsync("the server stages the upload", () => StagingFor(taskId).Any());
            await cancel.CancelAsync();
            var aborted = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
            Assert.Equal(StatusCode.Cancelled, aborted.StatusCode);
        }

        await Eventually.UntilAsync("the cancelled upload's staging is removed", () => !StagingFor(taskId).Any());
        Assert.False(Directory.Exists(Path.Combine(host.ResultDirectory, taskId)));
        Assert.Null(await ResultUploads.DownloadAsync(host.Admin, taskId));

        var reply = await ResultUploads.UploadAsync(host.Workers, worker, taskId, archive);
        Assert.False(reply.AlreadyStored);
        Assert.Equal(archive, await ResultUploads.DownloadAsync(host.Admin, taskId));
    }

    [Fact]
    public async Task A_second_upload_by_the_same_winner_is_a_no_op_and_another_archive_never_replaces_the_first()
    {
        var archive = RandomNumberGenerator.GetBytes(100_000);
        var (worker, taskId) = await WinAloneAsync(archive);
        await using var _ = worker;
        var first = await ResultUploads.UploadAsync(host.Workers, worker, taskId, archive);
        Assert.False(first.AlreadyStored);
        var metadata = Path.Combine(host.ResultDirectory, taskId, "result.json");
        var written = File.GetLastWriteTimeUtc(metadata);

        var again = await ResultUploads.UploadAsync(host.Workers, worker, taskId, archive);
        Assert.True(again.AlreadyStored);
        Assert.Equal(first.Location, again.Location);
        Assert.Equal(written, File.GetLastWriteTimeUtc(metadata));

        var other = RandomNumberGenerator.GetBytes(100_000);
        var refused = await Assert.ThrowsAsync<RpcException>(() => ResultUploads.UploadAsync(host.Workers, worker, taskId, other));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("rule: a task's result is stored once and never replaced", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(archive, await ResultUploads.DownloadAsync(host.Admin, taskId));
    }

    [Fact]
    public async Task An_archive_is_stored_only_when_its_result_digest_is_the_consensus_digest()
    {
        // The golden archive whose computed.json names a deterministic-output-path: its SHA-256 differs
        // from its result digest, which covers only that path; the server recomputes it from the upload.
        var deterministic = File.ReadAllBytes(Repository.PathOf("docs", "golden", "archives", "deterministic-output.tar"));
        var consensus = Hash32.Parse("0x68576b2388b794f4a8e7e8ea2cf3c1804556c29ed76c6c3eabfbf07c7add0c41");
        var (worker, taskId) = await WinAloneAsync(consensus);
        await using var _ = worker;

        var wrong = File.ReadAllBytes(Repository.PathOf("docs", "golden", "archives", "tree.tar"));
        var refused = await Assert.ThrowsAsync<RpcException>(() => ResultUploads.UploadAsync(host.Workers, worker, taskId, wrong));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains($"is not task {taskId}'s consensus digest {consensus}", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("rule: the stored result is the archive the consensus agreed on", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Null(await ResultUploads.DownloadAsync(host.Admin, taskId));
        Assert.Empty(StagingFor(taskId));

        var reply = await ResultUploads.UploadAsync(host.Workers, worker, taskId, deterministic);
        Assert.False(reply.AlreadyStored);
        Assert.NotEqual(consensus.ToString(), reply.Sha256);
        Assert.Equal(deterministic, await ResultUploads.DownloadAsync(host.Admin, taskId));
    }

    [Fact]
    public async Task A_revoked_winner_cannot_upload()
    {
        var archive = RandomNumberGenerator.GetBytes(10_000);
        var (worker, taskId) = await WinAloneAsync(archive);
        await using var _ = worker;
        await host.Admin.RevokeWorkersAsync(new RevokeWorkersRequest { Addresses = { worker.Address.ToLowerHex() } });

        var refused = await Assert.ThrowsAsync<RpcException>(() => ResultUploads.UploadAsync(host.Workers, worker, taskId, archive));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("not an authorized worker", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Null(await ResultUploads.DownloadAsync(host.Admin, taskId));
    }

    /// <summary>A trust-1 task won by one worker whose digest is the SHA-256 of <paramref name="archive"/>.</summary>
    private Task<(TestWorker Worker, string TaskId)> WinAloneAsync(byte[] archive) => WinAloneAsync(ResultUploads.Sha256(archive));

    /// <summary>A trust-1 task won by one worker that revealed <paramref name="digest"/>.</summary>
    private async Task<(TestWorker Worker, string TaskId)> WinAloneAsync(Hash32 digest)
    {
        var worker = await ConnectAsync();
        var deal = Deals.Standard();
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
        var taskId = (await worker.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment.TaskId;
        Assert.True((await worker.ContributeAsync(taskId, digest)).Accepted);
        Assert.Equal(WorkerTaskStatus.Completed, (await worker.RevealAsync(taskId, digest)).TaskStatus);
        return (worker, taskId);
    }

    private async Task<TestWorker> ConnectAsync(byte[]? key = null)
    {
        key ??= Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        return await TestWorker.ConnectAsync(host.Workers, key, TestWorker.Standard(slots: 1));
    }

    private IEnumerable<string> StagingFor(string taskId)
    {
        var staging = Path.Combine(host.ResultDirectory, ".partial");
        return Directory.Exists(staging) ? Directory.EnumerateDirectories(staging, taskId + ".*") : [];
    }
}
