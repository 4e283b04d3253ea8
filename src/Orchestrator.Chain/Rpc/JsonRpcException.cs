using System.Text.Json;
using Orchestrator.Chain.Abi;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Rpc;

/// <summary>
/// The node answered with a JSON-RPC error object (e.g. "nonce too low", an execution revert).
/// These are never retried: the same request would get the same answer.
/// </summary>
public sealed class JsonRpcException : Exception
{
    /// <summary>Creates the exception from the error object's parts.</summary>
    public JsonRpcException(string method, int code, string rpcMessage, JsonElement? data)
        : base($"{method} failed with JSON-RPC error {code}: {rpcMessage}")
    {
        Method = method;
        Code = code;
        RpcMessage = rpcMessage;
        ErrorData = data?.Clone();
    }

    /// <summary>Creates the exception with a message only.</summary>
    public JsonRpcException(string message)
        : this("unknown", 0, message, null)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public JsonRpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Method = "unknown";
        RpcMessage = message;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public JsonRpcException()
        : this("JSON-RPC error")
    {
    }

    /// <summary>The method that failed.</summary>
    public string Method { get; }

    /// <summary>The JSON-RPC error code (-32000 for most node errors, 3 for execution reverts).</summary>
    public int Code { get; }

    /// <summary>The node's message, verbatim.</summary>
    public string RpcMessage { get; }

    /// <summary>The error's data member, when present (revert data for code 3).</summary>
    public JsonElement? ErrorData { get; }

    /// <summary>Revert data carried in <see cref="ErrorData"/> as 0x-hex, or empty.</summary>
    public byte[] RevertData
        => ErrorData is { ValueKind: JsonValueKind.String } data && Hex.TryDecode(data.GetString(), out var bytes, out _) ? bytes : [];

    /// <summary>The Solidity revert reason (Error(string) or Panic), when the data carries one.</summary>
    public string? RevertReason => AbiRevert.TryDecodeReason(RevertData, out var reason) ? reason : null;
}
