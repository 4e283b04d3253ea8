using System.Net.Http.Headers;
using Orchestrator.Attestation.Collateral;

namespace Orchestrator.Attestation.Providers;

/// <summary>Where <see cref="PcsCollateralProvider"/> fetches from.</summary>
public sealed record PcsOptions
{
    /// <summary>
    /// Root of the PCCS or Intel PCS, without the API path (e.g. <c>https://api.trustedservices.intel.com</c>
    /// or <c>https://pccs.internal:8081</c>); <c>/sgx/certification/v4/...</c> and <c>/tdx/certification/v4/...</c> are appended.
    /// </summary>
    public required Uri BaseUri { get; init; }

    /// <summary>
    /// Where the root CA CRL comes from. Default: <c>{BaseUri}/sgx/certification/v4/rootcacrl</c> (PCCS);
    /// Intel's PCS has none, use <c>https://certificates.trustedservices.intel.com/IntelSGXRootCA.der</c> there.
    /// </summary>
    public Uri? RootCaCrlUri { get; init; }

    /// <summary>
    /// The PCS v4 <c>update</c> parameter of TCB info and QE identity: <c>standard</c> or <c>early</c>
    /// (the TCB recovery collateral Intel publishes ahead of enforcement); null sends none (the server's default, standard).
    /// </summary>
    public string? Update { get; init; }
}

/// <summary>
/// Fetches collateral from a PCCS/PCS speaking the Intel PCS v4 API: TCB info
/// (<c>/{sgx|tdx}/certification/v4/tcb?fmspc=</c>, chain in <c>TCB-Info-Issuer-Chain</c>), QE identity
/// (<c>/{sgx|tdx}/certification/v4/qe/identity</c>, chain in <c>SGX-Enclave-Identity-Issuer-Chain</c>),
/// PCK CRL (<c>/sgx/certification/v4/pckcrl?ca=platform|processor&amp;encoding=der</c>, chain in
/// <c>SGX-PCK-CRL-Issuer-Chain</c>) and the root CA CRL. Issuer chains arrive URL-encoded in headers.
/// No caching here: wrap it in <see cref="CachingCollateralProvider"/>.
/// </summary>
public sealed class PcsCollateralProvider : ICollateralProvider
{
    private readonly HttpClient _http;
    private readonly PcsOptions _options;

    /// <summary>Creates the provider over an <see cref="HttpClient"/> the caller owns.</summary>
    public PcsCollateralProvider(HttpClient http, PcsOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
    }

    /// <inheritdoc />
    public async Task<QuoteCollateral> GetCollateralAsync(CollateralRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var tee = request.TeeSegment;
        var update = _options.Update is { Length: > 0 } u ? "update=" + Uri.EscapeDataString(u) : null;
        var tcbTask = GetAsync($"{tee}/certification/v4/tcb?fmspc={Uri.EscapeDataString(request.Fmspc.ToUpperInvariant())}{(update is null ? "" : "&" + update)}", ["TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"], cancellationToken);
        var qeTask = GetAsync($"{tee}/certification/v4/qe/identity{(update is null ? "" : "?" + update)}", ["SGX-Enclave-Identity-Issuer-Chain", "Enclave-Identity-Issuer-Chain"], cancellationToken);
        var pckCrlTask = GetAsync($"sgx/certification/v4/pckcrl?ca={request.CaSegment}&encoding=der", ["SGX-PCK-CRL-Issuer-Chain"], cancellationToken);
        var rootCrlTask = GetAsync(_options.RootCaCrlUri ?? Relative("sgx/certification/v4/rootcacrl"), [], cancellationToken);
        await Task.WhenAll(tcbTask, qeTask, pckCrlTask, rootCrlTask).ConfigureAwait(false);

        var (tcbBody, tcbChain) = await tcbTask.ConfigureAwait(false);
        var (qeBody, qeChain) = await qeTask.ConfigureAwait(false);
        var (pckCrl, pckCrlChain) = await pckCrlTask.ConfigureAwait(false);
        var (rootCrl, _) = await rootCrlTask.ConfigureAwait(false);
        try
        {
            return QuoteCollateral.FromPcsResponses(
                System.Text.Encoding.UTF8.GetString(tcbBody), tcbChain!,
                System.Text.Encoding.UTF8.GetString(qeBody), qeChain!,
                pckCrlChain, rootCrl, pckCrl);
        }
        catch (FormatException ex)
        {
            throw new CollateralUnavailableException($"PCS collateral for {request.Key} cannot be decoded: {ex.Message}", ex);
        }
    }

    private Uri Relative(string pathAndQuery)
    {
        var root = _options.BaseUri.AbsoluteUri.TrimEnd('/') + "/";
        return new Uri(new Uri(root), pathAndQuery);
    }

    private Task<(byte[] Body, string? Chain)> GetAsync(string pathAndQuery, string[] chainHeaders, CancellationToken cancellationToken) =>
        GetAsync(Relative(pathAndQuery), chainHeaders, cancellationToken);

    private async Task<(byte[] Body, string? Chain)> GetAsync(Uri uri, string[] chainHeaders, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new CollateralUnavailableException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (chainHeaders.Length == 0)
            {
                return (body, null);
            }

            var chain = chainHeaders.Select(h => Header(response.Headers, h)).FirstOrDefault(v => v is not null)
                ?? throw new CollateralUnavailableException($"GET {uri} returned no issuer chain header ({string.Join(" / ", chainHeaders)})");
            return (body, Uri.UnescapeDataString(chain));
        }
        catch (HttpRequestException ex)
        {
            throw new CollateralUnavailableException($"GET {uri} failed: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CollateralUnavailableException($"GET {uri} timed out", ex);
        }
    }

    private static string? Header(HttpResponseHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? string.Concat(values) : null;
}
