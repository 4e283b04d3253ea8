using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Secrets;

/// <summary>One stored secret.</summary>
[GenerateSerializer, Alias("orch.state.secret.v1")]
public sealed class StoredSecret
{
    [Id(0)] public required SealedSecret Sealed { get; set; }
    [Id(1)] public int Version { get; set; }
    [Id(2)] public DateTimeOffset CreatedAt { get; set; }
    [Id(3)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(4)] public int Length { get; set; }
}

/// <summary>An owner's secrets as persisted (state name "secrets"): sealed values only.</summary>
[GenerateSerializer, Alias("orch.state.secrets.v1")]
public sealed class SecretStoreState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;
    [Id(1)] public Dictionary<string, StoredSecret> Secrets { get; set; } = new(StringComparer.Ordinal);
    [Id(2)] public List<SecretAuditEntry> Audit { get; set; } = [];
}

/// <summary>The secrets of one owner (key "dataset/0x…", "app/0x…" or "requester/0x…"), envelope-encrypted before every write.</summary>
public sealed partial class SecretStoreGrain(
    [PersistentState("secrets", StorageNames.Default)] IPersistentState<SecretStoreState> state,
    SecretEnvelope envelope,
    SecretPushKey pushKey,
    OrchestratorClock clock,
    ILogger<SecretStoreGrain> logger) : Grain, ISecretStoreGrain
{
    /// <summary>The largest value accepted (a key or a small credential file, not a dataset).</summary>
    public const int MaxValueBytes = 64 * 1024;

    /// <summary>How many audit entries an owner keeps (the newest).</summary>
    public const int MaxAuditEntries = 1000;

    private SecretOwner Owner => field ??= ParseOwner(this.GetPrimaryKeyString());

    public async Task<SecretMetadata> PutAsync(string name, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        SecretNames.Validate(name);
        if (value.Length is 0 or > MaxValueBytes)
        {
            throw new ArgumentException($"a secret value must be 1..{MaxValueBytes} bytes, got {value.Length}", nameof(value));
        }

        var now = clock.UtcNow;
        var existing = state.State.Secrets.GetValueOrDefault(name);
        var stored = new StoredSecret
        {
            Sealed = envelope.Seal(value, Slot(name)).ToWire(),
            Version = (existing?.Version ?? 0) + 1,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
            Length = value.Length,
        };
        state.State.Secrets[name] = stored;
        await state.WriteOrResetAsync(this);
        LogStored(logger, Owner.Key, name, stored.Version, stored.Sealed.MasterKeyId);
        return Metadata(name, stored);
    }

    public async Task<SecretMetadata> PushAsync(string name, byte[] encryptedValue, Hash32 valueHash)
    {
        ArgumentNullException.ThrowIfNull(encryptedValue);
        SecretNames.Validate(name);
        var value = pushKey.Open(encryptedValue);
        try
        {
            if (new Hash32(Keccak256.Hash(value)) != valueHash)
            {
                throw new ArgumentException($"the pushed value's keccak256 is not the signed valueHash {valueHash} (rule: the owner signs the hash of the value they encrypt)");
            }

            return await PutAsync(name, value);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(value);
        }
    }

    public async Task RecordAsync(SecretAuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        state.State.Audit.Add(entry);
        if (state.State.Audit.Count > MaxAuditEntries)
        {
            state.State.Audit.RemoveRange(0, state.State.Audit.Count - MaxAuditEntries); // the newest are kept; the log has every one
        }

        await state.WriteOrResetAsync(this);
    }

    public Task<IReadOnlyList<SecretAuditEntry>> GetAuditAsync() => Task.FromResult<IReadOnlyList<SecretAuditEntry>>([.. state.State.Audit]);

    public async Task<bool> DeleteAsync(string name)
    {
        if (!state.State.Secrets.Remove(name))
        {
            return false;
        }

        await state.WriteOrResetAsync(this);
        LogDeleted(logger, Owner.Key, name);
        return true;
    }

    public Task<IReadOnlyList<SecretMetadata>> ListAsync()
        => Task.FromResult<IReadOnlyList<SecretMetadata>>(state.State.Secrets.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Metadata(s.Key, s.Value)).ToList());

    public Task<IReadOnlyDictionary<string, SealedSecret>> GetSealedAsync()
        => Task.FromResult<IReadOnlyDictionary<string, SealedSecret>>(state.State.Secrets.ToDictionary(s => s.Key, s => s.Value.Sealed, StringComparer.Ordinal));

    public async Task<int> RewrapAsync()
    {
        var changed = 0;
        foreach (var (name, stored) in state.State.Secrets)
        {
            var rewrapped = envelope.Rewrap(stored.Sealed.ToDomain(), Slot(name));
            if (rewrapped.MasterKeyId != stored.Sealed.MasterKeyId)
            {
                stored.Sealed = rewrapped.ToWire();
                changed++;
            }
        }

        if (changed > 0)
        {
            await state.WriteOrResetAsync(this);
        }

        return changed;
    }

    /// <summary>The associated data that binds a sealed value to its owner and name.</summary>
    public static string SlotOf(SecretOwner owner, string name) => $"{owner.Key}/{name}";

    private string Slot(string name) => SlotOf(Owner, name);

    private SecretMetadata Metadata(string name, StoredSecret s) => new(Owner, name, s.Version, s.Sealed.MasterKeyId, s.CreatedAt, s.UpdatedAt, s.Length);

    private static SecretOwner ParseOwner(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !Enum.TryParse<SecretOwnerKind>(key[..slash], ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || !Address.TryParse(key[(slash + 1)..], out var address, out _))
        {
            throw new ArgumentException($"'{key}' is not a secret owner key (dataset/0x…, app/0x… or requester/0x…)");
        }

        return new SecretOwner(kind, address);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Secret {Owner}/{Name} stored (version {Version}, master key {KeyId})")]
    private static partial void LogStored(ILogger logger, string owner, string name, int version, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Secret {Owner}/{Name} deleted")]
    private static partial void LogDeleted(ILogger logger, string owner, string name);
}

/// <summary>Secret names: 1..128 characters of letters, digits, '.', '_' and '-'.</summary>
public static class SecretNames
{
    /// <summary>The name a dataset's decryption key is stored under by convention.</summary>
    public const string DatasetKey = "key";

    /// <summary>Throws <see cref="ArgumentException"/> with the rule when the name is not valid.</summary>
    public static void Validate(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"secret name '{name}' must be 1..128 characters of letters, digits, '.', '_' or '-'", nameof(name));
        }
    }
}
