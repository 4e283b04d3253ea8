using System.Globalization;
using System.Numerics;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Orchestrator.Domain.Secrets;
using Proto = Orchestrator.Api.Registry.V1;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Api.Registry;

/// <summary>
/// The typed-data records of orchestrator.registry.v1 requests, built the same way by the server
/// (to verify) and by clients such as the CLI (to sign): one mapping, so both hash the same bytes.
/// Throws <see cref="FormatException"/> naming the field when a value is malformed.
/// </summary>
public static class RegistryRequests
{
    /// <summary>The canonical text of a wire policy (<see cref="AppPolicyText"/>).</summary>
    public static string PolicyText(SecretsProto.AppPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var draft = new PolicyDraft
        {
            Tee = policy.Tee switch { SecretsProto.TeeKind.Sgx => "Sgx", SecretsProto.TeeKind.Tdx => "Tdx", _ => policy.Tee.ToString() },
            MrEnclaves = [.. policy.MrEnclaves],
            Signers = [.. policy.Signers.Select(s => new SignerDraft(s.MrSigner, (int)Math.Min(s.IsvProdId, int.MaxValue), (int)Math.Min(s.MinIsvSvn, int.MaxValue)))],
            TdxMeasurements = [.. policy.TdxMeasurements.Select(m => new TdxMeasurementRule(m.MrTd, m.Rtmr0, m.Rtmr1, m.Rtmr2, m.Rtmr3))],
            MaxEvidenceAge = policy.MaxEvidenceAge?.ToTimeSpan() ?? TimeSpan.Zero,
        };
        return AppPolicyText.Of(draft, policy.AcceptedTcbStatuses.Select(t => (t.Status, (IReadOnlyList<string>)[.. t.AllowedAdvisoryIds])), policy.AllowDebug, policy.AllowSimulated);
    }

    /// <summary>The signed record of a RegisterApp request.</summary>
    public static AppRegistration App(Proto.RegisterAppRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new AppRegistration(
            Address(request.Owner, "owner"), request.Name, request.Image,
            PolicyText(request.Policy ?? throw new FormatException("policy: is required")),
            Price(request.Price, "price"), request.Signed?.Nonce ?? 0, request.Signed?.Expiry ?? 0);
    }

    /// <summary>The signed record of a RegisterDataset request.</summary>
    public static DatasetRegistration Dataset(Proto.RegisterDatasetRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new DatasetRegistration(
            Address(request.Owner, "owner"), request.Name, Hash(request.Checksum, "checksum"), request.Uri, Price(request.Price, "price"),
            Restrictions(request.Restrictions), request.Signed?.Nonce ?? 0, request.Signed?.Expiry ?? 0);
    }

    /// <summary>The restrictions of a wire message (absent = none).</summary>
    public static DatasetRestrictions Restrictions(Proto.DatasetRestrictions? r) => r is null ? DatasetRestrictions.None : new(
        [.. r.Apps.Select((a, i) => Address(a, $"restrictions.apps[{i}]"))],
        [.. r.AppOwners.Select((a, i) => Address(a, $"restrictions.app_owners[{i}]"))],
        [.. r.Requesters.Select((a, i) => Address(a, $"restrictions.requesters[{i}]"))],
        [.. r.Pools.Select((a, i) => Address(a, $"restrictions.pools[{i}]"))]);

    /// <summary>The signed record of a PushSecret request.</summary>
    public static SecretPush Push(Proto.PushSecretRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var owner = request.Owner ?? throw new FormatException("owner: is required (kind and address)");
        return new SecretPush(Kind(owner.Kind, "owner.kind"), Address(owner.Address, "owner.address"), request.Name,
            Hash(request.ValueHash, "value_hash"), request.Signed?.Nonce ?? 0, request.Signed?.Expiry ?? 0, Address(request.Signer, "signer"));
    }

    /// <summary>The signed record of an owner's read.</summary>
    public static OwnerQuery Query(string action, Proto.OwnerQueryRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var owner = request.Owner ?? throw new FormatException("owner: is required (kind and address)");
        return new OwnerQuery(action, SecretPush.KindText(Kind(owner.Kind, "owner.kind")), Address(owner.Address, "owner.address"),
            request.Signed?.Expiry ?? 0, Address(request.Signer, "signer"));
    }

    /// <summary>A secret owner kind of the wire.</summary>
    public static SecretOwnerKind Kind(SecretsProto.OwnerKind kind, string field) => kind switch
    {
        SecretsProto.OwnerKind.Dataset => SecretOwnerKind.Dataset,
        SecretsProto.OwnerKind.App => SecretOwnerKind.App,
        SecretsProto.OwnerKind.Requester => SecretOwnerKind.Requester,
        _ => throw new FormatException($"{field}: must be OWNER_KIND_DATASET, OWNER_KIND_APP or OWNER_KIND_REQUESTER, got {kind}"),
    };

    /// <summary>A wei amount: empty = 0, else a decimal integer below 2^256.</summary>
    public static BigInteger Price(string text, string field)
    {
        if (string.IsNullOrEmpty(text))
        {
            return BigInteger.Zero;
        }

        return text.All(char.IsAsciiDigit) && text.Length <= 78 && BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value.GetByteCount(isUnsigned: true) <= 32
            ? value
            : throw new FormatException($"{field}: '{(text.Length > 80 ? text[..80] + "…" : text)}' must be a decimal number of wei below 2^256");
    }

    private static Address Address(string text, string field)
        => Orchestrator.Domain.Crypto.Address.TryParse(text, out var address, out var error)
            ? address
            : throw new FormatException($"{field}: {(string.IsNullOrEmpty(text) ? "is required" : error)}");

    private static Hash32 Hash(string text, string field)
        => Hash32.TryParse(text, out var hash, out var error) ? hash : throw new FormatException($"{field}: {(string.IsNullOrEmpty(text) ? "is required" : error)} (0x followed by 64 hex digits)");
}
