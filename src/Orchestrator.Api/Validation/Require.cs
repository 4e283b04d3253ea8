using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Validation;

/// <summary>
/// Request checks that end a call with INVALID_ARGUMENT naming the field and what was wrong, so a
/// person can fix the request from the message alone. Every value from the wire goes through here.
/// </summary>
internal static class Require
{
    /// <summary>An Ethereum address.</summary>
    public static Address Address(string value, string field)
        => Orchestrator.Domain.Crypto.Address.TryParse(value, out var address, out var error)
            ? address
            : throw Invalid($"{field}: {(string.IsNullOrEmpty(value) ? "is required" : error)} (got \"{Clip(value)}\")");

    /// <summary>An address, or the zero address when empty.</summary>
    public static Address AddressOrZero(string value, string field)
        => string.IsNullOrEmpty(value) ? Orchestrator.Domain.Crypto.Address.Zero : Address(value, field);

    /// <summary>A 32-byte id or hash.</summary>
    public static Hash32 Hash(string value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Invalid($"{field}: is required (0x followed by 64 hex digits)");
        }

        return Hash32.TryParse(value, out var hash, out var error)
            ? hash
            : throw Invalid($"{field}: {error} (got \"{Clip(value)}\"); expected 0x followed by 64 hex digits");
    }

    /// <summary>A 65-byte r ‖ s ‖ v signature.</summary>
    public static Signature Signature(ByteString value, string field)
    {
        if (value.IsEmpty)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"{field}: is required (65 bytes r ‖ s ‖ v)"));
        }

        return Orchestrator.Domain.Crypto.Signature.TryFromBytes65(value.Span, out var signature, out var error)
            ? signature!
            : throw Invalid($"{field}: {error}");
    }

    /// <summary>A string of at most <paramref name="max"/> characters.</summary>
    public static string Text(string value, int max, string field)
        => value.Length <= max ? value : throw Invalid($"{field}: at most {max} characters, got {value.Length}");

    /// <summary>An integer within a range.</summary>
    public static int Range(int value, int min, int max, string field)
        => value >= min && value <= max ? value : throw Invalid($"{field}: must be {min}..{max}, got {value}");

    /// <summary>A list of at most <paramref name="max"/> items.</summary>
    public static void Count<T>(IReadOnlyCollection<T> items, int min, int max, string field)
    {
        if (items.Count < min || items.Count > max)
        {
            throw Invalid($"{field}: {min}..{max} entries, got {items.Count}");
        }
    }

    /// <summary>A defined enum value.</summary>
    public static TEnum Defined<TEnum>(TEnum value, string field)
        where TEnum : struct, Enum
        => Enum.IsDefined(value) ? value : throw Invalid($"{field}: unknown value {Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>A byte string of at most <paramref name="max"/> bytes.</summary>
    public static ByteString Bytes(ByteString value, int max, string field)
        => value.Length <= max ? value : throw Invalid($"{field}: at most {max} bytes, got {value.Length}");

    /// <summary>An INVALID_ARGUMENT error.</summary>
    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    /// <summary>A NOT_FOUND error.</summary>
    public static RpcException NotFound(string message) => new(new Status(StatusCode.NotFound, message));

    /// <summary>A FAILED_PRECONDITION error.</summary>
    public static RpcException Precondition(string message) => new(new Status(StatusCode.FailedPrecondition, message));

    private static string Clip(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
