using System.Globalization;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Cli.Commands.Attest;

/// <summary>
/// The logic of <c>orchestrator attest verify --quote FILE --collateral FILE --at TIME [--no-revocation] [--test-root ROOT.pem]</c>,
/// kept here so the CLI project only wires arguments to <see cref="RunAsync"/>.
/// </summary>
public static class AttestVerifyCommand
{
    /// <summary>Exit code when verification succeeded.</summary>
    public const int ExitVerified = 0;

    /// <summary>Exit code when the evidence or collateral did not verify.</summary>
    public const int ExitNotVerified = 1;

    /// <summary>Exit code for unusable arguments (unreadable file, unparsable <c>--at</c>).</summary>
    public const int ExitUsage = 2;

    /// <summary>
    /// Verifies a DCAP quote file against a collateral file at an instant and prints exactly one
    /// JSON object on <paramref name="stdout"/> (see <see cref="VerificationJson"/>); diagnostics go
    /// to <paramref name="stderr"/>. Never throws for bad input.
    /// </summary>
    /// <param name="quotePath">The quote: raw binary, or hex text of it.</param>
    /// <param name="collateralPath">One JSON object in the dcap-qvl collateral shape: issuer chains as PEM, CRLs as hex of DER, TCB info and QE identity as their exact signed text, signatures as hex r‖s.</param>
    /// <param name="atText">
    /// The instant to verify at: ISO-8601 (e.g. <c>2025-07-19T10:01:17Z</c> or with an offset;
    /// without an offset it is taken as UTC), or Unix seconds (e.g. <c>1752919277</c>), or <c>now</c>.
    /// </param>
    /// <param name="noRevocation">Skip the root CA CRL and PCK CRL checks (then missing CRLs are allowed).</param>
    /// <param name="testRootPath">
    /// A test root CA in PEM trusted besides Intel's (a test TEE's quotes and collateral chain to it), or null.
    /// The JSON has the same fields either way; stderr says when the chain ended in the test root.
    /// </param>
    /// <param name="stdout">Receives the JSON object.</param>
    /// <param name="stderr">Receives a one-line human summary or the usage error.</param>
    /// <returns>0 when verification succeeded (any TCB status, including OutOfDate and Revoked: the policy judges those), 1 when it failed, 2 for unusable arguments.</returns>
    public static async Task<int> RunAsync(string quotePath, string collateralPath, string atText, bool noRevocation, string? testRootPath, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        if (!TryParseInstant(atText, TimeProvider.System, out var at))
        {
            return await UsageAsync(stdout, stderr, $"--at '{atText}' is neither ISO-8601, Unix seconds nor 'now'").ConfigureAwait(false);
        }

        byte[] quote;
        string collateralText;
        string? testRoot = null;
        try
        {
            testRoot = testRootPath is null ? null : Orchestrator.Attestation.Pki.TestRootCertificate.Sha256HexFromPemFile(testRootPath);
            quote = DecodeQuoteFile(await File.ReadAllBytesAsync(quotePath).ConfigureAwait(false));
            collateralText = await File.ReadAllTextAsync(collateralPath).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return await UsageAsync(stdout, stderr, ex.Message).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            return await UsageAsync(stdout, stderr, "--test-root: " + ex.Message).ConfigureAwait(false);
        }

        QuoteVerificationResult result;
        try
        {
            var collateral = QuoteCollateral.FromDcapQvlJson(collateralText);
            var verifier = new DcapQuoteVerifier(new QuoteVerificationOptions
            {
                CheckRevocation = !noRevocation,
                TestRootsSha256Hex = testRoot is null ? [] : [testRoot],
            });
            result = verifier.Verify(quote, collateral, at);
        }
        catch (FormatException ex)
        {
            result = QuoteVerificationResult.Failed(VerificationFailureReason.MalformedCollateral, "collateral file: " + ex.Message, at);
        }

        await stdout.WriteLineAsync(VerificationJson.Render(result)).ConfigureAwait(false);
        await stderr.WriteLineAsync(result.IsVerified
            ? $"verified at {at:O}: {result.Status!.Value.ToIntelString()}{(noRevocation ? " (revocation NOT checked)" : "")}{(testRoot is null ? "" : " (chain to the TEST root allowed by --test-root, not only Intel's)")}"
            : $"NOT verified at {at:O}: {result.Failure}: {result.FailureMessage}").ConfigureAwait(false);
        return result.IsVerified ? ExitVerified : ExitNotVerified;
    }

    /// <summary>Parses <c>--at</c>: ISO-8601 (UTC when no offset), Unix seconds, or <c>now</c>.</summary>
    public static bool TryParseInstant(string? text, TimeProvider clock, out DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(clock);
        at = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (text.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            at = clock.GetUtcNow();
            return true;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < -62135596800L || seconds > 253402300799L)
            {
                return false;
            }

            at = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);
    }

    /// <summary>A quote file is binary; a file holding only hex digits (and whitespace) is decoded as hex.</summary>
    private static byte[] DecodeQuoteFile(byte[] content)
    {
        var text = new string([.. content.Where(b => !char.IsWhiteSpace((char)b)).Select(b => (char)b)]);
        return text.Length > 0 && text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit) ? Convert.FromHexString(text) : content;
    }

    private static async Task<int> UsageAsync(TextWriter stdout, TextWriter stderr, string message)
    {
        await stdout.WriteLineAsync(VerificationJson.RenderError("UsageError", message)).ConfigureAwait(false);
        await stderr.WriteLineAsync("attest verify: " + message).ConfigureAwait(false);
        return ExitUsage;
    }
}
