using System.Security.Cryptography;
using System.Text;
using Orchestrator.Attestation.Pki;

namespace Orchestrator.Attestation.Collateral;

/// <summary>
/// Which collateral a verdict was made with: what Intel versions (the TCB info's and QE identity's format
/// version, issue date and TCB evaluation data number, the CRLs' cRLNumber), plus a fingerprint of the
/// signed content, so a change is seen even when an issuer republishes without bumping a number.
/// Two verdicts made with the same collateral carry equal versions.
/// </summary>
/// <param name="TcbInfoVersion">The TCB info's format version (2 or 3).</param>
/// <param name="TcbInfoIssueDate">The TCB info's issueDate.</param>
/// <param name="TcbEvaluationDataNumber">The TCB info's tcbEvaluationDataNumber (raised by each TCB recovery).</param>
/// <param name="QeIdentityVersion">The QE identity's format version.</param>
/// <param name="QeIdentityIssueDate">The QE identity's issueDate.</param>
/// <param name="RootCaCrlNumber">The root CA CRL's cRLNumber (decimal), or null when absent.</param>
/// <param name="PckCrlNumber">The PCK CRL's cRLNumber (decimal), or null when absent.</param>
/// <param name="Fingerprint">The first 8 bytes (hex) of SHA-256 over the signed content of the TCB info, QE identity and both CRLs (never their signatures, which an ECDSA signer makes anew each time).</param>
public sealed record CollateralVersion(
    int TcbInfoVersion,
    DateTimeOffset TcbInfoIssueDate,
    int TcbEvaluationDataNumber,
    int QeIdentityVersion,
    DateTimeOffset QeIdentityIssueDate,
    string? RootCaCrlNumber,
    string? PckCrlNumber,
    string Fingerprint)
{
    /// <summary>One line for logs and operators, e.g. <c>tcb-info v3 2026-11-23T11:00:00Z eval 17, qe-identity v2 …, crl root 1 pck 1 [ab12…]</c>.</summary>
    public override string ToString() =>
        $"tcb-info v{TcbInfoVersion} {TcbInfoIssueDate:yyyy-MM-ddTHH:mm:ssZ} eval {TcbEvaluationDataNumber}, qe-identity v{QeIdentityVersion} {QeIdentityIssueDate:yyyy-MM-ddTHH:mm:ssZ}, " +
        $"crl root {RootCaCrlNumber ?? "none"} pck {PckCrlNumber ?? "none"} [{Fingerprint}]";

    /// <summary>Reads the version of <paramref name="collateral"/>; throws <see cref="FormatException"/> when a part cannot be decoded.</summary>
    public static CollateralVersion Of(QuoteCollateral collateral)
    {
        ArgumentNullException.ThrowIfNull(collateral);
        try
        {
            var tcb = TcbInfo.Parse(collateral.TcbInfo);
            var qe = EnclaveIdentity.Parse(collateral.QeIdentity);
            return new CollateralVersion(tcb.Version, tcb.IssueDate, tcb.EvaluationDataNumber, qe.Version, qe.IssueDate,
                CrlNumber(collateral.RootCaCrl, "root CA CRL"), CrlNumber(collateral.PckCrl, "PCK CRL"), FingerprintOf(collateral));
        }
        catch (AttestationException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    private static string? CrlNumber(System.Collections.Immutable.ImmutableArray<byte>? der, string what) =>
        der is { } bytes ? CrlDocument.Parse([.. bytes], what).Number ?? "unnumbered" : null;

    private static byte[] Signed(System.Collections.Immutable.ImmutableArray<byte>? crl) => crl is { } der ? CrlDocument.Parse([.. der], "CRL").TbsBytes : [];

    private static string FingerprintOf(QuoteCollateral c)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in new[] { Encoding.UTF8.GetBytes(c.TcbInfo), Encoding.UTF8.GetBytes(c.QeIdentity), Signed(c.RootCaCrl), Signed(c.PckCrl) })
        {
            // Length-prefixed, so moving bytes from one part to the next changes the fingerprint.
            hash.AppendData(BitConverter.GetBytes(part.Length));
            hash.AppendData(part);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 8));
    }
}
