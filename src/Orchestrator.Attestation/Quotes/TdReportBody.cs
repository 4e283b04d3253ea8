using System.Collections.Immutable;

namespace Orchestrator.Attestation.Quotes;

/// <summary>
/// A TDX TD report body: TD report 1.0 (584 bytes) or TD report 1.5 (648 bytes, adding
/// TEE_TCB_SVN2 and MRSERVICETD).
/// </summary>
public sealed record TdReportBody
{
    /// <summary>Size of a TD report 1.0 body.</summary>
    public const int Size10 = 584;

    /// <summary>Size of a TD report 1.5 body.</summary>
    public const int Size15 = 648;

    /// <summary>True for TD report 1.5.</summary>
    public required bool IsVersion15 { get; init; }

    /// <summary>TEE_TCB_SVN (16 bytes): [0] TDX module ISV SVN, [1] TDX module version, [2..] further components.</summary>
    public required ImmutableArray<byte> TeeTcbSvn { get; init; }

    /// <summary>MRSEAM (48 bytes): measurement of the TDX module.</summary>
    public required ImmutableArray<byte> MrSeam { get; init; }

    /// <summary>MRSIGNERSEAM (48 bytes): signer of the TDX module (zero for Intel's module).</summary>
    public required ImmutableArray<byte> MrSignerSeam { get; init; }

    /// <summary>SEAMATTRIBUTES (8 bytes).</summary>
    public required ImmutableArray<byte> SeamAttributes { get; init; }

    /// <summary>TDATTRIBUTES (8 bytes): bit 0 DEBUG, bit 28 SEPT_VE_DISABLE.</summary>
    public required ImmutableArray<byte> TdAttributes { get; init; }

    /// <summary>XFAM (8 bytes).</summary>
    public required ImmutableArray<byte> Xfam { get; init; }

    /// <summary>MRTD (48 bytes): the initial TD measurement.</summary>
    public required ImmutableArray<byte> MrTd { get; init; }

    /// <summary>MRCONFIGID (48 bytes).</summary>
    public required ImmutableArray<byte> MrConfigId { get; init; }

    /// <summary>MROWNER (48 bytes).</summary>
    public required ImmutableArray<byte> MrOwner { get; init; }

    /// <summary>MROWNERCONFIG (48 bytes).</summary>
    public required ImmutableArray<byte> MrOwnerConfig { get; init; }

    /// <summary>RTMR0..RTMR3 (48 bytes each), runtime-extendable measurement registers.</summary>
    public required ImmutableArray<ImmutableArray<byte>> Rtmrs { get; init; }

    /// <summary>REPORTDATA (64 bytes).</summary>
    public required ImmutableArray<byte> ReportData { get; init; }

    /// <summary>TEE_TCB_SVN2 (TD report 1.5 only).</summary>
    public ImmutableArray<byte>? TeeTcbSvn2 { get; init; }

    /// <summary>MRSERVICETD (TD report 1.5 only).</summary>
    public ImmutableArray<byte>? MrServiceTd { get; init; }

    /// <summary>True when TDATTRIBUTES.DEBUG (bit 0) is set.</summary>
    public bool IsDebug => (TdAttributes[0] & 0x01) != 0;

    internal static TdReportBody Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length != Size10 && body.Length != Size15)
        {
            throw new AttestationException(VerificationFailureReason.MalformedQuote, $"TD report must be {Size10} or {Size15} bytes, got {body.Length}");
        }

        var is15 = body.Length == Size15;
        return new TdReportBody
        {
            IsVersion15 = is15,
            TeeTcbSvn = [.. body.Slice(0, 16)],
            MrSeam = [.. body.Slice(16, 48)],
            MrSignerSeam = [.. body.Slice(64, 48)],
            SeamAttributes = [.. body.Slice(112, 8)],
            TdAttributes = [.. body.Slice(120, 8)],
            Xfam = [.. body.Slice(128, 8)],
            MrTd = [.. body.Slice(136, 48)],
            MrConfigId = [.. body.Slice(184, 48)],
            MrOwner = [.. body.Slice(232, 48)],
            MrOwnerConfig = [.. body.Slice(280, 48)],
            Rtmrs = [[.. body.Slice(328, 48)], [.. body.Slice(376, 48)], [.. body.Slice(424, 48)], [.. body.Slice(472, 48)]],
            ReportData = [.. body.Slice(520, 64)],
            TeeTcbSvn2 = is15 ? [.. body.Slice(584, 16)] : null,
            MrServiceTd = is15 ? [.. body.Slice(600, 48)] : null,
        };
    }
}
