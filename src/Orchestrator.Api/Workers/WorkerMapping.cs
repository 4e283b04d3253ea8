using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Tasks;
using Proto = Orchestrator.Api.Worker.V1;

namespace Orchestrator.Api.Workers;

/// <summary>Between the grains' messages and orchestrator.worker.v1.</summary>
internal static class WorkerMapping
{
    /// <summary>The wire form of a hand-out; <paramref name="appImage"/> is the app's image by digest (IAppImages), or null.</summary>
    public static Proto.Assignment ToProto(AssignCommand command, bool resumed, IReadOnlyDictionary<string, string> appUris, string? appImage = null)
    {
        var a = command.Assignment;
        var (args, inputFiles) = TaskParameters.Split(a.Params);
        var message = new Proto.Assignment
        {
            TaskId = a.TaskId.ToString(),
            DealId = a.DealId.ToString(),
            Index = (ulong)a.Index,
            AppAddress = a.App.ToLowerHex(),
            AppUri = appUris.TryGetValue(a.App.ToLowerHex(), out var uri) ? uri : string.Empty,
            DatasetAddress = a.Dataset.ToLowerHex(),
            Params = args,
            Category = a.CategoryId,
            Trust = a.Trust,
            ContributionDeadline = Timestamp.FromDateTimeOffset(a.ContributionDeadline),
            FinalDeadline = Timestamp.FromDateTimeOffset(a.FinalDeadline),
            Tee = (Proto.TeeKind)a.Tee,
            TeeFastPath = a.TeeFastPath,
            EnclaveChallenge = a.EnclaveChallenge.ToLowerHex(),
            AssignedAt = Timestamp.FromDateTimeOffset(a.AssignedAt),
            Resumed = resumed,
            EnclaveChallengeKey = command.EnclaveKey is { } key ? ByteString.CopyFrom(key) : ByteString.Empty,
            BeneficiaryKey = a.BeneficiaryKey is { } beneficiary ? ByteString.CopyFrom(beneficiary) : ByteString.Empty,
            Callback = a.Callback.IsZero ? string.Empty : a.Callback.ToLowerHex(),
            AppImage = appImage ?? string.Empty,
            Cores = a.Cores,
            MemoryMb = a.MemoryMb,
        };
        message.InputFiles.AddRange(inputFiles);
        return message;
    }

    /// <summary>The wire form of a task's answer.</summary>
    public static Proto.CallResult ToProto(TaskCallResult result, ulong requestId, string taskId) => new()
    {
        RequestId = requestId,
        TaskId = taskId,
        Accepted = result.Accepted,
        Refusal = result.Refusal is { } code ? (Proto.Refusal)(int)code : Proto.Refusal.None,
        Message = result.Message,
        TaskStatus = (Proto.TaskStatus)(int)result.Status,
        RevealNow = result.RevealNow,
        RevealDeadline = result.RevealDeadline is { } deadline ? Timestamp.FromDateTimeOffset(deadline) : null,
    };

    /// <summary>The grains' form of declared capabilities.</summary>
    public static CapabilitiesMessage ToMessage(Proto.Capabilities c)
        => new((Orchestrator.Domain.Deals.TeeKind)(int)c.Tee, c.Cores, c.MemoryMb, c.Gpu, c.Slots, [.. c.Categories]);

    /// <summary>The grains' form of an evidence format.</summary>
    public static EvidenceFormat ToMessage(Proto.EvidenceFormat format) => format switch
    {
        Proto.EvidenceFormat.DcapQuote => EvidenceFormat.DcapQuote,
        Proto.EvidenceFormat.Simulated => EvidenceFormat.Simulated,
        _ => EvidenceFormat.Unspecified,
    };

    /// <summary>Refusal codes are numbered alike in the domain and on the wire; this keeps them so.</summary>
    public static bool RefusalsAligned()
        => System.Enum.GetValues<TaskRefusalCode>().All(code => System.Enum.IsDefined((Proto.Refusal)(int)code)
            && ((Proto.Refusal)(int)code).ToString().Equals(code.ToString(), StringComparison.Ordinal));
}
