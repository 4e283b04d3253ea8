using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Google.Protobuf.WellKnownTypes;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Api.Validation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Registry;
using Orchestrator.Domain.Secrets;
using Proto = Orchestrator.Api.Admin.V1;

namespace Orchestrator.Api.Admin;

/// <summary>Between the grains' messages and orchestrator.admin.v1, validating what comes in.</summary>
internal static class AdminMapping
{
    /// <summary>The largest shared or per-task parameter string.</summary>
    public const int MaxParamsChars = 64 * 1024;

    /// <summary>A policy from the wire; INVALID_ARGUMENT naming the field when malformed.</summary>
    public static PoolPolicy ToPolicy(Proto.Policy? policy, PoolPolicy current)
    {
        if (policy is null)
        {
            throw Require.Invalid("policy: is required");
        }

        Require.Count(policy.AcceptedCategories, 0, 64, "policy.accepted_categories");
        foreach (var category in policy.AcceptedCategories)
        {
            Require.Range(category, 0, 1_000_000, "policy.accepted_categories[]");
        }

        Require.Count(policy.AcceptedTeeKinds, 1, 3, "policy.accepted_tee_kinds");
        var kinds = policy.AcceptedTeeKinds.Select(k => (TeeKind)(int)Require.Defined(k, "policy.accepted_tee_kinds[]")).Distinct().ToList();
        var max = Require.Range(policy.MaxReplicatesPerWorker, 1, 1024, "policy.max_replicates_per_worker");
        return current with
        {
            AcceptedCategories = [.. policy.AcceptedCategories.Distinct()],
            AcceptedTeeKinds = kinds,
            MaxReplicatesPerWorker = max,
            AllowSimulatedTee = policy.AllowSimulatedTee,
            AuthorizeAnyWorker = policy.AuthorizeAnyWorker,
        };
    }

    /// <summary>The pool's app allow-list from the wire; INVALID_ARGUMENT naming the field when malformed.</summary>
    public static PoolPolicy ToAppRestriction(Proto.RestrictAppsRequest request, PoolPolicy current)
    {
        Require.Count(request.Apps, 0, PoolAppRestriction.MaxEntries, "apps");
        Require.Count(request.AppOwners, 0, PoolAppRestriction.MaxEntries, "app_owners");
        return current with
        {
            AllowedApps = [.. request.Apps.Select(a => Require.Address(a, "apps[]")).Distinct()],
            AllowedAppOwners = [.. request.AppOwners.Select(a => Require.Address(a, "app_owners[]")).Distinct()],
        };
    }

    /// <summary>The wire form of a policy.</summary>
    public static Proto.Policy ToProto(PoolPolicy policy)
    {
        var message = new Proto.Policy
        {
            MaxReplicatesPerWorker = policy.MaxReplicatesPerWorker,
            AllowSimulatedTee = policy.AllowSimulatedTee,
            AuthorizeAnyWorker = policy.AuthorizeAnyWorker,
        };
        message.AcceptedCategories.AddRange(policy.AcceptedCategories);
        message.AllowedApps.AddRange(policy.AllowedApps.Select(a => a.ToLowerHex()));
        message.AllowedAppOwners.AddRange(policy.AllowedAppOwners.Select(a => a.ToLowerHex()));
        message.AcceptedTeeKinds.AddRange(policy.AcceptedTeeKinds.Select(k => (Proto.TeeKind)(int)k));
        return message;
    }

    /// <summary>The highest index of a selected requester secret.</summary>
    public const int MaxRequesterSecretIndex = 100;

