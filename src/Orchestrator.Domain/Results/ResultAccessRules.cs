using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Results;

/// <summary>Why a signed result request was refused.</summary>
public enum ResultAccessRefusalCode
{
    /// <summary>The request's expiry passed (UNAUTHENTICATED).</summary>
    Expired,

    /// <summary>The expiry is further ahead than <see cref="ResultAccessRules.MaxLifetime"/> (UNAUTHENTICATED).</summary>
    TooLongLived,

    /// <summary>The signature recovers to no address (UNAUTHENTICATED).</summary>
    BadSignature,

    /// <summary>The signer is neither the deal's requester nor its beneficiary key's address (PERMISSION_DENIED).</summary>
    NotRequesterOrBeneficiary,
}

/// <summary>A refused request: the code and a one-line message naming the rule.</summary>
public sealed record ResultAccessRefusal(ResultAccessRefusalCode Code, string Message);

/// <summary>
/// Who may download a task's result and logs without the pool owner: whoever signs a fresh
/// <see cref="ResultRequest"/> with the deal's requester key or its beneficiary key. Checked with
/// the deal's terms alone, before anything else is read or changed.
/// </summary>
public static class ResultAccessRules
{
    /// <summary>How far ahead an expiry may be: a signed request is a short-lived capability, not a standing credential.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    /// <summary>
    /// The signer when <paramref name="signature"/> over <paramref name="request"/> (for the pool
    /// <paramref name="verifyingContract"/> on <paramref name="chainId"/>) is valid at <paramref name="now"/>
    /// and comes from <paramref name="requester"/> or the address of <paramref name="beneficiaryKey"/>; else the refusal.
    /// </summary>
    public static ResultAccessRefusal? Check(
        ResultRequest request, Signature signature, DateTimeOffset now, ulong chainId, Address verifyingContract,
        Address requester, byte[]? beneficiaryKey, out Address signer)
        => Authenticate(request, signature, now, chainId, verifyingContract, out signer)
            ?? Authorize(request.TaskId, signer, requester, beneficiaryKey);

    /// <summary>
    /// The first half, needing nothing but the request: fresh (not expired, not too long-lived) and
    /// signed by someone (<paramref name="signer"/>). Servers run it before they read anything.
    /// </summary>
    public static ResultAccessRefusal? Authenticate(
        ResultRequest request, Signature signature, DateTimeOffset now, ulong chainId, Address verifyingContract, out Address signer)
    {
        ArgumentNullException.ThrowIfNull(request);
        signer = Address.Zero;
        var expiry = DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(request.Expiry, (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        if (expiry <= now)
        {
            return new(ResultAccessRefusalCode.Expired,
                $"the request expired at {expiry:O} (rule: a signed result request is valid only until its expiry; sign a new one)");
        }

        if (expiry - now > MaxLifetime)
        {
            return new(ResultAccessRefusalCode.TooLongLived,
                $"the request's expiry {expiry:O} is more than {MaxLifetime.TotalHours:0} h ahead (rule: a signed result request lives at most {MaxLifetime.TotalHours:0} h)");
        }

        if (!Secp256k1.TryRecoverAddress(request.SigningDigest(chainId, verifyingContract).ToArray(), signature, out signer))
        {
            return new(ResultAccessRefusalCode.BadSignature,
                "the signature recovers to no address (rule: sign the EIP-712 ResultRequest of this pool's domain, README \"Requesters download without the pool owner\")");
        }

        return null;
    }

    /// <summary>The second half, with the deal's terms: the signer is its requester or its beneficiary key's address.</summary>
    public static ResultAccessRefusal? Authorize(Hash32 taskId, Address signer, Address requester, byte[]? beneficiaryKey)
    {
        var beneficiary = beneficiaryKey is { Length: 64 } key ? Address.FromPublicKey(key) : (Address?)null;
        if (signer != requester && signer != beneficiary)
        {
            return new(ResultAccessRefusalCode.NotRequesterOrBeneficiary,
                $"{signer.ToLowerHex()} signed the request, but task {taskId}'s deal belongs to requester {requester.ToLowerHex()}"
                + (beneficiary is { } b ? $" with beneficiary {b.ToLowerHex()}" : string.Empty)
                + " (rule: only the deal's requester or beneficiary downloads its results; a signature for another pool or chain recovers to another address)");
        }

        return null;
    }

    /// <summary>True when the refusal is about who asks (PERMISSION_DENIED); false when the request itself does not authenticate (UNAUTHENTICATED).</summary>
    public static bool IsPermission(this ResultAccessRefusalCode code) => code == ResultAccessRefusalCode.NotRequesterOrBeneficiary;
}
