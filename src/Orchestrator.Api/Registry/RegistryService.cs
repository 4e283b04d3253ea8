using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Secrets;
using Orchestrator.Api.Validation;
using Orchestrator.Api.Workers;
using Orchestrator.Attestation.Policy;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Orchestrator.Domain.Secrets;
using Proto = Orchestrator.Api.Registry.V1;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Api.Registry;

/// <summary>
/// orchestrator.registry.v1.Registry: apps, datasets and secrets written by their owners' EIP-712
/// signatures, never by the pool's token. Every call is checked in an order that lets a refused one
/// change nothing: every field parsed, then the signature (pure), then the registry's owner of the
/// target, and only then the signer's nonce is spent and the grain written.
/// </summary>
internal sealed class RegistryService(IGrainFactory grains, IOptions<ApiOptions> options, TimeProvider time) : Proto.Registry.RegistryBase
{
    /// <summary>The largest encrypted value accepted: a 64 KiB secret and the ECIES overhead.</summary>
    public const int MaxEncryptedBytes = SecretsAdminService.MaxValueBytes + Ecies.Overhead;

    private const int MaxUriLength = 2048;

    public override async Task<Proto.App> RegisterApp(Proto.RegisterAppRequest request, ServerCallContext context)
    {
        var registration = Parse(() => RegistryRequests.App(request));
        var problems = new List<string>();
        if (AssetNames.Problem(registration.Name) is { } nameProblem) problems.Add(nameProblem);
        if (ImageReference.Problem(registration.Image) is { } imageProblem) problems.Add(imageProblem);
        var app = AssetAddresses.App(registration.Owner, registration.Name);
        request.Policy.App = app.ToLowerHex();
        var policy = SecretsMapping.ToPolicy(request.Policy);
        problems.AddRange(AppPolicyRules.Validate(ToDraft(policy)).Select(p => "policy: " + p));
        if (problems.Count > 0)
        {
            throw Require.Invalid(string.Join("; ", problems));
        }

        Authenticate(registration, request.Signed);
        await SpendNonceAsync(registration);
        var result = await grains.AppRegistry(app).RegisterAsync(registration.Owner, registration.Name, registration.Image, policy, registration.Price.ToString(System.Globalization.CultureInfo.InvariantCulture), "api");
        return RegistryMapping.ToProto(Accepted(result));
    }

    public override async Task<Proto.App> GetApp(Proto.GetAssetRequest request, ServerCallContext context)
    {
        var app = Require.Address(request.Address, "address");
        return await grains.FindAppAsync(app) is { } record
            ? RegistryMapping.ToProto(record)
            : throw Require.NotFound($"app {app.ToLowerHex()} is not registered (rule: its owner registers it, `orchestrator app register`)");
    }

    public override async Task<Proto.ListAppsReply> ListApps(Proto.ListAssetsRequest request, ServerCallContext context)
    {
        var (size, after) = PageOf(request);
        var all = await grains.RegistryIndex("apps").ListAsync();
        var (page, next) = AddressPaging.Of(all, after, size);
        var records = await Task.WhenAll(page.Select(a => grains.AppRegistry(a).GetAsync()));
        var reply = new Proto.ListAppsReply { Total = all.Count, NextPageToken = next?.ToLowerHex() ?? string.Empty };
        reply.Apps.AddRange(records.OfType<AppRecord>().Select(RegistryMapping.ToProto));
        return reply;
    }

    public override async Task<Proto.Dataset> RegisterDataset(Proto.RegisterDatasetRequest request, ServerCallContext context)
    {
        var registration = Parse(() => RegistryRequests.Dataset(request));
        if (AssetNames.Problem(registration.Name) is { } nameProblem)
        {
            throw Require.Invalid(nameProblem);
        }

        if (string.IsNullOrEmpty(registration.Uri) || registration.Uri.Length > MaxUriLength || !Uri.TryCreate(registration.Uri, UriKind.Absolute, out _))
        {
            throw Require.Invalid($"uri: must be an absolute URI of at most {MaxUriLength} characters (where workers download the encrypted file)");
        }

        Authenticate(registration, request.Signed);
        await SpendNonceAsync(registration);
        var dataset = AssetAddresses.Dataset(registration.Owner, registration.Name);
        var result = await grains.DatasetRegistry(dataset).RegisterAsync(registration.Owner, registration.Name, registration.Checksum, registration.Uri,
            registration.Price.ToString(System.Globalization.CultureInfo.InvariantCulture), DatasetAccess.Of(registration.Restrictions), "api");
        return RegistryMapping.ToProto(Accepted(result));
    }

