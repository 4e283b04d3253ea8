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
    /// <summary>The audit trail as written before it was paged: read (oldest first), never appended to.</summary>
    [Id(2)] public List<SecretAuditEntry> Audit { get; set; } = [];

    /// <summary>The page of the audit trail that takes the next entry (<see cref="ISecretAuditPageGrain"/>).</summary>
    [Id(3)] public long AuditPage { get; set; }
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

    /// <summary>
    /// Entries per page of the trail. Recording writes one page, so this bounds what each release costs
    /// the owner's storage; the trail keeps the pages that hold the newest <see cref="MaxAuditEntries"/>.
    /// Each release rewrites its page whole (half a page on average), and a full page costs a few calls to
    /// turn: at 20 a release serializes ~10 entries per owner (at 50 it was ~25) for 0.2 more calls.
    /// </summary>
    public const int AuditPageSize = 20;

    private const int RetainedPages = (MaxAuditEntries / AuditPageSize) + 1;

    private SecretOwner Owner => field ??= ParseOwner(this.GetPrimaryKeyString());

    // What every release of this owner's secrets reads: built once per change, never mutated once handed out
    // (the view is immutable, so Orleans passes it to a caller on this silo without a copy).
    private IReadOnlyDictionary<string, SealedSecret>? _sealed;

    // Entries promised to the current audit page: each release view reserves one, each record takes one. Once the
    // page is promised whole the next view turns it, so the many releases in flight for one owner each find room on
    // the page they were given, instead of all meeting a full page and falling back to RecordAsync. In memory only:
    // after a reactivation a full page is met by a refused append and turned by RecordAsync, as before.
    private int _promised;

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
        _sealed = null;
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
        _promised++;
        if (await GrainFactory.SecretAuditPage(Owner, state.State.AuditPage).AppendAsync(entry, AuditPageSize))
        {
            return;
        }

        await TurnPageAsync();
        _promised++;
        if (!await GrainFactory.SecretAuditPage(Owner, state.State.AuditPage).AppendAsync(entry, AuditPageSize))
        {
            // A page just turned is empty; should it refuse all the same, the release must not go out unaudited.
            throw new InvalidOperationException($"the audit page {state.State.AuditPage} of {Owner.Key} refused an entry after it was turned");
        }
    }

    public async Task<SecretReleaseView> GetReleaseViewAsync()
    {
        if (_promised >= AuditPageSize)
        {
            await TurnPageAsync();
        }

        _promised++;
        return new SecretReleaseView(Sealed(), state.State.AuditPage);
    }

    /// <summary>The next page takes the entries, and the page that falls out of the retained trail goes.</summary>
    private async Task TurnPageAsync()
    {
        // The page number is written first, so a failure between the two writes never overwrites a kept page.
        state.State.AuditPage++;
        _promised = 0;
        await state.WriteOrResetAsync(this);
        if (state.State.AuditPage >= RetainedPages)
        {
            await GrainFactory.SecretAuditPage(Owner, state.State.AuditPage - RetainedPages).ClearAsync();
        }
    }

    public async Task<IReadOnlyList<SecretAuditEntry>> GetAuditAsync()
    {
        var first = Math.Max(0, state.State.AuditPage - RetainedPages + 1);
        var pages = await Task.WhenAll(LongRange(first, state.State.AuditPage).Select(p => GrainFactory.SecretAuditPage(Owner, p).GetAsync()));
        // A release may land on the page it was promised just after a record landed on the next one: ordered by time.
        var trail = state.State.Audit.Concat(pages.SelectMany(p => p)).OrderBy(e => e.At).ToList();
        return trail.Count > MaxAuditEntries ? trail[^MaxAuditEntries..] : trail;
    }

    public async Task<bool> DeleteAsync(string name)
    {
        if (!state.State.Secrets.Remove(name))
        {
            return false;
        }

        _sealed = null;
        await state.WriteOrResetAsync(this);
        LogDeleted(logger, Owner.Key, name);
        return true;
    }

    public Task<IReadOnlyList<SecretMetadata>> ListAsync()
        => Task.FromResult<IReadOnlyList<SecretMetadata>>(state.State.Secrets.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Metadata(s.Key, s.Value)).ToList());

    public Task<IReadOnlyDictionary<string, SealedSecret>> GetSealedAsync() => Task.FromResult(Sealed());

    private IReadOnlyDictionary<string, SealedSecret> Sealed()
        => _sealed ??= state.State.Secrets.ToDictionary(s => s.Key, s => s.Value.Sealed, StringComparer.Ordinal);

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
            _sealed = null;
            await state.WriteOrResetAsync(this);
        }

        return changed;
    }

    /// <summary>The associated data that binds a sealed value to its owner and name.</summary>
    public static string SlotOf(SecretOwner owner, string name) => $"{owner.Key}/{name}";

    private string Slot(string name) => SlotOf(Owner, name);

    private static IEnumerable<long> LongRange(long first, long last)
    {
        for (var p = first; p <= last; p++)
        {
            yield return p;
        }
    }

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