    /// <summary>A deal from the wire; INVALID_ARGUMENT naming the field when malformed.</summary>
    public static DealSpecMessage ToSpec(Proto.Deal? deal, DateTimeOffset now)
    {
        if (deal is null)
        {
            throw Require.Invalid("deal: is required");
        }

        var dealId = string.IsNullOrEmpty(deal.DealId) ? new Hash32(RandomNumberGenerator.GetBytes(32)) : Require.Hash(deal.DealId, "deal.deal_id");
        var requester = Require.Address(deal.Requester, "deal.requester");
        var app = Require.Address(deal.App, "deal.app");
        var dataset = Require.AddressOrZero(deal.Dataset, "deal.dataset");
        Require.Range(deal.Trust, 0, 100, "deal.trust");
        Require.Range(deal.BotSize, 1, DealSpec.MaxBotSize, "deal.bot_size");
        if (deal.BotFirst > long.MaxValue - (ulong)deal.BotSize)
        {
            throw Require.Invalid($"deal.bot_first: {deal.BotFirst} is too large");
        }

        var price = BigInteger.Zero;
        if (deal.TaskPrice.Length > 0 && (deal.TaskPrice.Length > 78 || !BigInteger.TryParse(deal.TaskPrice, NumberStyles.None, CultureInfo.InvariantCulture, out price)))
        {
            throw Require.Invalid($"deal.task_price: a decimal number of wei (digits only), got \"{deal.TaskPrice}\"");
        }

        Require.Text(deal.Params, MaxParamsChars, "deal.params");
        Require.Count(deal.TaskParams, 0, deal.BotSize, "deal.task_params");
        for (var i = 0; i < deal.TaskParams.Count; i++)
        {
            Require.Text(deal.TaskParams[i], MaxParamsChars, $"deal.task_params[{i}]");
        }

        return new DealSpecMessage(
            dealId, requester, app, dataset, deal.Category, deal.Trust, new TeeTag(deal.TeeTag), (long)deal.BotFirst, deal.BotSize, price,
            deal.StartTime?.ToDateTimeOffset() ?? now,
            deal.Cores == 0 ? 1 : deal.Cores, deal.MemoryMb == 0 ? 512 : deal.MemoryMb, deal.Gpu, deal.Params, [.. deal.TaskParams])
        {
            BeneficiaryKey = BeneficiaryKeyOf(deal.BeneficiaryKey),
            PublicResults = deal.PublicResults,
            RequesterSecrets = RequesterSecretsOf(deal.RequesterSecrets, deal.Params),
        };
    }

    /// <summary>
    /// The deal's selection of requester secrets, or null when it selects none: the request's field, or
    /// else its params' iexec_secrets as a chain deal carries them (never both, which could disagree).
    /// </summary>
    private static IReadOnlyDictionary<int, string>? RequesterSecretsOf(IDictionary<int, string> selection, string parameters)
    {
        if (!RequesterSecretParams.TryRead(parameters, out var fromParams, out var error))
        {
            throw Require.Invalid($"deal.{error}");
        }

        if (selection.Count == 0)
        {
            return fromParams;
        }

        if (fromParams is not null)
        {
            throw Require.Invalid($"deal.requester_secrets: the deal's params select secrets too ({RequesterSecretParams.Member}); select them in one place");
        }

        foreach (var (index, name) in selection)
        {
            if (index is < 1 or > MaxRequesterSecretIndex)
            {
                throw Require.Invalid($"deal.requester_secrets: index {index} must be 1..{MaxRequesterSecretIndex}");
            }

            Secrets.SecretsMapping.Name(name, $"deal.requester_secrets[{index}]");
        }

        return new Dictionary<int, string>(selection);
    }

    /// <summary>The 64-byte key X ‖ Y (a 0x04 prefix dropped), or null when empty; whether it is on the curve is the deal's rule (ResultPrivacy).</summary>
    private static byte[]? BeneficiaryKeyOf(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (!Hex.TryDecode(text, out var bytes, out var error))
        {
            throw Require.Invalid($"deal.beneficiary_key: {error}");
        }

        return bytes.Length == 65 && bytes[0] == 0x04 ? bytes[1..] : bytes;
    }

    /// <summary>The wire form of a deal's progress.</summary>
    public static Proto.DealSummary ToProto(DealView view) => new()
    {
        DealId = view.DealId.ToString(),
        BotSize = view.BotSize,
        Completed = view.Completed,
        Failed = view.Failed,
        Open = view.Open,
        StartTime = Timestamp.FromDateTimeOffset(view.StartTime),
        FinalDeadline = Timestamp.FromDateTimeOffset(view.FinalDeadline),
        Trust = view.Trust,
        Category = view.CategoryId,
        TeeTag = view.TeeTag,
        Reopens = view.Reopens,
        BotFirst = (ulong)view.BotFirst,
        Cancelled = view.Cancelled,
        CancelReason = view.CancelReason ?? string.Empty,
    };

