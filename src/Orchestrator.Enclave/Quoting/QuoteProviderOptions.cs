namespace Orchestrator.Enclave.Quoting;

/// <summary>Which OS interface gives quotes.</summary>
public enum QuoteProviderKind
{
    /// <summary>No quote provider: the process is not a TEE (the default).</summary>
    None,

    /// <summary>TDX through Linux configfs-tsm (<c>/sys/kernel/config/tsm/report</c>).</summary>
    ConfigfsTsm,

    /// <summary>SGX inside Gramine through its <c>/dev/attestation</c> pseudo-files.</summary>
    Gramine,
}

/// <summary>How the trusted runner obtains quotes.</summary>
public sealed record QuoteProviderOptions
{
    /// <summary>The configfs-tsm report directory of a Linux TDX guest.</summary>
    public const string DefaultConfigfsTsmRoot = "/sys/kernel/config/tsm/report";

    /// <summary>Gramine's attestation pseudo-file directory.</summary>
    public const string DefaultGramineRoot = "/dev/attestation";

    /// <summary>The interface.</summary>
    public QuoteProviderKind Kind { get; init; }

    /// <summary>The interface's directory; the kind's standard path when null (tests point it at the test TEE's tree).</summary>
    public string? Root { get; init; }

    /// <summary>
    /// How long to wait for the answer to match the request. A kernel or Gramine answers on the first read;
    /// the wait only matters for an interface answered asynchronously (the test TEE) or a concurrent writer.
    /// </summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The interval between two reads while waiting for the answer.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}
