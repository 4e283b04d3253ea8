using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;
using Orchestrator.Grains.Infrastructure;
using Orchestrator.Grains.Trust;
using Orchestrator.Telemetry;
using Orleans.Runtime;

namespace Orchestrator.Grains.Secrets;

/// <summary>The secret service's persisted record of one TEE task (state name "task-secrets").</summary>
[GenerateSerializer, Alias("orch.state.task-secrets.v1")]
public sealed class TaskSecretsState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public TaskSecretTerms? Terms { get; set; }
    [Id(2)] public Address EnclaveChallenge { get; set; }
    [Id(3)] public SealedSecret? EnclaveKey { get; set; }
    [Id(4)] public List<SecretAuditEntry> Audit { get; set; } = [];
    [Id(5)] public int UnrecordedRefusals { get; set; }
}

/// <summary>
/// Holds a TEE task's enclave challenge key (created here, envelope-encrypted at rest; only its
/// address leaves, except sealed to the attested enclave that runs the task) and releases the task's
/// secrets by <see cref="SecretReleaseRules"/>. Every decision is written to the audit before the
/// answer leaves, and logged.
/// </summary>
public sealed partial class TaskSecretsGrain(
    [PersistentState("task-secrets", StorageNames.Default)] IPersistentState<TaskSecretsState> state,
    SecretEnvelope envelope,
    AppPolicyCache policies,
    OrchestratorClock clock,
    IOptions<SecretsOptions> secretsOptions,
    IOptions<AttestationOptions> attestationOptions,
    ILogger<TaskSecretsGrain> logger) : Grain, ITaskSecretsGrain
{
    private const string EnclaveKeyName = "enclave-key";

    private static readonly IReadOnlyDictionary<int, string> NoSelection = new Dictionary<int, string>();

    private Hash32 TaskId => field.IsZero ? field = Hash32.Parse(this.GetPrimaryKeyString()) : field;

    private string EnclaveKeySlot => $"task/{TaskId}/{EnclaveKeyName}";

    public async Task<Address> CreateEnclaveChallengeAsync(TaskSecretTerms terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (state.State.Terms is not null)
        {
            return state.State.EnclaveChallenge; // idempotent, also once the key expired and was destroyed
        }

        // One fresh key pair per TEE task (PoCo's enclave challenge); only its address is public.
        var key = Secp256k1.NewPrivateKey();
        try
        {
            state.State.Terms = terms;
            state.State.EnclaveChallenge = Secp256k1.AddressOf(key);
            state.State.EnclaveKey = envelope.Seal(key, EnclaveKeySlot).ToWire();
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
        }

        await state.WriteOrResetAsync(this);
        return state.State.EnclaveChallenge;
    }

    public async Task<SecretFetchResult> FetchAsync(SecretFetchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = clock.UtcNow;
        var terms = state.State.Terms;
        EnclaveSessionView? session = null;
        AppAttestationPolicy? policy = null;
        if (terms is not null && now < terms.FinalDeadline)
        {
            session = await GrainFactory.Worker(request.Worker).GetEnclaveSessionAsync(TaskId);
            policy = await policies.GetAsync(terms.App, terms.AppVersion);
            if (session.Attestation?.Simulated == true && session.PoolAllowsSimulation)
            {
                // The worker grain knows the pool's rule as of its registration; the pool may have changed it since.
                session = session with { PoolAllowsSimulation = (await policies.GetPoolPolicyAsync()).Admission.AdmitsSimulated };
            }
        }

        var admission = SecretReleaseInputs.Admit(session, policy, now, attestationOptions.Value.MaxEvidenceAge);
        var decision = SecretReleaseRules.Decide(TaskId, SecretReleaseInputs.ToFetch(request), SecretReleaseInputs.ToTerms(terms),
            SecretReleaseInputs.ToSession(session), admission, now, secretsOptions.Value.FetchProofSkew);
        if (decision.Granted && state.State.EnclaveKey is null)
        {
            // Destroyed at an earlier expiry (a silo whose clock ran ahead): expired is expired.
            decision = new ReleaseDecision(SecretRefusal.TaskExpired, $"task {TaskId}'s enclave key was destroyed at its final deadline");
        }
        var measurement = session?.Attestation?.Measurement ?? "none";
        if (!decision.Granted)
        {
            if (decision.Refusal == SecretRefusal.TaskExpired)
            {
                state.State.EnclaveKey = null; // expired: the key is destroyed with the refusal's write
            }

            var refusal = new SecretAuditEntry(now, TaskId, request.Worker, request.SessionId, measurement, false, decision.Refusal, [], decision.Message);
            if (await AuditAsync(refusal))
            {
                await TellOwnersAsync(refusal, []);
            }

            return new SecretFetchResult(false, decision.Refusal, decision.Message, null, [], state.State.EnclaveChallenge);
        }

        var sessionKey = session!.Attestation!.SessionPublicKey;
        var context = TaskId.ToArray();
        var enclaveKey = envelope.Open(state.State.EnclaveKey!.ToDomain(), EnclaveKeySlot);
        var sealedKey = Ecies.Encrypt(sessionKey, enclaveKey, context);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(enclaveKey);

        var released = new List<ReleasedSecret>();
        var owners = SecretReleaseInputs.EntitledOwners(terms!);
        var views = await Task.WhenAll(owners.Select(o => GrainFactory.Secrets(o).GetReleaseViewAsync()));
        var selected = await RequesterSelectionAsync(terms!, owners, views);
        for (var i = 0; i < owners.Count; i++)
        {
            foreach (var (releasedAs, name, sealedSecret) in RequesterSelection.Entitled(owners[i].Kind, views[i].Sealed, selected))
            {
                var value = envelope.Open(sealedSecret.ToDomain(), SecretStoreGrain.SlotOf(owners[i], name));
                released.Add(new ReleasedSecret(owners[i], releasedAs, Ecies.Encrypt(sessionKey, value, context)));
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
            }
        }

        var names = released.Select(r => $"{r.Owner.Key}/{r.Name}").Prepend(EnclaveKeyName).ToList();
        var grant = new SecretAuditEntry(now, TaskId, request.Worker, request.SessionId, measurement, true, SecretRefusal.None, names, decision.Message);
        await AuditAsync(grant);
        await TellOwnersAsync(grant, released, views);
        return new SecretFetchResult(true, SecretRefusal.None, decision.Message, sealedKey, released, state.State.EnclaveChallenge);
    }

    /// <summary>
    /// The requester secrets the deal selected. Only a requester who stored secrets can be given any, so the deal
    /// is asked only then (most requesters store none: a release then costs no call to the deal).
    /// </summary>
    private async Task<IReadOnlyDictionary<int, string>> RequesterSelectionAsync(TaskSecretTerms terms, IReadOnlyList<SecretOwner> owners, SecretReleaseView[] views)
    {
        for (var i = 0; i < owners.Count; i++)
        {
            if (owners[i].Kind == SecretOwnerKind.Requester && views[i].Sealed.Count > 0)
            {
                return await GrainFactory.Deal(terms.DealId).GetRequesterSecretsAsync();
            }
        }

        return NoSelection;
    }

    public async Task RecordAttestationLossAsync(SecretAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (await AuditAsync(entry with { TaskId = TaskId, Granted = false, Released = [] }))
        {
            await TellOwnersAsync(entry, []);
        }
    }

    public Task<TaskSecretsView> GetViewAsync()
        => Task.FromResult(new TaskSecretsView(TaskId, state.State.Terms, state.State.EnclaveChallenge, state.State.Audit.ToList(), state.State.UnrecordedRefusals));

    /// <summary>
    /// Each entitled owner's own trail (their secrets' names only): who got what, when, refused why.
    /// Written before the answer leaves, as the task's audit is.
    /// </summary>
    private async Task TellOwnersAsync(SecretAuditEntry entry, IReadOnlyList<ReleasedSecret> released, SecretReleaseView[]? views = null)
    {
        if (state.State.Terms is not { } terms)
        {
            return;
        }

        var owners = SecretReleaseInputs.EntitledOwners(terms);
        await Task.WhenAll(owners.Select((o, i) => RecordForOwnerAsync(
            o, entry with { Released = [.. released.Where(r => r.Owner == o).Select(r => r.Name)] }, views?[i].AuditPage)));
    }

    /// <summary>
    /// A release appends to the audit page its owner's store promised it a moment ago (one call, not the store's
    /// two); should that page be full all the same (the store was reactivated meanwhile and forgot its promises),
    /// the store records the entry, turning to the next page.
    /// </summary>
    private async Task RecordForOwnerAsync(SecretOwner owner, SecretAuditEntry entry, long? page)
    {
        if (page is { } p && await GrainFactory.SecretAuditPage(owner, p).AppendAsync(entry, SecretStoreGrain.AuditPageSize))
        {
            return;
        }

        await GrainFactory.Secrets(owner).RecordAsync(entry);
    }

    /// <summary>Durable first, then the log line: no secret leaves before its release is recorded; false when a refusal beyond the cap was only counted.</summary>
    private async Task<bool> AuditAsync(SecretAuditEntry entry)
    {
        SecretsTelemetry.Releases.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Result, entry.Granted ? "released" : entry.Refusal.ToString()));
        if (entry.Granted)
        {
            LogReleased(logger, entry.TaskId, entry.Worker, entry.SessionId, entry.Measurement, string.Join(", ", entry.Released));
        }
        else
        {
            LogRefused(logger, entry.TaskId, entry.Worker, entry.SessionId, entry.Measurement, entry.Refusal, entry.Message);
        }

        if (state.State.Terms is null)
        {
            return false; // a fetch for a task never handed to an enclave: logged, never stored (no state for arbitrary ids)
        }

        var refusals = state.State.Audit.Count(a => !a.Granted);
        if (!entry.Granted && refusals >= secretsOptions.Value.MaxAuditedRefusalsPerTask)
        {
            // A flood of refused fetches (a misbehaving or hostile worker) must cost no storage: beyond
            // the cap the refusal is counted in memory and in a metric, never written (the count rides
            // along with the next write); the log line has every one.
            state.State.UnrecordedRefusals++;
            Orchestrator.Telemetry.SecretsTelemetry.UnrecordedRefusals.Add(1);
            return false;
        }

        state.State.Audit.Add(entry);
        await state.WriteOrResetAsync(this);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SMS release: task {TaskId} to worker {Worker} session {Session} measurement {Measurement}: {Released}")]
    private static partial void LogReleased(ILogger logger, Hash32 taskId, Address worker, string session, string measurement, string released);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS refusal: task {TaskId} to worker {Worker} session {Session} measurement {Measurement}: {Refusal} ({Reason})")]
    private static partial void LogRefused(ILogger logger, Hash32 taskId, Address worker, string session, string measurement, SecretRefusal refusal, string reason);
}
