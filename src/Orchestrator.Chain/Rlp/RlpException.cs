namespace Orchestrator.Chain.Rlp;

/// <summary>Raised when bytes are not canonical RLP or an item does not have the expected shape.</summary>
public sealed class RlpException : FormatException
{
    /// <summary>Creates the exception with a reason a person can act on.</summary>
    public RlpException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and an inner cause.</summary>
    public RlpException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public RlpException()
        : base("invalid RLP")
    {
    }
}