    public override async Task<Proto.Dataset> GetDataset(Proto.GetAssetRequest request, ServerCallContext context)
    {
        var dataset = Require.Address(request.Address, "address");
        return await grains.FindDatasetAsync(dataset) is { } record
            ? RegistryMapping.ToProto(record)
            : throw Require.NotFound($"dataset {dataset.ToLowerHex()} is not registered (rule: its owner registers it, `orchestrator dataset register`)");
    }

    public override async Task<Proto.ListDatasetsReply> ListDatasets(Proto.ListAssetsRequest request, ServerCallContext context)
    {
        var (size, after) = PageOf(request);
        var all = await grains.RegistryIndex("datasets").ListAsync();
        var (page, next) = AddressPaging.Of(all, after, size);
        var records = await Task.WhenAll(page.Select(a => grains.DatasetRegistry(a).GetAsync()));
        var reply = new Proto.ListDatasetsReply { Total = all.Count, NextPageToken = next?.ToLowerHex() ?? string.Empty };
        reply.Datasets.AddRange(records.OfType<DatasetRecord>().Select(RegistryMapping.ToProto));
        return reply;
    }

    /// <summary>The page a list request asks for; INVALID_ARGUMENT naming the field when malformed.</summary>
    private static (int Size, Address? After) PageOf(Proto.ListAssetsRequest request)
    {
        var size = request.PageSize == 0 ? AddressPaging.DefaultSize : Require.Range(request.PageSize, 1, AddressPaging.MaxSize, "page_size");
        if (request.PageToken.Length == 0)
        {
            return (size, null);
        }

        return Address.TryParse(request.PageToken, out var after, out _)
            ? (size, after)
            : throw Require.Invalid($"page_token: \"{(request.PageToken.Length > 50 ? request.PageToken[..50] + "…" : request.PageToken)}\" is not a token this server issued (use next_page_token)");
    }

    public override async Task<Proto.PushKey> GetPushKey(Proto.GetPushKeyRequest request, ServerCallContext context)
        => new() { PublicKey = Hex.Encode(await GuardAsync(() => grains.PushKey().GetPublicKeyAsync())) };

    public override async Task<SecretsProto.SecretInfo> PushSecret(Proto.PushSecretRequest request, ServerCallContext context)
    {
        var push = Parse(() => RegistryRequests.Push(request));
        var name = SecretsMapping.Name(request.Name, "name");
        if (request.EncryptedValue.Length is <= Ecies.Overhead or > MaxEncryptedBytes)
        {
            throw Require.Invalid($"encrypted_value: {Ecies.Overhead + 1}..{MaxEncryptedBytes} bytes (ECIES of a 1 byte..64 KiB value to the push key), got {request.EncryptedValue.Length}");
        }

        Authenticate(push, request.Signed);
        var owner = new SecretOwner(push.Kind, push.Target);
        await RequireOwnerAsync(owner, push.Signer);
        await SpendNonceAsync(push);
        var stored = await GuardAsync(() => grains.Secrets(owner).PushAsync(name, request.EncryptedValue.ToByteArray(), push.ValueHash));
        return SecretsMapping.ToProto(stored);
    }

    public override async Task<SecretsProto.ListSecretsReply> ListOwnerSecrets(Proto.OwnerQueryRequest request, ServerCallContext context)
    {
        var query = Parse(() => RegistryRequests.Query(OwnerQuery.ListSecrets, request));
        Authenticate(query, request.Signed);
        var owner = new SecretOwner(RegistryRequests.Kind(request.Owner.Kind, "owner.kind"), query.Target);
        await RequireOwnerAsync(owner, query.Signer);
        var reply = new SecretsProto.ListSecretsReply();
        reply.Secrets.AddRange((await grains.Secrets(owner).ListAsync()).Select(SecretsMapping.ToProto));
        return reply;
    }

