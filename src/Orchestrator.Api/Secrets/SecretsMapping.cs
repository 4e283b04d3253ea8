using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Secrets;
using Proto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Api.Secrets;

/// <summary>Between orchestrator.secrets.v1 messages and the grains' records; every wire value is checked on the way in.</summary>
internal static class SecretsMapping
{
    public static SecretOwner Owner(Proto.Owner? owner, string field)
    {
        if (owner is null)
        {
            throw Require.Invalid($"{field}: is required (kind and address)");
        }

        var kind = owner.Kind switch
        {
            Proto.OwnerKind.Dataset => SecretOwnerKind.Dataset,
            Proto.OwnerKind.App => SecretOwnerKind.App,
            Proto.OwnerKind.Requester => SecretOwnerKind.Requester,
            _ => throw Require.Invalid($"{field}.kind: must be OWNER_KIND_DATASET, OWNER_KIND_APP or OWNER_KIND_REQUESTER, got {owner.Kind}"),
        };
        return new SecretOwner(kind, Require.Address(owner.Address, $"{field}.address"));
    }

    public static Proto.Owner ToProto(SecretOwner owner) => new()
    {
        Kind = owner.Kind switch { SecretOwnerKind.Dataset => Proto.OwnerKind.Dataset, SecretOwnerKind.App => Proto.OwnerKind.App, _ => Proto.OwnerKind.Requester },
        Address = owner.Address.ToLowerHex(),
    };

    public static Proto.SecretInfo ToProto(SecretMetadata m) => new()
    {
        Owner = ToProto(m.Owner),
        Name = m.Name,
        Version = m.Version,
        MasterKeyId = m.MasterKeyId,
        CreatedAt = Timestamp.FromDateTimeOffset(m.CreatedAt),
        UpdatedAt = Timestamp.FromDateTimeOffset(m.UpdatedAt),
        Length = m.Length,
    };

