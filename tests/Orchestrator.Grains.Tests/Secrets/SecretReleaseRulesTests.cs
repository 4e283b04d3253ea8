using System.Security.Cryptography;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Secrets;
using Orchestrator.Grains.Tests.Trust;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>The secret service's release rule, pure: every refusal the issue names, and the grant.</summary>
public sealed class SecretReleaseRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] SessionKey = Secp256k1.NewPrivateKey();
    private static readonly Address Worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
    private static readonly Hash32 Task = new(RandomNumberGenerator.GetBytes(32));
    private static readonly TaskSecretTerms Terms = new(Hash32.Zero, Address.Parse("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        new Address(RandomNumberGenerator.GetBytes(20)), new Address(RandomNumberGenerator.GetBytes(20)), Now.AddHours(1));

    private static Assignment Held(Hash32 taskId) => new(taskId, Hash32.Zero, 0, Terms.App, Terms.Dataset, "", 1, 0, Now.AddMinutes(30), Terms.FinalDeadline, TeeKind.Sgx, Address.Zero, true, Now);

    private static EnclaveSessionView Session(WorkerAttestation? attestation = null, Assignment? held = null, bool active = true, bool simulation = true)
        => new(active, "s1", attestation ?? AttestationMappingTests.Sgx() with { SessionPublicKey = Secp256k1.PublicKeyBytes(SessionKey) }, held ?? Held(Task), simulation);

    private static SecretFetchRequest Request(DateTimeOffset? at = null, string session = "s1", byte[]? key = null)
    {
        var issued = at ?? Now;
        return new SecretFetchRequest(Worker, session, Task, issued, SecretFetchProof.Sign(key ?? SessionKey, Worker, Task, session, issued));
    }

    private static SecretRefusal Decide(SecretFetchRequest request, TaskSecretTerms? terms, EnclaveSessionView? session, AppAttestationPolicy? policy, DateTimeOffset? now = null)
        => SecretReleaseRules.Decide(Task, request, terms, session, policy, now ?? Now, TimeSpan.FromMinutes(5), TimeSpan.FromHours(24)).Refusal;

    [Fact]
    public void The_attested_enclave_holding_the_replicate_gets_the_secrets()
    {
        Assert.Equal(SecretRefusal.None, Decide(Request(), Terms, Session(), AttestationMappingTests.Policy()));
    }

    [Fact]
    public void Each_refusal_is_precise()
    {
        var policy = AttestationMappingTests.Policy();
        Assert.Equal(SecretRefusal.UnknownTask, Decide(Request(), null, Session(), policy));
        Assert.Equal(SecretRefusal.TaskExpired, Decide(Request(Now.AddHours(1)), Terms, Session(), policy, Now.AddHours(1)));
        Assert.Equal(SecretRefusal.SessionNotCurrent, Decide(Request(session: "s0"), Terms, Session(), policy));
        Assert.Equal(SecretRefusal.SessionNotCurrent, Decide(Request(), Terms, Session(active: false), policy));
        Assert.Equal(SecretRefusal.BadProof, Decide(Request(key: Secp256k1.NewPrivateKey()), Terms, Session(), policy));
        Assert.Equal(SecretRefusal.BadProof, Decide(Request(Now.AddMinutes(-6)), Terms, Session(), policy));
        Assert.Equal(SecretRefusal.NotHoldingReplicate, Decide(Request(), Terms, Session() with { Held = null }, policy));
        Assert.Equal(SecretRefusal.NotHoldingReplicate, Decide(Request(), Terms, Session(held: Held(new Hash32(RandomNumberGenerator.GetBytes(32)))), policy));
        Assert.Equal(SecretRefusal.NoAppPolicy, Decide(Request(), Terms, Session(), null));

        var wrongMeasurement = Session(AttestationMappingTests.Sgx(mrEnclave: new string('a', 64)) with { SessionPublicKey = Secp256k1.PublicKeyBytes(SessionKey) });
        Assert.Equal(SecretRefusal.AttestationRefused, Decide(Request(), Terms, wrongMeasurement, policy));
        var stale = Session(AttestationMappingTests.Sgx(at: Now.AddDays(-2)) with { SessionPublicKey = Secp256k1.PublicKeyBytes(SessionKey) });
        Assert.Equal(SecretRefusal.AttestationRefused, Decide(Request(), Terms, stale, policy));
        Assert.Equal(SecretRefusal.AttestationRefused, Decide(Request(), Terms, Session(simulation: false), policy));
        Assert.Equal(SecretRefusal.AttestationRefused, Decide(Request(), Terms, Session(), policy with { AllowSimulated = false }));
    }

    [Fact]
    public void A_task_is_entitled_to_its_deals_dataset_app_and_requester_secrets_only()
    {
        var owners = SecretReleaseRules.EntitledOwners(Terms);
        Assert.Equal([new SecretOwner(SecretOwnerKind.Dataset, Terms.Dataset), new SecretOwner(SecretOwnerKind.App, Terms.App), new SecretOwner(SecretOwnerKind.Requester, Terms.Requester)], owners);
        Assert.Single(SecretReleaseRules.EntitledOwners(Terms with { Dataset = Address.Zero, Requester = Address.Zero }));
    }
}
