using Orchestrator.Attestation.Providers;
using Orchestrator.Attestation.Quotes;
using Orchestrator.Attestation.Simulation;

namespace Orchestrator.Attestation.Verification;

/// <summary>Verifies whatever evidence a worker sends (DCAP quote or simulated), fetching collateral as needed.</summary>
public interface IEvidenceVerifier
{
    /// <summary>Verifies evidence at an instant. Never throws for bad input; failures are in the result.</summary>
    Task<QuoteVerificationResult> VerifyAsync(ReadOnlyMemory<byte> evidence, DateTimeOffset at, CancellationToken cancellationToken = default);
}

/// <summary>
/// The entry point for the orchestrator side (gRPC service, grains): recognises simulated evidence
/// by its magic and verifies it with <see cref="SimulatedEvidenceVerifier"/>; otherwise parses the
/// DCAP quote, obtains its collateral from an <see cref="ICollateralProvider"/> (typically a
/// <see cref="CachingCollateralProvider"/> over a <see cref="PcsCollateralProvider"/> or a
/// <see cref="FileCollateralProvider"/>) and verifies it with <see cref="DcapQuoteVerifier"/>.
/// Then judge the result with an app's <see cref="Policy.AttestationPolicy"/>.
/// </summary>
public sealed class EvidenceVerifier : IEvidenceVerifier
{
    private readonly ICollateralProvider _collateral;
    private readonly DcapQuoteVerifier _dcap;
    private readonly QuoteVerificationOptions _options;
    private readonly SimulatedEvidenceVerifier _simulated;

    /// <summary>Creates the verifier.</summary>
    public EvidenceVerifier(ICollateralProvider collateral, QuoteVerificationOptions? options = null, SimulatedEvidenceVerifier? simulated = null)
    {
        ArgumentNullException.ThrowIfNull(collateral);
        _collateral = collateral;
        _options = options ?? QuoteVerificationOptions.Default;
        _dcap = new DcapQuoteVerifier(_options);
        _simulated = simulated ?? new SimulatedEvidenceVerifier();
    }

    /// <inheritdoc />
    public async Task<QuoteVerificationResult> VerifyAsync(ReadOnlyMemory<byte> evidence, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        if (SimulatedEvidence.IsSimulated(evidence.Span))
        {
            return _simulated.Verify(evidence.Span, at);
        }

        var parsed = QuoteParser.Parse(evidence.Span, _options.RejectTrailingData);
        if (parsed.Quote is not { } quote)
        {
            var reason = evidence.Length >= 2 && evidence.Span[0] is 3 or 4 or 5 ? parsed.Failure!.Value : VerificationFailureReason.UnknownEvidenceFormat;
            return QuoteVerificationResult.Failed(reason, parsed.Message!, at);
        }

        Collateral.QuoteCollateral collateral;
        try
        {
            collateral = await _collateral.GetCollateralAsync(CollateralRequest.FromQuote(quote), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Any provider failure (unavailable, undecodable, a provider bug) means no collateral: never a pass, never an escape.
            // Let the verifier name the failure for quotes that carry no PCK chain; otherwise collateral is missing.
            return quote.CertificationDataType != DcapQuote.CertificationDataPckChain
                ? _dcap.Verify(quote, null, at)
                : _dcap.Verify(quote, null, at) with { Failure = VerificationFailureReason.CollateralMissing, FailureMessage = ex.Message };
        }

        return _dcap.Verify(quote, collateral, at) with { Collateral = VersionOf(collateral) };
    }

    /// <summary>The collateral's version; null when it cannot be read (the verdict then fails on that collateral anyway).</summary>
    private static Collateral.CollateralVersion? VersionOf(Collateral.QuoteCollateral collateral)
    {
        try
        {
            return Collateral.CollateralVersion.Of(collateral);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
