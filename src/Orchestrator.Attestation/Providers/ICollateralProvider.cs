using Orchestrator.Attestation.Collateral;

namespace Orchestrator.Attestation.Providers;

/// <summary>Supplies the collateral for a platform: from files (air-gapped pools, tests) or a PCCS/PCS endpoint.</summary>
public interface ICollateralProvider
{
    /// <summary>Returns the collateral for the request, or throws <see cref="CollateralUnavailableException"/>.</summary>
    Task<QuoteCollateral> GetCollateralAsync(CollateralRequest request, CancellationToken cancellationToken = default);
}

/// <summary>The collateral for a request could not be obtained (missing file, HTTP error, undecodable response).</summary>
public sealed class CollateralUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CollateralUnavailableException() : base("collateral unavailable") { }

    /// <summary>Creates the exception with a message.</summary>
    public CollateralUnavailableException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public CollateralUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
