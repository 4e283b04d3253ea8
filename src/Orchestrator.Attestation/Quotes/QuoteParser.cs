namespace Orchestrator.Attestation.Quotes;

/// <summary>Outcome of <see cref="QuoteParser.Parse(ReadOnlySpan{byte}, bool)"/>: a quote or a precise failure.</summary>
/// <param name="Quote">The parsed quote, when parsing succeeded.</param>
/// <param name="Failure">The failure reason, when it did not.</param>
/// <param name="Message">What exactly was wrong.</param>
public sealed record QuoteParseResult(DcapQuote? Quote, VerificationFailureReason? Failure, string? Message);

/// <summary>
/// Parses Intel DCAP quotes. Layout (all integers little-endian): a 48-byte header; in v5 a
/// 6-byte body descriptor (u16 type, u32 size); the body (SGX report 384, TD report 1.0 584,
/// TD report 1.5 648); a u32 signature-data length; the signature data.
/// </summary>
public static class QuoteParser
{
    /// <summary>Size of the quote header.</summary>
    public const int HeaderSize = 48;

    private const ushort AttestationKeyEcdsaP256 = 2;
    private const uint TeeTypeSgx = 0x00000000;
    private const uint TeeTypeTdx = 0x00000081;

    /// <summary>
    /// Parses a quote. Never throws. Bytes after the declared end are tolerated (Intel QVL ignores
    /// them, and real quotes carry zero padding) unless <paramref name="rejectTrailingData"/> is set,
    /// in which case they are a <see cref="VerificationFailureReason.TrailingData"/> failure.
    /// </summary>
    public static QuoteParseResult Parse(ReadOnlySpan<byte> bytes, bool rejectTrailingData = false)
    {
        try
        {
            var quote = ParseOrThrow(bytes.ToArray());
            if (rejectTrailingData && quote.TrailingByteCount > 0)
            {
                return new QuoteParseResult(null, VerificationFailureReason.TrailingData,
                    $"{quote.TrailingByteCount} bytes follow the {quote.Length}-byte quote");
            }

            return new QuoteParseResult(quote, null, null);
        }
        catch (AttestationException ex)
        {
            return new QuoteParseResult(null, ex.Reason, ex.Message);
        }
#pragma warning disable CA1031 // the parser's contract is "never throws": any slip becomes a failure, never a pass
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return new QuoteParseResult(null, VerificationFailureReason.MalformedQuote, "quote could not be parsed: " + ex.Message);
        }
    }

    internal static DcapQuote ParseOrThrow(byte[] data)
    {
        var cursor = new ByteCursor(data, 0, data.Length);
        var version = cursor.ReadUInt16("header version");
        if (version is not (3 or 4 or 5))
        {
            throw new AttestationException(VerificationFailureReason.UnsupportedVersion, $"quote version {version} is not supported (3, 4 and 5 are)");
        }

        var keyType = cursor.ReadUInt16("attestation key type");
        if (keyType != AttestationKeyEcdsaP256)
        {
            throw new AttestationException(VerificationFailureReason.UnsupportedAttestationKeyType, $"attestation key type {keyType} is not supported (2 = ECDSA P-256 is)");
        }

        var teeTypeRaw = cursor.ReadUInt32("TEE type");
        var qeSvn = cursor.ReadUInt16("QE SVN");
        var pceSvn = cursor.ReadUInt16("PCE SVN");
        var qeVendorId = cursor.ReadBytes(16, "QE vendor id");
        var userData = cursor.ReadBytes(20, "user data");

        TeeType teeType = teeTypeRaw switch
        {
            TeeTypeSgx => TeeType.Sgx,
            TeeTypeTdx when version >= 4 => TeeType.Tdx,
            _ => throw new AttestationException(VerificationFailureReason.UnsupportedTeeType, $"TEE type 0x{teeTypeRaw:x8} is not supported in a v{version} quote"),
        };

        var (bodyType, bodySize) = ReadBodyDescriptor(cursor, version, teeType);
        var body = cursor.Take(bodySize, "report body");
        var signedLength = cursor.Position;

        var signatureDataLength = cursor.ReadLength("signature data");
        var end = cursor.Position + signatureDataLength;
        var sig = new ByteCursor(data, cursor.Position, end);
        var quoteSignature = sig.ReadBytes(64, "quote signature");
        var attestationKey = sig.ReadBytes(64, "attestation key");

        var qe = ReadWrappedQeSection(data, sig, version, signatureDataLength);

        return new DcapQuote
        {
            Version = version,
            AttestationKeyType = keyType,
            TeeType = teeType,
            QeSvn = qeSvn,
            PceSvn = pceSvn,
            QeVendorId = [.. qeVendorId],
            UserData = [.. userData],
            BodyType = bodyType,
            EnclaveReport = bodyType == 1 ? EnclaveReportBody.Parse(body) : null,
            TdReport = bodyType == 1 ? null : TdReportBody.Parse(body),
            SignedData = [.. data.AsSpan(0, signedLength)],
            QuoteSignature = [.. quoteSignature],
            AttestationKey = [.. attestationKey],
            QeReportRaw = [.. qe.Report],
            QeReport = EnclaveReportBody.Parse(qe.Report),
            QeReportSignature = [.. qe.ReportSignature],
            QeAuthData = [.. qe.AuthData],
            CertificationDataType = qe.CertificationType,
            CertificationData = [.. qe.CertificationData],
            Length = end,
            TrailingByteCount = data.Length - end,
        };
    }

    /// <summary>The QE section after the attestation key: inline (v3) or wrapped as QE report certification data (v4, v5); it must fill the signature data exactly.</summary>
    private static QeSection ReadWrappedQeSection(byte[] data, ByteCursor sig, ushort version, int signatureDataLength)
    {
        QeSection qe;
        if (version == 3)
        {
            qe = ReadQeSection(sig, "signature data");
        }
        else
        {
            var outerType = sig.ReadUInt16("certification data type");
            var outerSize = sig.ReadLength("certification data");
            if (outerType != DcapQuote.CertificationDataQeReport)
            {
                throw new AttestationException(VerificationFailureReason.UnsupportedCertificationDataType,
                    $"v{version} quote certification data type {outerType} is not supported (6 = QE report certification data is)");
            }

            var inner = new ByteCursor(data, sig.Position, sig.Position + outerSize);
            qe = ReadQeSection(inner, "QE report certification data");
            sig.Take(outerSize, "QE report certification data");
        }

        if (sig.Remaining != 0)
        {
            throw new AttestationException(VerificationFailureReason.MalformedQuote,
                $"signature data declares {signatureDataLength} bytes but its fields use {signatureDataLength - sig.Remaining}");
        }

        return qe;
    }

    private static (ushort Type, int Size) ReadBodyDescriptor(ByteCursor cursor, ushort version, TeeType teeType)
    {
        if (version < 5)
        {
            return teeType == TeeType.Sgx ? ((ushort)1, EnclaveReportBody.Size) : ((ushort)2, TdReportBody.Size10);
        }

        var type = cursor.ReadUInt16("body type");
        var size = cursor.ReadUInt32("body size");
        int expected = type switch
        {
            1 when teeType == TeeType.Sgx => EnclaveReportBody.Size,
            2 when teeType == TeeType.Tdx => TdReportBody.Size10,
            3 when teeType == TeeType.Tdx => TdReportBody.Size15,
            _ => throw new AttestationException(VerificationFailureReason.UnsupportedBodyType, $"body type {type} is not supported for a {teeType} v5 quote"),
        };
        if (size != expected)
        {
            throw new AttestationException(VerificationFailureReason.UnsupportedBodyType, $"body type {type} must be {expected} bytes, descriptor says {size}");
        }

        return (type, expected);
    }

    private static QeSection ReadQeSection(ByteCursor cursor, string where)
    {
        var report = cursor.ReadBytes(EnclaveReportBody.Size, "QE report");
        var reportSignature = cursor.ReadBytes(64, "QE report signature");
        var authSize = cursor.ReadUInt16("QE auth data size");
        var authData = cursor.ReadBytes(authSize, "QE auth data");
        var certType = cursor.ReadUInt16("certification data type");
        var certSize = cursor.ReadLength("certification data");
        var certData = cursor.ReadBytes(certSize, "certification data");
        if (cursor.Remaining != 0)
        {
            throw new AttestationException(VerificationFailureReason.MalformedQuote, $"{cursor.Remaining} unexplained bytes at the end of the {where}");
        }

        return new QeSection(report, reportSignature, authData, certType, certData);
    }

    private sealed record QeSection(byte[] Report, byte[] ReportSignature, byte[] AuthData, ushort CertificationType, byte[] CertificationData);
}
