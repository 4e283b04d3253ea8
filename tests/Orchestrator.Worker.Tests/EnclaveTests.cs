using Google.Protobuf.WellKnownTypes;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Simulation;
using Orchestrator.Worker.Execution;
using Orchestrator.Worker.Session;
using TeeKind = Orchestrator.Domain.Deals.TeeKind;

namespace Orchestrator.Worker.Tests;

public sealed class EnclaveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Theory]
    [InlineData(TeeKind.Sgx)]
    [InlineData(TeeKind.Tdx)]
    public void Simulated_evidence_verifies_and_binds_the_session_key_and_the_challenge(TeeKind tee)
    {
        using var enclave = new SimulatedEnclave(tee);
        using var session = enclave.OpenSession();
        var challenge = ReportDataBinding.NewChallenge();
        var now = DateTimeOffset.UtcNow;

        var evidence = session.Attest(challenge, now);

        Assert.True(SimulatedEvidence.IsSimulated(evidence));
        var verified = new SimulatedEvidenceVerifier([enclave.PlatformPublicKeyHex]).Verify(evidence, now);
        Assert.True(verified.IsVerified, verified.FailureMessage);
        Assert.Equal(64, session.PublicKey.Length);
        Assert.True(ReportDataBinding.Matches(verified.ReportData.AsSpan(), session.PublicKey, challenge));
        Assert.False(ReportDataBinding.Matches(verified.ReportData.AsSpan(), session.PublicKey, ReportDataBinding.NewChallenge()));
        using var other = enclave.OpenSession();
        Assert.NotEqual(session.PublicKey, other.PublicKey);
    }

    [Fact]
    public void The_platform_key_is_kept_so_a_pool_can_pin_it()
    {
        var path = _dir.Combine("platform.pem");
        string first;
        using (var enclave = new SimulatedEnclave(TeeKind.Sgx, platformKeyPath: path)) first = enclave.PlatformPublicKeyHex;
        using var again = new SimulatedEnclave(TeeKind.Sgx, platformKeyPath: path);
        Assert.Equal(first, again.PlatformPublicKeyHex);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void The_enclave_signs_the_result_with_the_task_challenge_key_as_poco_checks_it()
    {
        var challengeKey = Secp256k1.NewPrivateKey();
        var taskId = Hash32.Parse("0x" + new string('a', 64));
        var digest = Hash32.Parse("0x" + new string('b', 64));
        var worker = Address.Parse("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
        var hash = ProtocolIds.ResultHash(taskId, digest);
        var seal = ProtocolIds.ResultSeal(worker, taskId, digest);

        var signature = SimulatedEnclave.SignResult(hash, seal, challengeKey);

        Assert.True(Signature.TryFromBytes65(signature, out var parsed, out _));
        Assert.True(EthereumMessage.TryRecover(ProtocolIds.EnclaveMessage(hash, seal).ToArray(), parsed!, out var signer));
        Assert.Equal(Secp256k1.AddressOf(challengeKey), signer);
    }

    [Fact]
    public void The_max_run_time_is_the_category_timeref_read_from_the_deadlines_capped_by_the_app_and_the_time_left()
    {
        var start = DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var timeref = TimeSpan.FromSeconds(20);
        var assignment = new Assignment
        {
            ContributionDeadline = Timestamp.FromDateTimeOffset(start + (7 * timeref)),
            FinalDeadline = Timestamp.FromDateTimeOffset(start + (10 * timeref)),
        };
        var app = new AllowedApp(Address.Zero, "/bin/true", [], null, null);

        Assert.Equal(timeref, ReplicatePipeline.MaxRunTime(assignment, app, start));
        Assert.Equal(TimeSpan.FromSeconds(5), ReplicatePipeline.MaxRunTime(assignment, app with { MaxRunTime = TimeSpan.FromSeconds(5) }, start));
        Assert.Equal(TimeSpan.FromSeconds(3), ReplicatePipeline.MaxRunTime(assignment, app, start + (7 * timeref) - TimeSpan.FromSeconds(3)));
    }

    public void Dispose() => _dir.Dispose();
}
