namespace Orchestrator.Grains.Secrets;

/// <summary>
/// The secret service's master keys (configuration section "Orchestrator:Secrets"). Keys are 32 bytes,
/// base64; each has an id recorded with every secret it wraps, so keys rotate: add a new key, make it
/// active, re-wrap, then retire the old one.
/// </summary>
public sealed class SecretsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:Secrets";

    /// <summary>Master keys by id (base64 of 32 bytes), e.g. from the environment: <c>Orchestrator__Secrets__MasterKeys__k1=...</c>.</summary>
    public Dictionary<string, string> MasterKeys { get; set; } = [];

    /// <summary>
    /// A directory of key files, one per key, the file name being the key id and the content the
    /// base64 key (or its 32 raw bytes): the shape of a Kubernetes secret mounted as a volume.
    /// </summary>
    public string? MasterKeyDirectory { get; set; }

    /// <summary>The id of the key that wraps new secrets; default: the only key, or the greatest id in ordinal order.</summary>
    public string? ActiveKeyId { get; set; }

    /// <summary>
    /// With no key configured, use a random key that lives as long as the process (the embedded,
    /// in-memory default only: state stored under it is unreadable after a restart). Never in production.
    /// </summary>
    public bool AllowEphemeralMasterKey { get; set; }

    /// <summary>Refusals recorded per task in durable state beyond which only the count (and the log line) grows.</summary>
    public int MaxAuditedRefusalsPerTask { get; set; } = 64;

    /// <summary>How far an enclave's fetch timestamp may be from the silo's clock.</summary>
    public TimeSpan FetchProofSkew { get; set; } = TimeSpan.FromMinutes(5);
}