    /// <summary>The wire form of a task.</summary>
    public static Proto.TaskInfo ToProto(Hash32 taskId, long index, TaskView view, bool hasResult)
    {
        var message = new Proto.TaskInfo
        {
            TaskId = taskId.ToString(),
            Index = (ulong)index,
            Status = (Proto.TaskStatus)(int)view.Status,
            ConsensusHash = view.ConsensusHash?.ToString() ?? string.Empty,
            ResultDigest = view.ResultDigest?.ToString() ?? string.Empty,
            RevealDeadline = view.RevealDeadline is { } deadline ? Timestamp.FromDateTimeOffset(deadline) : null,
            Reopens = view.Reopens,
            HasResult = hasResult,
            CancelReason = view.CancelReason ?? string.Empty,
            LastFailure = view.LastFailure ?? string.Empty,
        };
        message.Replicates.AddRange(view.Replicates.Select(r => new Proto.ReplicateInfo
        {
            Worker = r.Worker.ToLowerHex(),
            Status = (Proto.ReplicateStatus)(int)r.Status,
            AssignedAt = Timestamp.FromDateTimeOffset(r.AssignedAt),
            ResultHash = r.ResultHash?.ToString() ?? string.Empty,
            Weight = r.Weight,
        }));
        return message;
    }

    /// <summary>The wire form of a worker.</summary>
    public static Proto.WorkerInfo ToProto(WorkerView view, bool authorized)
    {
        var message = new Proto.WorkerInfo
        {
            Address = view.Worker.ToLowerHex(),
            State = (Proto.WorkerState)(int)view.State,
            Score = view.Score,
            Authorized = authorized,
            Tee = (Proto.TeeKind)(int)(view.Capabilities?.Tee ?? TeeKind.None),
            Cores = view.Capabilities?.Cores ?? 0,
            MemoryMb = view.Capabilities?.MemoryMb ?? 0,
            Gpu = view.Capabilities?.Gpu ?? false,
            Slots = view.Capabilities?.Slots ?? 0,
            LastHeartbeat = view.LastHeartbeat is { } seen ? Timestamp.FromDateTimeOffset(seen) : null,
            Contributions = view.Contributions,
            Wins = view.Wins,
            Losses = view.Losses,
        };
        message.Assignments.AddRange(view.Assignments.Select(a => a.ToString()));
        message.TeeStatus = view.TeeStatus;
        message.TeeReason = view.TeeReason;
        message.Attestation = view.Attestation is { } a ? ToProto(a) : null;
        message.ReattestDueAt = view.ReattestDueAt is { } due ? Timestamp.FromDateTimeOffset(due) : null;
        return message;
    }

    /// <summary>The wire form of a stored verdict, with the collateral it was made with.</summary>
    public static Proto.WorkerAttestation ToProto(WorkerAttestation a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var message = new Proto.WorkerAttestation
        {
            Verified = a.Verified,
            Failure = a.Failure ?? string.Empty,
            TcbStatus = a.TcbStatus ?? string.Empty,
            Measurement = a.Measurement,
            VerifiedAt = Timestamp.FromDateTimeOffset(a.VerifiedAt),
            ReviewedAt = a.ReviewedAt is { } reviewed ? Timestamp.FromDateTimeOffset(reviewed) : null,
            Collateral = a.Collateral is { } c ? ToProto(c) : null,
        };
        message.AdvisoryIds.AddRange(a.AdvisoryIds);
        return message;
    }

    /// <summary>Which collateral a verdict was made with, as both the admin and the secrets APIs show it.</summary>
    public static Proto.CollateralVersion ToProto(AttestationCollateral c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new Proto.CollateralVersion
        {
            TcbInfoVersion = c.TcbInfoVersion,
            TcbInfoIssueDate = Timestamp.FromDateTimeOffset(c.TcbInfoIssueDate),
            TcbEvaluationDataNumber = c.TcbEvaluationDataNumber,
            QeIdentityVersion = c.QeIdentityVersion,
            QeIdentityIssueDate = Timestamp.FromDateTimeOffset(c.QeIdentityIssueDate),
            RootCaCrlNumber = c.RootCaCrlNumber ?? string.Empty,
            PckCrlNumber = c.PckCrlNumber ?? string.Empty,
            Fingerprint = c.Fingerprint,
        };
    }
}
