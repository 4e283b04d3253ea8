using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Orchestrator.Testing.Tee;

/// <summary>
/// Builds quotes in Intel's byte formats (SGX quote v3, TDX quote v4): header ‖ report body signed
/// by the attestation key; then the attestation key, the quoting enclave's report (its REPORTDATA
/// = SHA-256(attestation key ‖ QE auth data)) signed by the PCK key, and certification data type 5
/// (the PCK chain in PEM). Only the keys differ from a real platform's.
/// </summary>
internal static class TestQuotes
{
    /// <summary>Intel's QE vendor id, as real quotes carry it.</summary>
    private static readonly byte[] IntelQeVendorId = Convert.FromHexString("939A7233F79C4CA9940A0DB3957F0607");

    /// <summary>The test quoting enclave's MRSIGNER (the QE identity names it).</summary>
    public static readonly byte[] QeMrSigner = SHA256.HashData("orchestrator TEST quoting enclave"u8);

    /// <summary>QE ATTRIBUTES: INIT | MODE64BIT, not debug.</summary>
    public const string QeAttributesHex = "05000000000000000300000000000000";

    /// <summary>The test QE's ISV SVN.</summary>
    public const int QeIsvSvn = 8;

    /// <summary>QE ISVPRODID: 1 for the SGX QE, 2 for the TD QE (Intel's numbering).</summary>
    public static ushort QeProdId(bool tdx) => tdx ? (ushort)2 : (ushort)1;

    public static byte[] Sgx(ReadOnlySpan<byte> reportData, TestEnclave enclave, TestSigningMaterial keys)
    {
        var header = Header(version: 3, teeType: 0, qeSvn: QeIsvSvn, pceSvn: (ushort)keys.Platform.PceSvn);
        var body = new byte[384];
        keys.Platform.CpuSvn.AsSpan().CopyTo(body);
        body[48] = (byte)(enclave.Debug ? 0x07 : 0x05);
        body[56] = 0x03; // XFRM: x87 | SSE
        enclave.MrEnclave.AsSpan().CopyTo(body.AsSpan(64));
        enclave.MrSigner.AsSpan().CopyTo(body.AsSpan(128));
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(256), enclave.IsvProdId);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(258), enclave.IsvSvn);
        CopyReportData(reportData, body.AsSpan(320));
        return Sign([.. header, .. body], version: 3, tdx: false, keys);
    }

    public static byte[] Tdx(ReadOnlySpan<byte> reportData, TestTd td, TestSigningMaterial keys)
    {
        var header = Header(version: 4, teeType: 0x81, qeSvn: 0, pceSvn: 0);
        var body = new byte[584];
        // TEE_TCB_SVN all zero: module version 0, so the TCB info's tdxModule identity applies; MRSIGNERSEAM zero (Intel's module).
        body[120] = (byte)(td.Debug ? 0x01 : 0x00);
        body[128] = 0xE7; // XFAM: x87, SSE, AVX, opmask/ZMM
        td.MrTd.AsSpan().CopyTo(body.AsSpan(136));
        td.MrConfigId.AsSpan().CopyTo(body.AsSpan(184));
        for (var i = 0; i < 4; i++)
        {
            td.Rtmrs[i].AsSpan().CopyTo(body.AsSpan(328 + (48 * i)));
        }

        CopyReportData(reportData, body.AsSpan(520));
        return Sign([.. header, .. body], version: 4, tdx: true, keys);
    }

    private static void CopyReportData(ReadOnlySpan<byte> reportData, Span<byte> target)
    {
        if (reportData.Length != 64)
        {
            throw new ArgumentException($"REPORTDATA is 64 bytes, got {reportData.Length}", nameof(reportData));
        }

        reportData.CopyTo(target);
    }

    private static byte[] Header(ushort version, uint teeType, ushort qeSvn, ushort pceSvn)
    {
        var header = new byte[48];
        BinaryPrimitives.WriteUInt16LittleEndian(header, version);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(2), 2); // ECDSA P-256
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), teeType);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(8), qeSvn);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(10), pceSvn);
        IntelQeVendorId.CopyTo(header.AsSpan(12));
        "TEST-QE-ID-00000"u8.CopyTo(header.AsSpan(28));
        return header;
    }

    private static byte[] Sign(byte[] signed, ushort version, bool tdx, TestSigningMaterial keys)
    {
        var quoteSignature = keys.AttestationKey.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var attestationKey = RawPublicKey(keys.AttestationKey);
        var authData = SHA256.HashData("orchestrator TEST QE auth data"u8);

        var qeReport = new byte[384];
        keys.Platform.CpuSvn.AsSpan().CopyTo(qeReport);
        Convert.FromHexString(QeAttributesHex).CopyTo(qeReport.AsSpan(48));
        QeMrSigner.CopyTo(qeReport.AsSpan(128));
        BinaryPrimitives.WriteUInt16LittleEndian(qeReport.AsSpan(256), QeProdId(tdx));
        BinaryPrimitives.WriteUInt16LittleEndian(qeReport.AsSpan(258), QeIsvSvn);
        SHA256.HashData([.. attestationKey, .. authData]).CopyTo(qeReport.AsSpan(320));
        var qeReportSignature = keys.PckKey.SignData(qeReport, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        var chain = System.Text.Encoding.ASCII.GetBytes(keys.PckChainPem);
        byte[] qeSection = [.. qeReport, .. qeReportSignature, .. U16((ushort)authData.Length), .. authData, .. U16(5), .. U32((uint)chain.Length), .. chain];
        byte[] signatureData = version == 3
            ? [.. quoteSignature, .. attestationKey, .. qeSection]
            : [.. quoteSignature, .. attestationKey, .. U16(6), .. U32((uint)qeSection.Length), .. qeSection];
        return [.. signed, .. U32((uint)signatureData.Length), .. signatureData];
    }

    public static byte[] RawPublicKey(ECDsa key)
    {
        var q = key.ExportParameters(false).Q;
        return [.. q.X!, .. q.Y!];
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }
}

/// <summary>The keys one test platform signs with: its PCK key (certified by the test PCK CA) and its attestation key.</summary>
internal sealed record TestSigningMaterial(TestPlatform Platform, ECDsa PckKey, ECDsa AttestationKey, string PckChainPem);
