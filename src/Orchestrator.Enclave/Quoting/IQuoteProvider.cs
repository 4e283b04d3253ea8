namespace Orchestrator.Enclave.Quoting;

/// <summary>Obtains a hardware quote over 64 bytes of REPORTDATA from the TEE the process runs in.</summary>
public interface IQuoteProvider
{
    /// <summary>What answers (e.g. "configfs-tsm at /sys/kernel/config/tsm/report"), for logs and errors.</summary>
    string Description { get; }

    /// <summary>
    /// Returns a quote whose REPORTDATA is exactly <paramref name="reportData"/> (64 bytes). Throws
    /// <see cref="QuoteProviderException"/> when the interface refuses or answers with another REPORTDATA.
    /// </summary>
    Task<byte[]> GetQuoteAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default);
}

/// <summary>The OS quote interface is missing, refused the request, or answered something unusable.</summary>
public sealed class QuoteProviderException : Exception
{
    /// <summary>Creates the exception.</summary>
    public QuoteProviderException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public QuoteProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public QuoteProviderException()
    {
    }
}
