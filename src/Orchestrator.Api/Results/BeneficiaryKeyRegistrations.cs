using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using Proto = Orchestrator.Api.Results.V1;

namespace Orchestrator.Api.Results;

/// <summary>
/// Decides a requester's key registration (orchestrator.results.v1 SetBeneficiaryKey and its JSON
/// route) in an order that lets a refused call change and activate nothing: every field parsed, then
/// the key's curve, the expiry and the signature against the claimed requester (pure, no grain), and
/// only then the requester's key grain, which keeps the replay fence.
/// </summary>
internal sealed class BeneficiaryKeyRegistrations(IGrainFactory grains, RequesterDownloads downloads, TimeProvider time)
{
    /// <summary>Registers the key once the request proved it comes from the requester; the registered key.</summary>
    public async Task<Proto.BeneficiaryKey> SetAsync(Proto.SetBeneficiaryKeyRequest request)
    {
        var requester = Require.Address(request.Requester, "requester");
        var publicKey = BeneficiaryKeyRules.Normalize(HexField(request.PublicKey, "public_key", StatusCode.InvalidArgument));
        var signatureBytes = HexField(request.Signature, "signature", StatusCode.Unauthenticated);
        if (!Signature.TryFromBytes65(signatureBytes, out var signature, out var signatureError))
        {
            throw Require.Invalid($"signature: {signatureError}");
        }

        var (chainId, pool) = downloads.Domain;
        var registration = new BeneficiaryKeyRegistration(publicKey, request.Expiry);
        if (BeneficiaryKeyRules.Check(registration, signature!, time.GetUtcNow(), chainId, pool, requester) is { } refusal)
        {
            throw new RpcException(new Status(StatusOf(refusal.Code), refusal.Message));
        }

        var result = await grains.RequesterKey(requester).SetAsync(publicKey, request.Expiry);
        return result.Accepted
            ? ToProto(result.Key!, result.Changed)
            : throw Require.Precondition(result.Error);
    }

    /// <summary>The requester's registered key; NOT_FOUND when none.</summary>
    public async Task<Proto.BeneficiaryKey> GetAsync(Proto.GetBeneficiaryKeyRequest request)
    {
        var requester = Require.Address(request.Requester, "requester");
        var key = await grains.RequesterKey(requester).GetAsync()
            ?? throw Require.NotFound($"requester {requester.ToLowerHex()} registered no beneficiary key (rule: a requester registers it with SetBeneficiaryKey, `orchestrator result register-key`)");
        return ToProto(key, changed: false);
    }

    private static Proto.BeneficiaryKey ToProto(RequesterKey key, bool changed) => new()
    {
        Requester = key.Requester.ToLowerHex(),
        PublicKey = Hex.Encode(key.PublicKey),
        KeyAddress = Address.FromPublicKey(key.PublicKey).ToLowerHex(),
        Expiry = key.Expiry,
        SetAt = Timestamp.FromDateTimeOffset(key.SetAt),
        Changed = changed,
    };

    private static byte[] HexField(string text, string field, StatusCode whenMissing)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new RpcException(new Status(whenMissing, $"{field}: is required (0x-prefixed hex)"));
        }

        return Hex.TryDecode(text, out var bytes, out var error) ? bytes : throw Require.Invalid($"{field}: {error}");
    }

    private static StatusCode StatusOf(BeneficiaryKeyRefusalCode code) => code switch
    {
        BeneficiaryKeyRefusalCode.NotAPublicKey => StatusCode.InvalidArgument,
        BeneficiaryKeyRefusalCode.NotTheRequester => StatusCode.PermissionDenied,
        BeneficiaryKeyRefusalCode.NotNewer => StatusCode.FailedPrecondition,
        _ => StatusCode.Unauthenticated,
    };
}
