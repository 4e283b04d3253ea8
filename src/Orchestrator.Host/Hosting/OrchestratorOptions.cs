using System.ComponentModel.DataAnnotations;

namespace Orchestrator.Host.Hosting;

/// <summary>Where grain state lives.</summary>
public enum StorageKind
{
    /// <summary>In memory: lost with the process (embedded default).</summary>
    Memory = 0,

    /// <summary>PostgreSQL through Orleans' ADO.NET provider.</summary>
    Postgres = 1,
}

/// <summary>Which provider keeps grain state when <see cref="OrchestratorOptions.Storage"/> is PostgreSQL.</summary>
public enum PostgresGrainStorageKind
{
    /// <summary>The project's group-commit provider: concurrent grains' reads and writes share round trips and commits (same ETag fencing, same durability).</summary>
    GroupCommit = 0,

    /// <summary>Orleans' ADO.NET provider: one statement and one commit per read or write.</summary>
    AdoNet = 1,
}

/// <summary>How silos find each other.</summary>
public enum ClusteringKind
{
    /// <summary>One silo on loopback (embedded default).</summary>
    Localhost = 0,

    /// <summary>Membership table in PostgreSQL.</summary>
    Postgres = 1,
}

/// <summary>Where integration events leave the cluster.</summary>
public enum BusKind
{
    /// <summary>In process, delivered to the silo's own handlers (embedded default; no chain bridge).</summary>
    Memory = 0,

    /// <summary>MassTransit on RabbitMQ (section Orchestrator:RabbitMq): durable, publisher-confirmed; the chain bridge consumes it.</summary>
    RabbitMq = 1,
}

/// <summary>The host's configuration (section "Orchestrator"). Every part defaults to the embedded mode.</summary>
public sealed class OrchestratorOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator";

    /// <summary>The Orleans cluster id.</summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{0,62}$", ErrorMessage = "Orchestrator:ClusterId must be lowercase letters, digits and dashes")]
    public string ClusterId { get; set; } = "orchestrator";

    /// <summary>The Orleans service id (stable across deployments: it keys state and reminders).</summary>
    [Required]
    public string ServiceId { get; set; } = "orchestrator";

    /// <summary>Grain state storage.</summary>
    public StorageKind Storage { get; set; } = StorageKind.Memory;

    /// <summary>The PostgreSQL grain storage provider (when <see cref="Storage"/> is Postgres).</summary>
    public PostgresGrainStorageKind PostgresGrainStorage { get; set; } = PostgresGrainStorageKind.GroupCommit;

    /// <summary>Cluster membership.</summary>
    public ClusteringKind Clustering { get; set; } = ClusteringKind.Localhost;

    /// <summary>Reminder storage (defaults to follow <see cref="Storage"/>).</summary>
    public StorageKind? Reminders { get; set; }

    /// <summary>The integration-event bus.</summary>
    public BusKind Bus { get; set; } = BusKind.Memory;

    /// <summary>PostgreSQL connection string (required when any part uses PostgreSQL).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Apply the database schema at start.</summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>Silo-to-silo port.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Client gateway port.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// How long a stopping silo may take to hand over (deactivate its grains, leave the membership).
    /// Orleans' rolling updates time out calls when this is short; a pod's termination grace period
    /// must exceed it (k8s/ and the Helm chart use 45 s against this 30 s default).
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>This silo's name in the membership table (on Kubernetes, the pod's name from the downward API). Default: Orleans' own.</summary>
    public string? SiloName { get; set; }

    /// <summary>
    /// Categories the pool adds to PoCo's five (XS..XL keep their ids 0..4 and timerefs), e.g. a
    /// short one for tests and demos: <c>"Categories": [ { "Id": 100, "Name": "TEST", "Timeref": "00:00:05" } ]</c>.
    /// </summary>
    public List<CategoryOptions> Categories { get; set; } = [];

    /// <summary>Mutual TLS on silo-to-silo and gateway connections (off when no certificate is set: the embedded single silo).</summary>
    public ClusterTlsOptions ClusterTls { get; set; } = new();

    /// <summary>The address this silo advertises (defaults to loopback in localhost clustering, otherwise the first non-loopback IPv4).</summary>
    public string? AdvertisedIp { get; set; }
}

/// <summary>
/// The cluster certificate (section "Orchestrator:ClusterTls"): every silo and every cluster client presents
/// one issued by <see cref="CaPath"/>, and accepts only peers whose certificate chains to it.
/// </summary>
public sealed class ClusterTlsOptions
{
    /// <summary>This member's certificate: PEM (with <see cref="KeyPath"/>) or PFX.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PFX password.</summary>
    public string? Password { get; set; }

    /// <summary>PEM of the cluster's CA: a peer's certificate must chain to it (the system store is not used).</summary>
    public string? CaPath { get; set; }

    /// <summary>Whether cluster TLS is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);
}

/// <summary>A category the pool adds (section "Orchestrator:Categories:n").</summary>
public sealed class CategoryOptions
{
    /// <summary>The category id deals name (above 4: 0..4 are PoCo's).</summary>
    public int Id { get; set; }

    /// <summary>A short name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The reference time (max run time); every deadline is a multiple of it.</summary>
    public TimeSpan Timeref { get; set; }
}
