using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>Why an owner's signed request was refused.</summary>
public enum OwnerRefusalCode
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>A field is malformed (INVALID_ARGUMENT).</summary>
    Invalid,

    /// <summary>No signature, or one that recovers to no address (UNAUTHENTICATED).</summary>
    BadSignature,

    /// <summary>The request's expiry passed (UNAUTHENTICATED).</summary>
    Expired,

    /// <summary>The expiry is further ahead than <see cref="OwnerSignatureRules.MaxLifetime"/> (UNAUTHENTICATED).</summary>
    TooLongLived,

    /// <summary>The signer is not the owner the request names, or not the registered owner of its target (PERMISSION_DENIED).</summary>
    OwnerMismatch,

    /// <summary>The signer used this nonce before (FAILED_PRECONDITION).</summary>
    Replayed,

    /// <summary>The target is not registered (NOT_FOUND).</summary>
    NotFound,
}

/// <summary>A refused request: the code and a one-line message naming the rule.</summary>
public sealed record OwnerRefusal(OwnerRefusalCode Code, string Message);

/// <summary>
/// Who signed an owner's request, checked from the request alone (pure): fresh, not too long-lived
/// (so the nonces kept against replay stay bounded), and signed by the signer it claims. A server runs
/// this before it reads or activates anything; the nonce and the registry's owner are checked after.
/// </summary>
public static class OwnerSignatureRules
{
    /// <summary>How far ahead an expiry may be; a nonce is remembered that long.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    /// <summary>Null when <paramref name="request"/> is fresh and signed by its claimed signer under the pool's domain; else the refusal.</summary>
    public static OwnerRefusal? Check(IOwnerSigned request, Signature? signature, DateTimeOffset now, ulong chainId, Address verifyingContract)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (signature is null)
        {
            return new(OwnerRefusalCode.BadSignature, "signature: is required (rule: an owner's request carries the owner's EIP-712 signature, 65 bytes r ‖ s ‖ v)");
        }

        var expiry = DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(request.Expiry, (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        if (expiry <= now)
        {
            return new(OwnerRefusalCode.Expired, $"the request expired at {expiry:O} (rule: a signed request is valid only until its expiry; sign a new one)");
        }

        if (expiry - now > MaxLifetime)
        {
            return new(OwnerRefusalCode.TooLongLived, $"the expiry {expiry:O} is more than {MaxLifetime.TotalHours:0} h ahead (rule: a signed request expires within {MaxLifetime.TotalHours:0} h)");
        }

        if (!Secp256k1.TryRecoverAddress(request.SigningDigest(chainId, verifyingContract).ToArray(), signature, out var signer))
        {
            return new(OwnerRefusalCode.BadSignature, "the signature recovers to no key (rule: sign the request's EIP-712 digest under this pool's domain)");
        }

        return signer == request.ClaimedSigner
            ? null
            : new(OwnerRefusalCode.OwnerMismatch,
                $"owner mismatch: the request names {request.ClaimedSigner.ToLowerHex()} but was signed by {signer.ToLowerHex()} (rule: only the owner signs for their assets and secrets, under this pool's domain)");
    }
}
