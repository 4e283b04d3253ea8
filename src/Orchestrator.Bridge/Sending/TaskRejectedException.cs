namespace Orchestrator.Bridge.Sending;

/// <summary>
/// A task the chain will never accept as it is (the contract's reason, or a malformed event). Not
/// retried: its message goes to the error queue with this message as the reason.
/// </summary>
public sealed class TaskRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TaskRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TaskRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public TaskRejectedException()
    {
    }
}
