using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Results;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>
/// The agent on a callback deal, over real gRPC against a scripted server and a real app process: the
/// result digest is keccak256 of the app's computed.json callback-data, and the reveal carries the bytes.
/// </summary>
public sealed class CallbackAgentTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly string Callback = "0x00000000000000000000000000000000000000cb";
    private static readonly byte[] Data = "price"u8.ToArray(); // the harness app writes "callback-data": "0x7072696365"
    private readonly AgentHarness _agent = new();

    [Fact]
    public async Task A_callback_task_contributes_and_reveals_keccak_of_the_apps_callback_data_with_the_bytes()
    {
        var task = AgentHarness.Assignment(6, "callback");
        task.Callback = Callback;
        var contributed = new TaskCompletionSource<Contribution>(TaskCreationOptions.RunContinuationsAsynchronously);
        var revealed = new TaskCompletionSource<Reveal>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = task });
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution);
            contributed.SetResult(contribution.Contribution);
            await s.AnswerAsync(contribution, revealNow: true);
            var reveal = await s.NextAsync(WorkerMessage.BodyOneofCase.Reveal);
            await s.AnswerAsync(reveal);
            revealed.SetResult(reveal.Reveal);
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        var reveal = await revealed.Task.WaitAsync(Deadline);
        var contribution = await contributed.Task.WaitAsync(Deadline);
        await _agent.StopAsync();
        await run.WaitAsync(Deadline);

        var taskId = Hash32.Parse(task.TaskId);
        var digest = new Hash32(Keccak256.Hash(Data));
        Assert.Equal(ProtocolIds.ResultHash(taskId, digest).ToString(), contribution.ResultHash);
        Assert.Equal(digest.ToString(), reveal.ResultDigest);
        Assert.NotNull(reveal.Callback);
        Assert.Equal(Data, reveal.Callback.Data.ToByteArray());
    }

    [Fact]
    public async Task The_same_app_on_a_deal_without_callback_reveals_its_archive_digest_and_no_callback_data()
    {
        var task = AgentHarness.Assignment(8, "callback");
        var revealed = new TaskCompletionSource<Reveal>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = task });
            await s.AnswerAsync(await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution), revealNow: true);
            var reveal = await s.NextAsync(WorkerMessage.BodyOneofCase.Reveal);
            await s.AnswerAsync(reveal);
            revealed.SetResult(reveal.Reveal);
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        var reveal = await revealed.Task.WaitAsync(Deadline);
        await _agent.StopAsync();
        await run.WaitAsync(Deadline);

        Assert.NotEqual(new Hash32(Keccak256.Hash(Data)).ToString(), reveal.ResultDigest);
        Assert.Null(reveal.Callback);
    }

    [Fact]
    public async Task A_callback_task_whose_app_writes_no_callback_data_is_given_back_naming_the_rule()
    {
        var task = AgentHarness.Assignment(7);
        task.Callback = Callback;
        var gaveBack = new TaskCompletionSource<GiveBack>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = task });
            var giveBack = await s.NextAsync(WorkerMessage.BodyOneofCase.GiveBack);
            await s.AnswerAsync(giveBack);
            gaveBack.SetResult(giveBack.GiveBack);
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        var given = await gaveBack.Task.WaitAsync(Deadline);
        await _agent.StopAsync();
        await run.WaitAsync(Deadline);

        Assert.Equal(task.TaskId, given.TaskId);
        Assert.Contains("must write callback-data", given.Reason, StringComparison.Ordinal);
        Assert.Equal(1, _agent.RunCount);
    }

    public void Dispose() => _agent.Dispose();
}
