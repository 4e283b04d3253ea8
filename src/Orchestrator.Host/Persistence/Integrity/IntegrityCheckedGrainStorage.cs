using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Orchestrator.Domain.Crypto;
using Orchestrator.Grains.Secrets;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orchestrator.Host.Persistence.Integrity;

/// <summary>
/// Wraps the grain storage so the states that decide trust (<see cref="StateIntegrity.Protected"/>) are
/// stored with a MAC (<see cref="StateMac"/>) under a key derived from the secret service's master key,
/// and checked on every load: a row written outside the cluster (someone with database access) makes
/// the grain's activation fail with a message naming the grain, is logged as a critical audit event
/// and counted, and is never used. Other states pass through untouched.
/// </summary>
internal sealed partial class IntegrityCheckedGrainStorage(
    IGrainStorage inner,
    Serializer serializer,
    MasterKeyRing keys,
    ILogger<IntegrityCheckedGrainStorage> logger) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly ConcurrentDictionary<string, byte[]> _macKeys = new(StringComparer.Ordinal);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!StateIntegrity.Protected.Contains(stateName))
        {
            await inner.ReadStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
            return;
        }

        var sealedState = new Envelope { ETag = grainState.ETag };
        await inner.ReadStateAsync(stateName, grainId, sealedState).ConfigureAwait(false);
        grainState.ETag = sealedState.ETag;
        grainState.RecordExists = sealedState.RecordExists;
        if (!sealedState.RecordExists)
        {
            grainState.State = Activator.CreateInstance<T>();
            return;
        }

        var stored = sealedState.State;
        var id = grainId.ToString();
        if (!StateMac.Verify(MacKey(stored.KeyId, stateName, id), stateName, id, stored.Payload, stored.Mac))
        {
            throw Refuse(stateName, id, "its MAC does not match (the row was changed outside the cluster)");
        }

        grainState.State = serializer.Deserialize<T>(stored.Payload);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!StateIntegrity.Protected.Contains(stateName))
        {
            await inner.WriteStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
            return;
        }

        var id = grainId.ToString();
        var payload = serializer.SerializeToArray(grainState.State);
        var keyId = keys.ActiveKeyId; // the silo does not start without one (DurableStateNeedsMasterKey)
        var sealedState = new Envelope
        {
            ETag = grainState.ETag,
            RecordExists = grainState.RecordExists,
            State = new SealedState
            {
                KeyId = keyId,
                Payload = payload,
                Mac = StateMac.Compute(MacKeyFor(keyId), stateName, id, payload),
            },
        };
        await inner.WriteStateAsync(stateName, grainId, sealedState).ConfigureAwait(false);
        grainState.ETag = sealedState.ETag;
        grainState.RecordExists = sealedState.RecordExists;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (!StateIntegrity.Protected.Contains(stateName))
        {
            await inner.ClearStateAsync(stateName, grainId, grainState).ConfigureAwait(false);
            return;
        }

        var sealedState = new Envelope { ETag = grainState.ETag, RecordExists = grainState.RecordExists };
        await inner.ClearStateAsync(stateName, grainId, sealedState).ConfigureAwait(false);
        grainState.ETag = sealedState.ETag;
        grainState.RecordExists = sealedState.RecordExists;
        grainState.State = Activator.CreateInstance<T>();
    }

    public void Participate(ISiloLifecycle observer)
    {
        if (inner is ILifecycleParticipant<ISiloLifecycle> participant)
        {
            participant.Participate(observer);
        }
    }

    /// <summary>The MAC key a stored row names; a row without one, or naming a key this silo lacks, is refused.</summary>
    private byte[] MacKey(string keyId, string stateName, string grainId)
    {
        if (keyId.Length == 0)
        {
            throw Refuse(stateName, grainId, "it carries no MAC (a row written outside the cluster, or before integrity checks)");
        }

        try
        {
            return MacKeyFor(keyId);
        }
        catch (CryptographicException ex)
        {
            throw Refuse(stateName, grainId, ex.Message);
        }
    }

    /// <summary>The MAC key derived from a master key, once per key id.</summary>
    private byte[] MacKeyFor(string keyId) => _macKeys.GetOrAdd(keyId, id => StateMac.DeriveKey(keys.Get(id)));

    private StateIntegrityException Refuse(string stateName, string grainId, string why)
    {
        StateIntegrity.Refusals.Add(1, new KeyValuePair<string, object?>("state", stateName));
        LogRefused(logger, stateName, grainId, why);
        return new StateIntegrityException($"stored state '{stateName}' of grain {grainId} fails its integrity check: {why}; refused and audited, never used (rule: trust state is stored with a MAC under the master key)");
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Critical, Message = "AUDIT integrity: stored state '{StateName}' of grain {GrainId} refused: {Why}")]
    private static partial void LogRefused(ILogger logger, string stateName, string grainId, string why);

    /// <summary>The inner provider's view of the state: the sealed envelope.</summary>
    private sealed class Envelope : IGrainState<SealedState>
    {
        private SealedState _state = new();

        [System.Diagnostics.CodeAnalysis.AllowNull]
        public SealedState State { get => _state; set => _state = value ?? new(); }

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
