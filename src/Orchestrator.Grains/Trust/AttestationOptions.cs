namespace Orchestrator.Grains.Trust;

/// <summary>How the silo verifies attestation evidence (configuration section "Orchestrator:Attestation").</summary>
public sealed class AttestationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:Attestation";

    /// <summary>Root of a PCCS or Intel PCS speaking the v4 API (e.g. https://pccs.internal:8081); null for none.</summary>
    public string? PcsUrl { get; set; }

    /// <summary>Where the root CA CRL comes from when the endpoint is Intel's PCS (which serves none); default {PcsUrl}/sgx/certification/v4/rootcacrl.</summary>
    public string? RootCaCrlUrl { get; set; }

    /// <summary>The PCS v4 <c>update</c> parameter: "standard" (default when unset) or "early" (TCB recovery collateral before enforcement).</summary>
    public string? PcsUpdate { get; set; }

    /// <summary>Air-gapped pools: a directory of dcap-qvl collateral files ({sgx|tdx}-{FMSPC}[-{platform|processor}].json). Used when no PcsUrl is set.</summary>
    public string? CollateralDirectory { get; set; }

    /// <summary>Refresh cached collateral this long before its nextUpdate.</summary>
    public TimeSpan CollateralRefreshAhead { get; set; } = TimeSpan.FromHours(6);

    /// <summary>How often the background refresher looks for due collateral.</summary>
    public TimeSpan CollateralRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>After a failed refresh, retry this much later (the old collateral is served until it expires).</summary>
    public TimeSpan CollateralRetryAfterFailure { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout of one PCS request.</summary>
    public TimeSpan PcsTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Evidence older than this no longer counts, unless an app's policy sets its own maximum age.</summary>
    public TimeSpan MaxEvidenceAge { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A TEE session re-attests this long after its last verdict: the silo sends a fresh challenge and the worker
    /// answers with a new quote over it (default 24 h, on the protocol clock; zero turns periodic re-attestation off).
    /// A session is asked no later than <see cref="ReattestTimeout"/> before its evidence reaches <see cref="MaxEvidenceAge"/>;
    /// an app whose policy sets a shorter age of its own needs an interval below it, or its TEE tasks wait for the next quote.
    /// </summary>
    public TimeSpan ReattestInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A session that leaves a re-attestation unanswered this long loses its TEE eligibility (its TEE replicates go back).</summary>
    public TimeSpan ReattestTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The collateral cache fetches each entry again at least this often, to see a new TCB info, QE identity or CRL before the old one expires (default 1 h).</summary>
    public TimeSpan CollateralMaxAge { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a silo caches app policies before reading them again (a change on this silo applies at once).</summary>
    public TimeSpan PolicyCacheTtl { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Simulated evidence verifies only when signed by one of these P-256 keys (raw x‖y hex); empty accepts any signer (the pool and the app policy still decide whether simulation is acceptable at all).</summary>
    public List<string> TrustedSimulatorKeys { get; set; } = [];

    /// <summary>
    /// A test root CA (PEM file) trusted besides Intel's, so a test TEE's quotes verify: for tests and
    /// demos only. Needs <see cref="AllowTestRoots"/>, and a silo with durable state refuses it (see <see cref="TestRootRule"/>).
    /// </summary>
    public string? TestRootCertificate { get; set; }

    /// <summary>The explicit consent <see cref="TestRootCertificate"/> needs; false by default.</summary>
    public bool AllowTestRoots { get; set; }
}