    public static string Name(string name, string field)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 128 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw Require.Invalid($"{field}: 1..128 characters of letters, digits, '.', '_' or '-' (got \"{(name.Length > 40 ? name[..40] + "…" : name)}\")");
        }

        return name;
    }

    public static AppAttestationPolicy ToPolicy(Proto.AppPolicy? p)
    {
        if (p is null)
        {
            throw Require.Invalid("policy: is required");
        }

        var tee = p.Tee switch
        {
            Proto.TeeKind.Sgx => TeeKind.Sgx,
            Proto.TeeKind.Tdx => TeeKind.Tdx,
            _ => throw Require.Invalid($"policy.tee: must be TEE_KIND_SGX or TEE_KIND_TDX, got {p.Tee}"),
        };
        return new AppAttestationPolicy
        {
            App = Require.Address(p.App, "policy.app"),
            Tee = tee,
            MrEnclaves = [.. p.MrEnclaves],
            Signers = [.. p.Signers.Select(s => new SgxSigner(s.MrSigner, (int)Math.Min(s.IsvProdId, int.MaxValue), (int)Math.Min(s.MinIsvSvn, int.MaxValue)))],
            TdxMeasurements = [.. p.TdxMeasurements.Select(m => new TdxMeasurement(m.MrTd, Empty(m.Rtmr0), Empty(m.Rtmr1), Empty(m.Rtmr2), Empty(m.Rtmr3)))],
            AcceptedTcbStatuses = [.. p.AcceptedTcbStatuses.Select(s => new TcbStatusAllowance(s.Status, s.AllowedAdvisoryIds.Count == 0 ? null : [.. s.AllowedAdvisoryIds]))],
            MaxEvidenceAge = p.MaxEvidenceAge?.ToTimeSpan() ?? TimeSpan.Zero,
            AllowDebug = p.AllowDebug,
            AllowSimulated = p.AllowSimulated,
        };
    }

    public static Proto.AppPolicy ToProto(AppAttestationPolicy p)
    {
        var proto = new Proto.AppPolicy
        {
            App = p.App.ToLowerHex(),
            Tee = p.Tee == TeeKind.Tdx ? Proto.TeeKind.Tdx : Proto.TeeKind.Sgx,
            AllowDebug = p.AllowDebug,
            AllowSimulated = p.AllowSimulated,
            Version = p.Version,
            UpdatedAt = Timestamp.FromDateTimeOffset(p.UpdatedAt),
        };
        if (p.MaxEvidenceAge > TimeSpan.Zero)
        {
            proto.MaxEvidenceAge = Duration.FromTimeSpan(p.MaxEvidenceAge);
        }

        proto.MrEnclaves.AddRange(p.MrEnclaves);
        proto.Signers.AddRange(p.Signers.Select(s => new Proto.SgxSigner { MrSigner = s.MrSigner, IsvProdId = (uint)s.IsvProdId, MinIsvSvn = (uint)s.MinIsvSvn }));
        proto.TdxMeasurements.AddRange(p.TdxMeasurements.Select(m => new Proto.TdxMeasurement { MrTd = m.MrTd, Rtmr0 = m.Rtmr0 ?? "", Rtmr1 = m.Rtmr1 ?? "", Rtmr2 = m.Rtmr2 ?? "", Rtmr3 = m.Rtmr3 ?? "" }));
        foreach (var s in p.AcceptedTcbStatuses)
        {
            var allowance = new Proto.TcbStatusAllowance { Status = s.Status };
            allowance.AllowedAdvisoryIds.AddRange(s.AllowedAdvisoryIds ?? []);
            proto.AcceptedTcbStatuses.Add(allowance);
        }

        return proto;
    }

    public static Proto.TaskAudit ToProto(TaskSecretsView view)
    {
        var audit = new Proto.TaskAudit
        {
            TaskId = view.TaskId.ToString(),
            EnclaveChallenge = view.Terms is null ? string.Empty : view.EnclaveChallenge.ToLowerHex(),
            UnrecordedRefusals = view.UnrecordedRefusals,
        };
        if (view.Terms is { } terms)
        {
            audit.FinalDeadline = Timestamp.FromDateTimeOffset(terms.FinalDeadline);
        }

        audit.Entries.AddRange(view.Audit.Select(ToProto));
        return audit;
    }

    public static Proto.AuditEntry ToProto(SecretAuditEntry e)
    {
        var entry = new Proto.AuditEntry
        {
            At = Timestamp.FromDateTimeOffset(e.At),
            TaskId = e.TaskId.ToString(),
            Worker = e.Worker.ToLowerHex(),
            SessionId = e.SessionId,
            Measurement = e.Measurement,
            Granted = e.Granted,
            Refusal = e.Granted ? string.Empty : e.Refusal.ToString(),
            Message = e.Message,
        };
        entry.Released.AddRange(e.Released);
        return entry;
    }

    public static Proto.WorkerAttestation ToProto(WorkerAttestation a, DateTimeOffset now, TimeSpan maxAge)
    {
        var proto = new Proto.WorkerAttestation
        {
            Verified = a.Verified,
            Failure = a.Failure ?? string.Empty,
            Tee = a.Tee == TeeKind.Tdx ? Proto.TeeKind.Tdx : a.Tee == TeeKind.Sgx ? Proto.TeeKind.Sgx : Proto.TeeKind.Unspecified,
            TcbStatus = a.TcbStatus ?? string.Empty,
            MrEnclave = a.MrEnclave ?? string.Empty,
            MrSigner = a.MrSigner ?? string.Empty,
            IsvProdId = (uint)a.IsvProdId,
            IsvSvn = (uint)a.IsvSvn,
            MrTd = a.MrTd ?? string.Empty,
            Debug = a.Debug,
            Simulated = a.Simulated,
            VerifiedAt = Timestamp.FromDateTimeOffset(a.VerifiedAt),
            Fresh = a.Verified && now - a.VerifiedAt <= maxAge,
            Fmspc = a.Fmspc ?? string.Empty,
            ReviewedAt = a.ReviewedAt is { } reviewed ? Timestamp.FromDateTimeOffset(reviewed) : null,
            Collateral = a.Collateral is { } collateral ? Admin.AdminMapping.ToProto(collateral) : null,
        };
        proto.AdvisoryIds.AddRange(a.AdvisoryIds);
        proto.Rtmrs.AddRange(a.Rtmrs);
        return proto;
    }

    public static Proto.FetchTaskSecretsReply ToProto(Domain.Crypto.Hash32 taskId, SecretFetchResult result)
    {
        var reply = new Proto.FetchTaskSecretsReply
        {
            TaskId = taskId.ToString(),
            EnclaveChallenge = result.EnclaveChallenge.ToLowerHex(),
            SealedEnclaveKey = ByteString.CopyFrom(result.SealedEnclaveKey ?? []),
        };
        reply.Secrets.AddRange(result.Secrets.Select(s => new Proto.SealedSecret { Owner = ToProto(s.Owner), Name = s.Name, SealedValue = ByteString.CopyFrom(s.SealedValue) }));
        return reply;
    }

    private static string? Empty(string value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
