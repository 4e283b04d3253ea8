using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Deals;

/// <summary>
/// Who may read a deal's results. A TEE deal exists to keep data confidential, so its results leave
/// the enclave only encrypted for the beneficiary's key, unless the requester says explicitly that
/// they are public; a deal without TEE may name a key too.
/// </summary>
public static class ResultPrivacy
{
    /// <summary>The one encryption label a result or logs object may carry: ECIES on secp256k1 with AES-256-GCM, version 1 (<see cref="Ecies"/>).</summary>
    public const string EciesLabel = "ecies-secp256k1-aes256gcm-v1";

    /// <summary>Null when the deal's result terms are acceptable; else a one-line error naming the rule.</summary>
    public static string? Check(TeeTag tag, byte[]? beneficiaryKey, bool publicResults)
    {
        if (beneficiaryKey is not null && !Secp256k1.IsPublicKey(beneficiaryKey))
        {
            return $"beneficiaryKey: {beneficiaryKey.Length} bytes that are not a secp256k1 public key (rule: 64 bytes X ‖ Y of a point on the curve)";
        }

        if (beneficiaryKey is not null && publicResults)
        {
            return "beneficiaryKey and publicResults exclude each other (rule: results are either encrypted for the beneficiary or public)";
        }

        if (tag.RequiresTee && beneficiaryKey is null && !publicResults)
        {
            return "a TEE deal needs a beneficiaryKey: name one in the deal, or have its requester register theirs once (`orchestrator result register-key`); "
                + "or set publicResults explicitly (rule: TEE results leave the enclave only encrypted for the beneficiary unless the requester makes them public)";
        }

        return null;
    }
}
