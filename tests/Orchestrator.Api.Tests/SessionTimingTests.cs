using System.Security.Cryptography;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using DomainWorkerState = Orchestrator.Domain.Workers.WorkerState;

namespace Orchestrator.Api.Tests;

/// <summary>
/// Worker sessions at the moments where timing decides, over real gRPC: a command pushed as the session
/// attaches, a command queued while the grain had no observer, a worker that stays connected and silent.
/// </summary>
public sealed class SessionTimingTests(ProbedApiHost host) : IClassFixture<ProbedApiHost>
{
    [Fact]
    public async Task Welcome_comes_before_a_command_the_grain_pushes_the_moment_the_session_attaches()
    {
        var key = await AuthorizedKeyAsync();
        var pushed = new Hash32(RandomNumberGenerator.GetBytes(32));
        host.Probe.PushOnNextAttach(new CancelCommand(pushed, "pushed at the attach"));

        await using var worker = await TestWorker.ConnectAsync(host.Workers, key, heartbeats: false);
        await worker.NextAsync(m => m.Cancel?.TaskId == pushed.ToString());

        var order = worker.Seen.Select(m => m.BodyCase).ToList();
        Assert.Equal([ServerMessage.BodyOneofCase.Challenge, ServerMessage.BodyOneofCase.Welcome, ServerMessage.BodyOneofCase.Cancel], order.Take(3));
    }

    [Fact]
    public async Task A_reveal_request_queued_while_the_grain_had_no_observer_reaches_a_worker_with_no_free_slot_at_its_next_heartbeat()
    {
        var (firstKey, secondKey) = (await AuthorizedKeyAsync(), await AuthorizedKeyAsync());
        await using var first = await TestWorker.ConnectAsync(host.Workers, firstKey, TestWorker.Standard(slots: 1), heartbeats: false);
        await using var second = await TestWorker.ConnectAsync(host.Workers, secondKey, TestWorker.Standard(slots: 1), heartbeats: false);
        var deal = Deals.Standard(botSize: 1, trust: 3);
        await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
        var a1 = (await first.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment;
        var a2 = (await second.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment;
        var digest = Deals.Digest(a1.TaskId);
        Assert.True((await first.ContributeAsync(a1.TaskId, digest)).Accepted);

        // The first worker is busy elsewhere (no free slot), so its session does not poll by itself. An
        // early reveal is refused and changes nothing; its answer shows the heartbeat before it was read.
        await first.HeartbeatAsync(freeSlots: 0);
        Assert.False((await first.RevealAsync(a1.TaskId, digest)).Accepted);

        // Its worker grain is reactivated without the session's observer when consensus asks it to reveal.
        var grain = host.Grains.Worker(first.Address);
        await grain.AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        Assert.True((await second.ContributeAsync(a2.TaskId, digest)).RevealNow);
        await host.Probe.RevealRequestedAsync(grain).WaitAsync(TimeSpan.FromSeconds(20));

        // The next heartbeat attaches the observer again, and the queued request goes out at once.
        await first.HeartbeatAsync(freeSlots: 0);
        var request = (await first.NextAsync(m => m.RevealRequest?.TaskId == a1.TaskId, timeoutSeconds: 10)).RevealRequest;
        Assert.NotNull(request.RevealDeadline);
    }

    [Fact]
    public async Task A_worker_that_stays_connected_but_silent_has_its_session_ended_at_the_idle_timeout_and_is_not_declared_lost()
    {
        var key = await AuthorizedKeyAsync();
        await using var worker = await TestWorker.ConnectAsync(host.Workers, key, heartbeats: false);
        Assert.Equal(ProbedApiHost.SessionIdleTimeout, worker.Welcome!.HeartbeatTimeout.ToTimeSpan());

        // Just inside the timeout the session still answers (a call is not a heartbeat: it does not count as life).
        host.SessionTime.Advance(ProbedApiHost.SessionIdleTimeout - TimeSpan.FromSeconds(1));
        var unknown = new Hash32(RandomNumberGenerator.GetBytes(32)).ToString();
        Assert.False((await worker.RevealAsync(unknown, new Hash32(RandomNumberGenerator.GetBytes(32)))).Accepted);

        host.SessionTime.Advance(TimeSpan.FromSeconds(2));
        var error = await worker.EndErrorAsync(timeoutSeconds: 20);
        Assert.Equal(StatusCode.DeadlineExceeded, error?.StatusCode);
        Assert.Contains("SessionIdleTimeout", error!.Status.Detail, StringComparison.Ordinal);

        // The session only closed its own stream: loss stays the worker grain's call (an hour away here).
        Assert.Equal(DomainWorkerState.Active, (await host.Grains.Worker(worker.Address).GetViewAsync()).State);
    }

    private async Task<byte[]> AuthorizedKeyAsync()
    {
        var key = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        return key;
    }
}
