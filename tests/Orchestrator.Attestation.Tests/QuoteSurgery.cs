using System.Buffers.Binary;
using Orchestrator.Attestation.Quotes;

namespace Orchestrator.Attestation.Tests;

/// <summary>Offsets into a real quote and a re-serialiser, to damage or rebuild quotes precisely.</summary>
internal static class QuoteSurgery
{
    public static DcapQuote Parse(byte[] bytes) => QuoteParser.Parse(bytes).Quote ?? throw new InvalidOperationException("vector must parse");

    public static int QuoteSignatureOffset(DcapQuote q) => q.SignedData.Length + 4;

    public static int AttestationKeyOffset(DcapQuote q) => QuoteSignatureOffset(q) + 64;

    public static int QeReportOffset(DcapQuote q) => AttestationKeyOffset(q) + 64 + (q.Version == 3 ? 0 : 6);

    public static int QeReportSignatureOffset(DcapQuote q) => QeReportOffset(q) + 384;

    public static int QeAuthDataOffset(DcapQuote q) => QeReportSignatureOffset(q) + 64 + 2;

    public static int CertificationDataOffset(DcapQuote q) => QeAuthDataOffset(q) + q.QeAuthData.Length + 6;

    public static byte[] Flip(byte[] quote, int offset)
    {
        var copy = (byte[])quote.Clone();
        copy[offset] ^= 0x01;
        return copy;
    }

    /// <summary>Rebuilds the quote with another certification data payload (lengths recomputed).</summary>
    public static byte[] WithCertificationData(DcapQuote q, byte[] certificationData)
    {
        var qeSection = new List<byte>();
        qeSection.AddRange(q.QeReportRaw);
        qeSection.AddRange(q.QeReportSignature);
        qeSection.AddRange(U16((ushort)q.QeAuthData.Length));
        qeSection.AddRange(q.QeAuthData);
        qeSection.AddRange(U16(q.CertificationDataType));
        qeSection.AddRange(U32((uint)certificationData.Length));
        qeSection.AddRange(certificationData);

        var signatureData = new List<byte>();
        signatureData.AddRange(q.QuoteSignature);
        signatureData.AddRange(q.AttestationKey);
        if (q.Version == 3)
        {
            signatureData.AddRange(qeSection);
        }
        else
        {
            signatureData.AddRange(U16(DcapQuote.CertificationDataQeReport));
            signatureData.AddRange(U32((uint)qeSection.Count));
            signatureData.AddRange(qeSection);
        }

        return [.. q.SignedData, .. U32((uint)signatureData.Count), .. signatureData];
    }

    private static byte[] U16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return b;
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }
}
