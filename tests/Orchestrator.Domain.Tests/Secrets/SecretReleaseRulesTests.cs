using System.Security.Cryptography;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Domain.Tests.Secrets;

/// <summary>The secret service's release rule, pure: every refusal the issue names, and the grant.</summary>
public sealed class SecretReleaseRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] SessionKey = Secp256k1.NewPrivateKey();
    private static readonly Address Worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
    private static readonly Hash32 Task = new(RandomNumberGenerator.GetBytes(32));
    private static readonly SecretTerms Terms = new(Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        new Address(RandomNumberGenerator.GetBytes(20)), new Address(RandomNumberGenerator.GetBytes(20)), Now.AddHours(1));

    private static readonly AdmissionDecision Admitted = new(AdmissionRefusal.None, null, "SGX evidence accepted");

    private static CurrentSession Session(bool active = true, Hash32? held = null, byte[]? key = null)
        => new(active, "s1", key ?? Secp256k1.PublicKeyBytes(SessionKey), held ?? Task);

    private static SecretFetch Request(DateTimeOffset? at = null, string session = "s1", byte[]? key = null)
    {
        var issued = at ?? Now;
        return new SecretFetch(Worker, session, issued, SecretFetchProof.Sign(key ?? SessionKey, Worker, Task, session, issued));
    }

    private static ReleaseDecision Decide(SecretFetch request, SecretTerms? terms, CurrentSession? session, AdmissionDecision? admission = null, DateTimeOffset? now = null)
        => SecretReleaseRules.Decide(Task, request, terms, session, admission ?? Admitted, now ?? Now, TimeSpan.FromMinutes(5));

    [Fact]
    public void The_attested_enclave_holding_the_replicate_gets_the_secrets()
    {
        var decision = Decide(Request(), Terms, Session());
        Assert.True(decision.Granted);
        Assert.Equal("SGX evidence accepted", decision.Message);
    }

    [Fact]
    public void Each_refusal_is_precise()
    {
        Assert.Equal(SecretRefusal.UnknownTask, Decide(Request(), null, Session()).Refusal);
        Assert.Equal(SecretRefusal.TaskExpired, Decide(Request(Now.AddHours(1)), Terms, Session(), now: Now.AddHours(1)).Refusal);
        Assert.Equal(SecretRefusal.SessionNotCurrent, Decide(Request(session: "s0"), Terms, Session()).Refusal);
        Assert.Equal(SecretRefusal.SessionNotCurrent, Decide(Request(), Terms, Session(active: false)).Refusal);
        Assert.Equal(SecretRefusal.SessionNotCurrent, Decide(Request(), Terms, null).Refusal);
        Assert.Equal(SecretRefusal.BadProof, Decide(Request(key: Secp256k1.NewPrivateKey()), Terms, Session()).Refusal);
        Assert.Equal(SecretRefusal.BadProof, Decide(Request(Now.AddMinutes(-6)), Terms, Session()).Refusal);
        Assert.Equal(SecretRefusal.BadProof, Decide(Request(), Terms, Session() with { SessionPublicKey = null }).Refusal);
        Assert.Equal(SecretRefusal.NotHoldingReplicate, Decide(Request(), Terms, Session() with { HeldTask = null }).Refusal);
        Assert.Equal(SecretRefusal.NotHoldingReplicate, Decide(Request(), Terms, Session(held: new Hash32(RandomNumberGenerator.GetBytes(32)))).Refusal);
        Assert.Equal(SecretRefusal.NoAppPolicy, Decide(Request(), Terms, Session(), new(AdmissionRefusal.NoPolicy, null, "no policy")).Refusal);

        var stale = Decide(Request(), Terms, Session(), new(AdmissionRefusal.PolicyRefused, PolicyRefusal.EvidenceTooOld, "evidence is older than 1 hour"));
        Assert.Equal(SecretRefusal.AttestationRefused, stale.Refusal);
        Assert.Equal("EvidenceTooOld: evidence is older than 1 hour", stale.Message);
        Assert.Equal(SecretRefusal.AttestationRefused, Decide(Request(), Terms, Session(), new(AdmissionRefusal.SimulationNotAllowedByPool, null, "x")).Refusal);
        Assert.Equal(SecretRefusal.AttestationRefused, Decide(Request(), Terms, Session(), new(AdmissionRefusal.EvidenceNotVerified, null, "x")).Refusal);
    }

    [Fact]
    public void The_admission_verdict_is_read_only_after_every_session_check()
    {
        var refused = new AdmissionDecision(AdmissionRefusal.NoEvidence, null, "no evidence");
        Assert.Equal(SecretRefusal.SessionNotCurrent, Decide(Request(), Terms, Session(active: false), refused).Refusal);
        Assert.Equal(SecretRefusal.NotHoldingReplicate, Decide(Request(), Terms, Session() with { HeldTask = null }, refused).Refusal);
    }

    [Fact]
    public void A_task_is_entitled_to_its_deals_dataset_app_and_requester_secrets_only()
    {
        Assert.Equal([(SecretOwnerKind.Dataset, Terms.Dataset), (SecretOwnerKind.App, Terms.App), (SecretOwnerKind.Requester, Terms.Requester)],
            SecretReleaseRules.EntitledOwners(Terms));
        Assert.Equal([(SecretOwnerKind.App, Terms.App)], SecretReleaseRules.EntitledOwners(Terms with { Dataset = Address.Zero, Requester = Address.Zero }));
    }
}
