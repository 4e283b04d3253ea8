using System.Collections.Immutable;

namespace Orchestrator.Attestation.Quotes;

/// <summary>
/// A parsed Intel DCAP ECDSA quote (SGX v3/v4/v5, TDX v4/v5). Parsing checks structure only;
/// nothing here is trusted until <see cref="Verification.DcapQuoteVerifier"/> has verified it.
/// </summary>
public sealed record DcapQuote
{
    /// <summary>Certification data type of a PCK certificate chain in PEM (leaf first).</summary>
    public const ushort CertificationDataPckChain = 5;

    /// <summary>Certification data type wrapping the QE report, its signature, auth data and inner certification data (v4/v5).</summary>
    public const ushort CertificationDataQeReport = 6;

    /// <summary>Quote format version (3, 4 or 5).</summary>
    public required ushort Version { get; init; }

    /// <summary>Attestation key type (2 = ECDSA-256 with P-256).</summary>
    public required ushort AttestationKeyType { get; init; }

    /// <summary>SGX or TDX.</summary>
    public required TeeType TeeType { get; init; }

    /// <summary>Header QE SVN (v3; reserved in later versions).</summary>
    public required ushort QeSvn { get; init; }

    /// <summary>Header PCE SVN (v3; reserved in later versions).</summary>
    public required ushort PceSvn { get; init; }

    /// <summary>QE vendor id (16 bytes; Intel's is 939a7233f79c4ca9940a0db3957f0607).</summary>
    public required ImmutableArray<byte> QeVendorId { get; init; }

    /// <summary>Header user data (20 bytes; the first 16 are the QE id).</summary>
    public required ImmutableArray<byte> UserData { get; init; }

    /// <summary>Body type: 1 SGX enclave report, 2 TD report 1.0, 3 TD report 1.5 (explicit in v5, implied before).</summary>
    public required ushort BodyType { get; init; }

    /// <summary>The application enclave's report (SGX quotes).</summary>
    public EnclaveReportBody? EnclaveReport { get; init; }

    /// <summary>The TD report (TDX quotes).</summary>
    public TdReportBody? TdReport { get; init; }

    /// <summary>Header ‖ (body descriptor) ‖ body: exactly the bytes the quote signature covers.</summary>
    public required ImmutableArray<byte> SignedData { get; init; }

    /// <summary>ECDSA P-256 quote signature, r‖s big-endian.</summary>
    public required ImmutableArray<byte> QuoteSignature { get; init; }

    /// <summary>ECDSA P-256 attestation public key, x‖y big-endian.</summary>
    public required ImmutableArray<byte> AttestationKey { get; init; }

    /// <summary>The raw QE report (384 bytes) the PCK key signs.</summary>
    public required ImmutableArray<byte> QeReportRaw { get; init; }

    /// <summary>The parsed QE report.</summary>
    public required EnclaveReportBody QeReport { get; init; }

    /// <summary>QE report signature by the PCK key, r‖s big-endian.</summary>
    public required ImmutableArray<byte> QeReportSignature { get; init; }

    /// <summary>QE authentication data (bound into the QE report data).</summary>
    public required ImmutableArray<byte> QeAuthData { get; init; }

    /// <summary>Type of the certification data that identifies the platform (5 = PCK chain; 3 = encrypted PPID...).</summary>
    public required ushort CertificationDataType { get; init; }

    /// <summary>The certification data itself (for type 5, the PEM chain, possibly NUL-terminated).</summary>
    public required ImmutableArray<byte> CertificationData { get; init; }

    /// <summary>Total quote length as declared by its fields.</summary>
    public required int Length { get; init; }

    /// <summary>Bytes present after the declared end of the quote (tolerated by default, as Intel QVL does).</summary>
    public required int TrailingByteCount { get; init; }

    /// <summary>REPORTDATA of the SGX enclave or TD.</summary>
    public ImmutableArray<byte> ReportData => EnclaveReport?.ReportData ?? TdReport!.ReportData;

    /// <summary>Whether the enclave or TD runs in debug mode.</summary>
    public bool IsDebug => EnclaveReport?.IsDebug ?? TdReport!.IsDebug;
}
