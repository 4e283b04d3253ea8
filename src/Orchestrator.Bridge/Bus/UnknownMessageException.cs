namespace Orchestrator.Bridge.Bus;

/// <summary>A message reached a bridge queue that no consumer there handles (an unknown type or version).</summary>
public sealed class UnknownMessageException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnknownMessageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownMessageException()
    {
    }
}
