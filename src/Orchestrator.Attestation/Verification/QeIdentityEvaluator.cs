using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Quotes;

namespace Orchestrator.Attestation.Verification;

/// <summary>The QE's standing after the QE identity check (Intel's EnclaveReportVerifier outcome).</summary>
internal sealed record QeOutcome(TcbStatus LevelStatus, IReadOnlyList<string> AdvisoryIds)
{
    /// <summary>Intel folds every non-UpToDate, non-Revoked QE level into "out of date".</summary>
    public bool IsOutOfDate => LevelStatus is not (TcbStatus.UpToDate or TcbStatus.Revoked);

    public bool IsRevoked => LevelStatus == TcbStatus.Revoked;
}

/// <summary>Checks the quoting enclave's report against the QE identity (DCAP spec 4.1.2.9).</summary>
internal static class QeIdentityEvaluator
{
    public static QeOutcome Evaluate(EnclaveIdentity identity, DcapQuote quote)
    {
        var expectedId = quote.TeeType == TeeType.Tdx ? "TD_QE" : "QE";
        if (identity.Id != expectedId)
        {
            throw Mismatch($"QE identity is for '{identity.Id}', a {quote.TeeType} quote needs '{expectedId}'");
        }

        var report = quote.QeReport;
        var miscSelect = BitConverter.GetBytes(report.MiscSelect);
        if (!BitConverter.IsLittleEndian)
        {
            Array.Reverse(miscSelect);
        }

        if (!MaskedEquals(miscSelect, identity.MiscSelectMask, identity.MiscSelect))
        {
            throw Mismatch("QE MISCSELECT does not match the QE identity under its mask");
        }

        if (!MaskedEquals(report.Attributes.AsSpan(), identity.AttributesMask, identity.Attributes))
        {
            throw Mismatch("QE ATTRIBUTES do not match the QE identity under its mask");
        }

        if (!report.MrSigner.AsSpan().SequenceEqual(identity.MrSigner))
        {
            throw Mismatch($"QE MRSIGNER {Convert.ToHexStringLower(report.MrSigner.AsSpan())} is not the QE identity's");
        }

        if (report.IsvProdId != identity.IsvProdId)
        {
            throw Mismatch($"QE ISVPRODID {report.IsvProdId} is not the QE identity's {identity.IsvProdId}");
        }

        // Levels are listed newest first; the first one the QE's ISV SVN reaches applies.
        var level = identity.Levels.FirstOrDefault(l => report.IsvSvn >= l.IsvSvn)
            ?? throw new AttestationException(VerificationFailureReason.NoMatchingTcbLevel, $"QE ISV SVN {report.IsvSvn} is below every level of the QE identity");
        return new QeOutcome(level.Status, level.AdvisoryIds);
    }

    private static bool MaskedEquals(ReadOnlySpan<byte> value, ReadOnlySpan<byte> mask, ReadOnlySpan<byte> expected)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if ((value[i] & mask[i]) != expected[i])
            {
                return false;
            }
        }

        return true;
    }

    private static AttestationException Mismatch(string message) => new(VerificationFailureReason.QeIdentityMismatch, message);
}