    public override async Task<Proto.OwnerAudit> GetOwnerAudit(Proto.OwnerQueryRequest request, ServerCallContext context)
    {
        var query = Parse(() => RegistryRequests.Query(OwnerQuery.AuditSecrets, request));
        Authenticate(query, request.Signed);
        var owner = new SecretOwner(RegistryRequests.Kind(request.Owner.Kind, "owner.kind"), query.Target);
        await RequireOwnerAsync(owner, query.Signer);
        var reply = new Proto.OwnerAudit();
        reply.Entries.AddRange((await grains.Secrets(owner).GetAuditAsync()).Select(SecretsMapping.ToProto));
        return reply;
    }

    /// <summary>The signer must be the owner of the secret's target as the registry knows it (a requester owns their own address).</summary>
    private async Task RequireOwnerAsync(SecretOwner owner, Address signer)
    {
        var registered = owner.Kind switch
        {
            SecretOwnerKind.App => (await grains.AppRegistry(owner.Address).GetAsync())?.Owner,
            SecretOwnerKind.Dataset => (await grains.DatasetRegistry(owner.Address).GetAsync())?.Owner,
            _ => owner.Address,
        };
        if (registered is null)
        {
            throw Require.NotFound($"{SecretPush.KindText(owner.Kind)} {owner.Address.ToLowerHex()} is not registered (rule: only a registered {SecretPush.KindText(owner.Kind)}'s owner holds its secrets)");
        }

        if (registered != signer)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"owner mismatch: {SecretPush.KindText(owner.Kind)} {owner.Address.ToLowerHex()} belongs to {registered.Value.ToLowerHex()}, not {signer.ToLowerHex()} (rule: only the owner pushes or reads their secrets)"));
        }
    }

    private void Authenticate(IOwnerSigned request, Proto.Signed? signed)
    {
        Signature? signature = null;
        if (signed is not null && !signed.Signature.IsEmpty)
        {
            signature = Signature.TryFromBytes65(signed.Signature.Span, out var parsed, out var error) ? parsed : throw Require.Invalid($"signed.signature: {error}");
        }

        var binding = SessionBinding.Of(options.Value);
        if (OwnerSignatureRules.Check(request, signature, time.GetUtcNow(), binding.ChainId, binding.Pool) is { } refusal)
        {
            throw Refused(refusal.Code, refusal.Message);
        }
    }

    private async Task SpendNonceAsync(IOwnerSigned request)
    {
        var expiry = DateTimeOffset.FromUnixTimeSeconds((long)request.Expiry);
        if (!await grains.OwnerNonces(request.ClaimedSigner).TryUseAsync(request.Nonce, expiry))
        {
            throw Refused(OwnerRefusalCode.Replayed, $"nonce {request.Nonce} of {request.ClaimedSigner.ToLowerHex()} was used before (rule: each signed request carries a nonce its signer never used; a replay is refused)");
        }
    }

    private static T Accepted<T>(RegistryResult<T> result)
        where T : class
        => result.Record ?? throw Refused(result.Refusal, result.Error);

    internal static RpcException Refused(OwnerRefusalCode code, string message) => new(new Status(code switch
    {
        OwnerRefusalCode.Invalid => StatusCode.InvalidArgument,
        OwnerRefusalCode.OwnerMismatch => StatusCode.PermissionDenied,
        OwnerRefusalCode.Replayed => StatusCode.FailedPrecondition,
        OwnerRefusalCode.NotFound => StatusCode.NotFound,
        _ => StatusCode.Unauthenticated,
    }, message));

    private static T Parse<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (FormatException ex)
        {
            throw Require.Invalid(ex.Message);
        }
    }

    private static async Task<T> GuardAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ArgumentException ex)
        {
            throw Require.Invalid(ex.Message);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("master key", StringComparison.Ordinal))
        {
            throw Require.Precondition(ex.Message);
        }
    }

    private static PolicyDraft ToDraft(AppAttestationPolicy policy) => new()
    {
        Tee = policy.Tee.ToString(),
        MrEnclaves = policy.MrEnclaves,
        Signers = [.. policy.Signers.Select(s => new SignerDraft(s.MrSigner, s.IsvProdId, s.MinIsvSvn))],
        TdxMeasurements = [.. policy.TdxMeasurements.Select(m => new TdxMeasurementRule(m.MrTd, m.Rtmr0, m.Rtmr1, m.Rtmr2, m.Rtmr3))],
        TcbStatuses = [.. policy.AcceptedTcbStatuses.Select(s => s.Status)],
        MaxEvidenceAge = policy.MaxEvidenceAge,
    };
}
