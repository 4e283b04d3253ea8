namespace Orchestrator.Chain.Abi;

/// <summary>Raised when ABI data is malformed (bad offsets, truncation, dirty padding, out-of-range values).</summary>
public sealed class AbiException : FormatException
{
    /// <summary>Creates the exception with the reason.</summary>
    public AbiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and cause.</summary>
    public AbiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public AbiException()
        : base("invalid ABI data")
    {
    }
}
