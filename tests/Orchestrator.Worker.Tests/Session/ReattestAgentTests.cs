using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>The agent answers a ReattestRequest over real gRPC with a new quote from the same enclave session.</summary>
public sealed class ReattestAgentTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly AgentHarness _agent = new();

    public void Dispose() => _agent.Dispose();

    [Fact]
    public async Task A_tee_agent_answers_a_reattestation_request_with_evidence_binding_its_session_key_and_the_new_nonce()
    {
        var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var done = new TaskCompletionSource<(Proof Proof, Reattestation Answer)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { ReattestRequest = new ReattestRequest { Nonce = ByteString.CopyFrom(nonce), ExpiresAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(2)) } });
            var answer = await s.NextAsync(WorkerMessage.BodyOneofCase.Reattestation);
            done.SetResult((s.Proof, answer.Reattestation));
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url, o =>
        {
            o.Capabilities.Tee = Domain.Deals.TeeKind.Sgx;
            o.SimulatedEnclave = true;
        }));
        var (proof, answer) = await done.Task.WaitAsync(Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        Assert.Equal(nonce, answer.Nonce.ToByteArray());
        Assert.Equal(proof.Evidence.EnclavePublicKey, answer.Evidence.EnclavePublicKey); // the same session key the secret service seals to
        Assert.NotEqual(proof.Evidence.Quote, answer.Evidence.Quote);
        var verified = new SimulatedEvidenceVerifier().Verify(answer.Evidence.Quote.Span, DateTimeOffset.UtcNow);
        Assert.True(verified.IsVerified, verified.FailureMessage);
        Assert.True(ReportDataBinding.Matches(verified.ReportData.AsSpan(), answer.Evidence.EnclavePublicKey.Span, nonce));
    }

    [Fact]
    public async Task An_agent_without_tee_ignores_a_reattestation_request_and_keeps_its_session()
    {
        var done = new TaskCompletionSource<WorkerMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { ReattestRequest = new ReattestRequest { Nonce = ByteString.CopyFrom(new byte[32]) } });
            await s.SendAsync(new ServerMessage { Assignment = AgentHarness.Assignment(1) });
            var contribution = await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution);
            await s.AnswerAsync(contribution);
            done.SetResult(contribution);
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        var contribution = await done.Task.WaitAsync(Deadline);
        await _agent.StopAsync();
        await run.WaitAsync(Deadline);

        Assert.Equal(AgentHarness.Assignment(1).TaskId, contribution.Contribution.TaskId);
        Assert.Equal(1, pool.Connections); // the request did not break the session
    }
}
