using Orchestrator.Attestation.Pki;

namespace Orchestrator.Grains.Trust;

/// <summary>
/// When a silo may trust a test root CA. A test root turns quotes made by software (the test TEE) into
/// verified hardware evidence, so it is trusted only with an explicit <see cref="AttestationOptions.AllowTestRoots"/>
/// and never by a silo whose verdicts and trust states are durable: a test pool must not be one
/// configuration key away from admitting fake enclaves to real data.
/// </summary>
public static class TestRootRule
{
    private const string Key = AttestationOptions.Section + ":" + nameof(AttestationOptions.TestRootCertificate);
    private const string AllowKey = AttestationOptions.Section + ":" + nameof(AttestationOptions.AllowTestRoots);

    /// <summary>Why this configuration may not trust its test root, or null when it may (or names none).</summary>
    public static string? Check(AttestationOptions options, bool durableState)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.TestRootCertificate))
        {
            return null;
        }

        if (durableState)
        {
            return $"{Key} names a test root CA, and this silo keeps durable state (Orchestrator:Storage=Postgres): a test root is trusted only by in-memory test silos; remove {Key}";
        }

        if (!options.AllowTestRoots)
        {
            return $"{Key} names a test root CA, which makes quotes from a test TEE count as hardware evidence: set {AllowKey}=true to trust it (tests only), or remove {Key}";
        }

        try
        {
            TestRootCertificate.Sha256HexFromPemFile(options.TestRootCertificate);
            return null;
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            return $"{Key}: {ex.Message}";
        }
    }

    /// <summary>The test roots the verifier pins: the configured one when the rule allows it, else none. Throws <see cref="InvalidOperationException"/> when the rule refuses it.</summary>
    public static IReadOnlyList<string> TrustedTestRoots(AttestationOptions options, bool durableState)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (Check(options, durableState) is { } error)
        {
            throw new InvalidOperationException(error);
        }

        return string.IsNullOrWhiteSpace(options.TestRootCertificate) ? [] : [TestRootCertificate.Sha256HexFromPemFile(options.TestRootCertificate)];
    }
}
