using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Results;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>The app's output reaches the requester: the agent keeps its tail and uploads it, over real gRPC.</summary>
public sealed class LogsUploadTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly AgentHarness _agent = new();

    [Fact]
    public async Task A_failed_app_uploads_the_tail_of_its_output_before_giving_the_replicate_back()
    {
        const int Tail = 4096;
        var task = AgentHarness.Assignment(21, parameters: "fail");
        GiveBack? gaveBack = null;
        var logsFirst = false;
        FakePool? pool = null;
        pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = task });
            var call = await s.NextAsync(WorkerMessage.BodyOneofCase.GiveBack);
            logsFirst = pool!.LogsUploads.ContainsKey(task.TaskId);
            gaveBack = call.GiveBack;
            await s.AnswerAsync(call);
            await s.HoldAsync();
        });
        await using var running = pool;

        var run = _agent.RunAsync(_agent.Options(pool.Url, o => o.LogTailBytes = Tail));
        await Eventually.UntilAsync("the give-back", () => gaveBack is not null, Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.True(logsFirst, "the logs were uploaded before the give-back");
        var (header, bytes) = pool.LogsUploads[task.TaskId];
        Assert.Equal(string.Empty, header.Encryption);
        Assert.True(Signature.TryFromBytes65(header.Signature.Span, out var signature, out _));
        Assert.True(EthereumMessage.TryRecover(SignedMessages.Logs(Hash32.Parse(task.TaskId).ToArray(), SHA256.HashData(bytes)), signature!, out var signer));
        Assert.Equal(_agent.Identity.Address, signer);

        var (stdout, stderr) = LogsPackage.Unpack(bytes);
        Assert.InRange(stdout.Length, Tail - 8, Tail); // 20000 lines, about 108 KB: only the last 4 KiB (whole lines) is kept
        Assert.EndsWith("19999\n20000\n", Encoding.UTF8.GetString(stdout), StringComparison.Ordinal);
        Assert.Equal("boom: the input is corrupt\n", Encoding.UTF8.GetString(stderr));
        Assert.Empty(pool.Uploads);
    }

    [Fact]
    public async Task A_winner_uploads_its_logs_after_its_result_encrypted_for_the_beneficiary()
    {
        var beneficiary = Secp256k1.NewPrivateKey();
        var task = AgentHarness.Assignment(22);
        task.BeneficiaryKey = ByteString.CopyFrom(Secp256k1.PublicKeyBytes(beneficiary));
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = task });
            await s.AnswerAsync(await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution), revealNow: true);
            await s.AnswerAsync(await s.NextAsync(WorkerMessage.BodyOneofCase.Reveal));
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        await Eventually.UntilAsync("the logs upload", () => pool.LogsUploads.ContainsKey(task.TaskId), Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.True(pool.Uploads.ContainsKey(task.TaskId));
        var (header, bytes) = pool.LogsUploads[task.TaskId];
        Assert.Equal(ResultPrivacy.EciesLabel, header.Encryption);
        var (stdout, stderr) = LogsPackage.Unpack(Ecies.Decrypt(beneficiary, bytes));
        Assert.Empty(stdout); // the app writes its result to a file, nothing to stdout
        Assert.Empty(stderr);
    }

    [Fact]
    public void The_tail_keeps_the_last_lines_within_its_capacity()
    {
        var tail = new LogTail(10);
        foreach (var line in new[] { "one", "two", "three", "four" })
        {
            tail.Add(line);
        }

        Assert.Equal("four\n", Encoding.UTF8.GetString(tail.ToArray()));
        tail.Add(null);
        tail.Add(new string('x', 25));
        Assert.Equal(new string('x', 9) + "\n", Encoding.UTF8.GetString(tail.ToArray()));
    }

    public void Dispose() => _agent.Dispose();
}
