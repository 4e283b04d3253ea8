using System.Net;

namespace Orchestrator.Chain.Rpc;

/// <summary>
/// The node could not be reached or did not give a usable JSON-RPC answer (connection failure,
/// timeout, HTTP error status, malformed body). Raised after the retries allowed for transient causes.
/// </summary>
public sealed class RpcTransportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RpcTransportException(string message, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public RpcTransportException(string message)
        : this(message, null, null)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public RpcTransportException(string message, Exception innerException)
        : this(message, null, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public RpcTransportException()
        : this("the JSON-RPC endpoint failed")
    {
    }

    /// <summary>The HTTP status of the last attempt, when one was received.</summary>
    public HttpStatusCode? StatusCode { get; }
}
