namespace Orchestrator.Chain.Transactions;

/// <summary>Raised when raw bytes are not a well-formed, validly signed transaction; the message says why.</summary>
public sealed class TransactionFormatException : FormatException
{
    /// <summary>Creates the exception with the reason.</summary>
    public TransactionFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the reason and its cause.</summary>
    public TransactionFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public TransactionFormatException()
        : base("invalid transaction")
    {
    }
}
