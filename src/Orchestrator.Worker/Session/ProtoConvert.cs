using Google.Protobuf;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using TeeKindProto = Orchestrator.Api.Worker.V1.TeeKind;
using TeeKindDomain = Orchestrator.Domain.Deals.TeeKind;

namespace Orchestrator.Worker.Session;

/// <summary>Between the agent's types and orchestrator.worker.v1 messages.</summary>
internal static class ProtoConvert
{
    public static Capabilities ToProto(CapabilityOptions c)
    {
        var capabilities = new Capabilities { Tee = ToProto(c.Tee), Cores = c.Cores, MemoryMb = c.MemoryMb, Gpu = c.Gpu, Slots = c.Slots };
        capabilities.Categories.AddRange(c.Categories);
        return capabilities;
    }

    public static TeeKindProto ToProto(TeeKindDomain tee) => tee switch
    {
        TeeKindDomain.Sgx => TeeKindProto.Sgx,
        TeeKindDomain.Tdx => TeeKindProto.Tdx,
        _ => TeeKindProto.None,
    };

    public static ByteString Bytes(ReadOnlySpan<byte> bytes) => ByteString.CopyFrom(bytes);

    /// <summary>The category's timeref from the deal's deadlines: contribution = start + 7·timeref, final = start + 10·timeref.</summary>
    public static TimeSpan TimerefOf(Assignment assignment)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        if (assignment.ContributionDeadline is null || assignment.FinalDeadline is null)
        {
            return TimeSpan.Zero;
        }

        return (assignment.FinalDeadline.ToDateTimeOffset() - assignment.ContributionDeadline.ToDateTimeOffset()) / 3;
    }

    public static bool TryHash(string text, out Hash32 hash) => Hash32.TryParse(text, out hash, out _);
}
