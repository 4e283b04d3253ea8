using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Quotes;

namespace Orchestrator.Attestation.Providers;

/// <summary>
/// What identifies the collateral a quote needs: the TEE (SGX and TDX have separate TCB info and
/// QE identity), the platform's FMSPC, and which PCK CA issued its PCK certificate (it selects the PCK CRL).
/// </summary>
/// <param name="Tee">SGX or TDX.</param>
/// <param name="Fmspc">FMSPC as 12 upper-case hex digits.</param>
/// <param name="PckCa">Platform or Processor CA.</param>
public sealed record CollateralRequest(TeeType Tee, string Fmspc, PckCaType PckCa)
{
    /// <summary>Stable cache / file key, e.g. <c>tdx-B0C06F000000-platform</c>.</summary>
    public string Key => $"{TeeSegment}-{Fmspc.ToUpperInvariant()}-{CaSegment}";

    /// <summary>"sgx" or "tdx", as in PCS paths.</summary>
    public string TeeSegment => Tee == TeeType.Sgx ? "sgx" : "tdx";

    /// <summary>"platform" or "processor", as in the PCS <c>ca</c> parameter.</summary>
    public string CaSegment => PckCa == PckCaType.Platform ? "platform" : "processor";

    /// <summary>
    /// Reads the request from a quote's PCK certificate (FMSPC from its SGX extensions, CA from its
    /// issuer). Throws <see cref="FormatException"/> when the quote carries no usable PCK chain.
    /// </summary>
    public static CollateralRequest FromQuote(DcapQuote quote)
    {
        ArgumentNullException.ThrowIfNull(quote);
        if (quote.CertificationDataType != DcapQuote.CertificationDataPckChain)
        {
            throw new FormatException($"certification data type {quote.CertificationDataType} carries no PCK certificate");
        }

        List<ParsedCertificate> chain;
        try
        {
            chain = PemCertificates.Parse(quote.CertificationData.AsSpan(), "PCK certificate chain");
        }
        catch (AttestationException ex)
        {
            throw new FormatException(ex.Message, ex);
        }

        try
        {
            var extensions = SgxPckExtensions.Parse(chain[0]);
            var issuer = chain[0].Certificate.Issuer;
            var ca = issuer.Contains("Processor", StringComparison.OrdinalIgnoreCase) ? PckCaType.Processor : PckCaType.Platform;
            return new CollateralRequest(quote.TeeType, Convert.ToHexString(extensions.Fmspc.AsSpan()), ca);
        }
        catch (AttestationException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
        finally
        {
            PemCertificates.DisposeAll(chain);
        }
    }
}
