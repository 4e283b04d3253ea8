namespace Orchestrator.Api.Results;

/// <summary>Which backend keeps result archives and logs.</summary>
public enum ResultStoreKind
{
    /// <summary>The default: PostgreSQL when grain state is there (Orchestrator:Storage = Postgres), else the local file system.</summary>
    Auto = 0,

    /// <summary>The local directory Orchestrator:Api:ResultDirectory: one silo only, for the embedded dev configuration.</summary>
    FileSystem = 1,

    /// <summary>PostgreSQL (Orchestrator:PostgresConnectionString), readable from every silo.</summary>
    Postgres = 2,

    /// <summary>S3-compatible object storage (<see cref="ResultsOptions.S3"/>), for pools that outgrow their database.</summary>
    S3 = 3,
}

/// <summary>Where results are stored and how long they are kept (section "Orchestrator:Results").</summary>
public sealed class ResultsOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:Results";

    /// <summary>The backend.</summary>
    public ResultStoreKind Store { get; set; } = ResultStoreKind.Auto;

    /// <summary>How long this pool keeps results and logs after they were stored; zero keeps them forever.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the retention sweep runs.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>At most this many objects are deleted per sweep batch (a sweep runs batches until none is left).</summary>
    public int SweepBatch { get; set; } = 500;

    /// <summary>The S3 store's settings (when <see cref="Store"/> is S3).</summary>
    public S3ResultOptions S3 { get; set; } = new();
}

/// <summary>The S3-compatible store's settings (section "Orchestrator:Results:S3"). The credentials are secrets: never logged.</summary>
public sealed class S3ResultOptions
{
    /// <summary>The endpoint of an S3-compatible server (e.g. "http://127.0.0.1:4568" for s3rver, a MinIO URL); empty for AWS itself.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The bucket (it must exist).</summary>
    public string Bucket { get; set; } = "";

    /// <summary>A key prefix inside the bucket, e.g. "pool-a/" (several pools may share a bucket).</summary>
    public string Prefix { get; set; } = "";

    /// <summary>The region (signing region for S3-compatible servers).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>Path-style requests (bucket in the path, not the host name): needed by s3rver and most self-hosted servers.</summary>
    public bool ForcePathStyle { get; set; } = true;

    /// <summary>The access key id; when empty the SDK's default chain is used (AWS_ACCESS_KEY_ID, a profile, an instance role).</summary>
    public string? AccessKey { get; set; }

    /// <summary>The secret access key (with <see cref="AccessKey"/>).</summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// Multipart part size in bytes (S3's minimum is 5 MiB): the most an upload holds in memory. Archives
    /// smaller than one part go up in a single PUT.
    /// </summary>
    public int PartBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Every problem with these settings, each naming its key (never a credential's value).</summary>
    public List<string> Check()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            errors.Add("Orchestrator:Results:S3:Bucket is required when Orchestrator:Results:Store is S3");
        }

        if (ServiceUrl is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            errors.Add($"Orchestrator:Results:S3:ServiceUrl must be an absolute URL (e.g. \"http://127.0.0.1:4568\"), got '{url}'");
        }

        if (string.IsNullOrEmpty(AccessKey) != string.IsNullOrEmpty(SecretKey))
        {
            errors.Add("Orchestrator:Results:S3:AccessKey and SecretKey are set together or not at all (then the SDK's default credentials apply)");
        }

        if (PartBytes < 5 * 1024 * 1024)
        {
            errors.Add($"Orchestrator:Results:S3:PartBytes must be at least 5242880 (S3's smallest multipart part), got {PartBytes}");
        }

        return errors;
    }
}
