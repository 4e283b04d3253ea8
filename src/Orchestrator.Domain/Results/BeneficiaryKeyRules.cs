using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Results;

/// <summary>Why a beneficiary key registration was refused.</summary>
public enum BeneficiaryKeyRefusalCode
{
    /// <summary>The key is not a secp256k1 public key (INVALID_ARGUMENT).</summary>
    NotAPublicKey,

    /// <summary>The registration's expiry passed (UNAUTHENTICATED).</summary>
    Expired,

    /// <summary>The expiry is further ahead than <see cref="BeneficiaryKeyRules.MaxLifetime"/> (UNAUTHENTICATED).</summary>
    TooLongLived,

    /// <summary>The signature recovers to no address (UNAUTHENTICATED).</summary>
    BadSignature,

    /// <summary>The signer is not the requester the key would be registered for (PERMISSION_DENIED).</summary>
    NotTheRequester,

    /// <summary>A registration at least as new was already accepted: a replay or an out-of-order one (FAILED_PRECONDITION).</summary>
    NotNewer,
}

/// <summary>A refused registration: the code and a one-line message naming the rule.</summary>
public sealed record BeneficiaryKeyRefusal(BeneficiaryKeyRefusalCode Code, string Message);

/// <summary>
/// When a <see cref="BeneficiaryKeyRegistration"/> is accepted. <see cref="Check"/> needs the request
/// alone, so a server runs it before it reads or activates anything; <see cref="CheckNewer"/> needs the
/// requester's last accepted registration and runs where that is kept.
/// </summary>
public static class BeneficiaryKeyRules
{
    /// <summary>How far ahead an expiry may be: a signed registration is presented once, soon after signing.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(1);

    /// <summary>
    /// Null when <paramref name="registration"/> names a public key, is fresh at <paramref name="now"/>
    /// and <paramref name="signature"/> (under the pool's domain) comes from <paramref name="requester"/>; else the refusal.
    /// </summary>
    public static BeneficiaryKeyRefusal? Check(
        BeneficiaryKeyRegistration registration, Signature signature, DateTimeOffset now, ulong chainId, Address verifyingContract, Address requester)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (!Secp256k1.IsPublicKey(registration.PublicKey))
        {
            return new(BeneficiaryKeyRefusalCode.NotAPublicKey,
                $"publicKey: {registration.PublicKey.Length} bytes that are not a secp256k1 public key (rule: 64 bytes X ‖ Y of a point on the curve, or 65 with the 04 prefix)");
        }

        var expiry = DateTimeOffset.FromUnixTimeSeconds((long)Math.Min(registration.Expiry, (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds()));
        if (expiry <= now)
        {
            return new(BeneficiaryKeyRefusalCode.Expired,
                $"the registration expired at {expiry:O} (rule: a signed key registration is valid only until its expiry; sign a new one)");
        }

        if (expiry - now > MaxLifetime)
        {
            return new(BeneficiaryKeyRefusalCode.TooLongLived,
                $"the registration's expiry {expiry:O} is more than {MaxLifetime.TotalHours:0} h ahead (rule: a signed key registration lives at most {MaxLifetime.TotalHours:0} h)");
        }

        if (!Secp256k1.TryRecoverAddress(registration.SigningDigest(chainId, verifyingContract).ToArray(), signature, out var signer))
        {
            return new(BeneficiaryKeyRefusalCode.BadSignature,
                "the signature recovers to no address (rule: sign the EIP-712 BeneficiaryKeyRegistration of this pool's domain, README \"Register your key once\")");
        }

        if (signer != requester)
        {
            return new(BeneficiaryKeyRefusalCode.NotTheRequester,
                $"{signer.ToLowerHex()} signed a key registration for requester {requester.ToLowerHex()} (rule: only a requester registers its own key; a signature for another pool or chain recovers to another address)");
        }

        return null;
    }

    /// <summary>
    /// Null when <paramref name="registration"/> may replace the last accepted one (expiry
    /// <paramref name="lastExpiry"/>, 0 when none): its expiry is later. The same registration again is
    /// not a change and not refused (<paramref name="isRepeat"/>), so a client's retry succeeds.
    /// </summary>
    public static BeneficiaryKeyRefusal? CheckNewer(BeneficiaryKeyRegistration registration, ulong lastExpiry, byte[]? lastKey, out bool isRepeat)
    {
        ArgumentNullException.ThrowIfNull(registration);
        isRepeat = registration.Expiry == lastExpiry && lastKey is not null && registration.PublicKey.AsSpan().SequenceEqual(lastKey);
        if (isRepeat || registration.Expiry > lastExpiry)
        {
            return null;
        }

        return new(BeneficiaryKeyRefusalCode.NotNewer,
            $"a registration with expiry {registration.Expiry} is not newer than the one accepted (expiry {lastExpiry}) (rule: a key registration replaces the last only with a later expiry; an old one replayed is refused: sign a new one)");
    }

    /// <summary>The 64-byte X ‖ Y form of a public key given as 64 bytes or 65 with the uncompressed 04 prefix.</summary>
    public static byte[] Normalize(byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return publicKey.Length == 65 && publicKey[0] == 0x04 ? publicKey[1..] : publicKey;
    }
}
