using System.Collections.Immutable;

namespace Orchestrator.Attestation.Quotes;

/// <summary>
/// An SGX enclave report body (384 bytes): the application enclave's report in an SGX quote,
/// and the quoting enclave's own report inside every quote's signature data.
/// </summary>
public sealed record EnclaveReportBody
{
    /// <summary>Size of the structure in bytes.</summary>
    public const int Size = 384;

    /// <summary>CPUSVN (16 bytes).</summary>
    public required ImmutableArray<byte> CpuSvn { get; init; }

    /// <summary>MISCSELECT (little-endian u32).</summary>
    public required uint MiscSelect { get; init; }

    /// <summary>ATTRIBUTES (16 bytes: 8 flags, 8 XFRM).</summary>
    public required ImmutableArray<byte> Attributes { get; init; }

    /// <summary>MRENCLAVE (32 bytes).</summary>
    public required ImmutableArray<byte> MrEnclave { get; init; }

    /// <summary>MRSIGNER (32 bytes).</summary>
    public required ImmutableArray<byte> MrSigner { get; init; }

    /// <summary>ISVPRODID.</summary>
    public required ushort IsvProdId { get; init; }

    /// <summary>ISVSVN.</summary>
    public required ushort IsvSvn { get; init; }

    /// <summary>REPORTDATA (64 bytes).</summary>
    public required ImmutableArray<byte> ReportData { get; init; }

    /// <summary>True when ATTRIBUTES.DEBUG (flags bit 1) is set: the enclave's memory is readable by the host.</summary>
    public bool IsDebug => (Attributes[0] & 0x02) != 0;

    internal static EnclaveReportBody Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length != Size)
        {
            throw new AttestationException(VerificationFailureReason.MalformedQuote, $"enclave report must be {Size} bytes, got {body.Length}");
        }

        return new EnclaveReportBody
        {
            CpuSvn = [.. body.Slice(0, 16)],
            MiscSelect = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(body.Slice(16, 4)),
            Attributes = [.. body.Slice(48, 16)],
            MrEnclave = [.. body.Slice(64, 32)],
            MrSigner = [.. body.Slice(128, 32)],
            IsvProdId = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(body.Slice(256, 2)),
            IsvSvn = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(body.Slice(258, 2)),
            ReportData = [.. body.Slice(320, 64)],
        };
    }
}
