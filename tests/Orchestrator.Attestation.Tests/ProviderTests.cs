using System.Net;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Attestation.Collateral;
using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Providers;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Tests;

public sealed class ProviderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("attest-prov-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_request_is_read_from_the_quotes_pck_certificate()
    {
        Assert.Equal(new CollateralRequest(TeeType.Sgx, "00A067110000", PckCaType.Processor),
            CollateralRequest.FromQuote(QuoteSurgery.Parse(SharedVectors.Get("phala-dcap-qvl/sgx_quote").Quote)));
        Assert.Equal(new CollateralRequest(TeeType.Tdx, "B0C06F000000", PckCaType.Platform),
            CollateralRequest.FromQuote(QuoteSurgery.Parse(SharedVectors.Get("phala-dcap-qvl/tdx_quote").Quote)));
        Assert.Equal("tdx-B0C06F000000-platform", CollateralRequest.FromQuote(QuoteSurgery.Parse(SharedVectors.Get("phala-dcap-qvl/tdx_quote").Quote)).Key);
        Assert.Throws<FormatException>(() => CollateralRequest.FromQuote(QuoteSurgery.Parse(SharedVectors.Get("oasis-core/quote_v3_ecdsa_p256_eppid.bin").Quote)));
    }

    [Fact]
    public async Task The_file_provider_serves_air_gapped_collateral_by_tee_fmspc_and_ca()
    {
        var v = SharedVectors.Get("phala-dcap-qvl/sgx_quote");
        var request = CollateralRequest.FromQuote(QuoteSurgery.Parse(v.Quote));
        File.Copy(SharedVectors.PathOf("phala-dcap-qvl/sgx_quote_collateral.json"), Path.Combine(_dir, FileCollateralProvider.FileNameFor(request)));
        var provider = new FileCollateralProvider(_dir);

        var collateral = await provider.GetCollateralAsync(request);
        Assert.True(new DcapQuoteVerifier().Verify(v.Quote, collateral, v.At!.Value).IsVerified);
        await Assert.ThrowsAsync<CollateralUnavailableException>(() => provider.GetCollateralAsync(request with { Fmspc = "000000000000" }));
    }

    [Fact]
    public async Task The_pcs_provider_fetches_the_v4_api_with_url_encoded_issuer_chains()
    {
        var v = SharedVectors.Get("teepot/tdx_1");
        var pcs = FakePcs.ForTeepot("teepot/tdx_1", "tdx", "00806F050000", "platform");
        using var http = new HttpClient(pcs);
        var provider = new PcsCollateralProvider(http, new PcsOptions { BaseUri = new Uri("https://pccs.test:8081/") });

        var request = CollateralRequest.FromQuote(QuoteSurgery.Parse(v.Quote));
        var collateral = await provider.GetCollateralAsync(request);

        Assert.Equal(4, pcs.Requests.Count);
        Assert.Contains("/tdx/certification/v4/tcb?fmspc=00806F050000", pcs.Requests);
        Assert.Contains("/tdx/certification/v4/qe/identity", pcs.Requests);
        Assert.Contains("/sgx/certification/v4/pckcrl?ca=platform&encoding=der", pcs.Requests);
        Assert.Contains("/sgx/certification/v4/rootcacrl", pcs.Requests);

        var result = new DcapQuoteVerifier().Verify(v.Quote, collateral, v.At!.Value);
        Assert.True(result.IsVerified, result.FailureMessage);
        Assert.Equal(TcbStatus.UpToDate, result.Status);
    }

    [Fact]
    public async Task The_pcs_provider_reports_http_errors_and_missing_headers_as_unavailable()
    {
        var pcs = FakePcs.ForTeepot("teepot/tdx_1", "tdx", "00806F050000", "platform");
        using var http = new HttpClient(pcs);
        var provider = new PcsCollateralProvider(http, new PcsOptions { BaseUri = new Uri("https://pccs.test") });
        await Assert.ThrowsAsync<CollateralUnavailableException>(() => provider.GetCollateralAsync(new CollateralRequest(TeeType.Tdx, "AAAAAAAAAAAA", PckCaType.Platform)));

        pcs.OmitChainHeaders = true;
        await Assert.ThrowsAsync<CollateralUnavailableException>(() => provider.GetCollateralAsync(new CollateralRequest(TeeType.Tdx, "00806F050000", PckCaType.Platform)));
    }

    [Fact]
    public async Task The_cache_serves_until_next_update_and_refreshes_ahead_of_it()
    {
        var v = SharedVectors.Get("teepot/tdx_1");
        var clock = new FakeTimeProvider(v.At!.Value);
        var pcs = FakePcs.ForTeepot("teepot/tdx_1", "tdx", "00806F050000", "platform");
        using var http = new HttpClient(pcs);
        var cache = new CachingCollateralProvider(
            new PcsCollateralProvider(http, new PcsOptions { BaseUri = new Uri("https://pccs.test") }),
            clock,
            new CollateralCacheOptions { RefreshAhead = TimeSpan.FromHours(6), RetryAfterFailure = TimeSpan.FromMinutes(5), MaxAge = TimeSpan.FromDays(365) });
        var request = CollateralRequest.FromQuote(QuoteSurgery.Parse(v.Quote));

        var first = await cache.GetCollateralAsync(request);
        var second = await cache.GetCollateralAsync(request);
        Assert.Same(first, second);
        Assert.Equal(4, pcs.Requests.Count);

        var expiry = first.EarliestNextUpdate();
        Assert.Equal(expiry, cache.ExpiryOf(request));
        Assert.Equal(expiry - TimeSpan.FromHours(6), cache.NextRefreshDue);

        clock.SetUtcNow(expiry - TimeSpan.FromHours(7));
        Assert.Empty((await cache.RefreshDueAsync()).Refreshed);
        Assert.Equal(4, pcs.Requests.Count);

        clock.SetUtcNow(expiry - TimeSpan.FromHours(5));
        var report = await cache.RefreshDueAsync();
        Assert.Equal([request.Key], report.Refreshed);
        Assert.Equal(8, pcs.Requests.Count);

        // A failing refresh keeps serving the old collateral until it expires, and retries later.
        pcs.Fail = true;
        var failed = await cache.RefreshDueAsync();
        Assert.Equal([request.Key], failed.Failed);
        Assert.NotNull(await cache.GetCollateralAsync(request));
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromMinutes(5), cache.NextRefreshDue);

        // Once expired it is never served: the next request fetches (and here fails).
        clock.SetUtcNow(expiry);
        await Assert.ThrowsAsync<CollateralUnavailableException>(() => cache.GetCollateralAsync(request));
        pcs.Fail = false;
        Assert.NotNull(await cache.GetCollateralAsync(request));
    }

    [Fact]
    public void Earliest_next_update_covers_tcb_info_qe_identity_and_crls()
    {
        // go-tdx-guest: QE identity and PCK CRL end 2023-07-08T07:24:59Z; the root CRL later.
        var collateral = SharedVectors.Get("go-tdx-guest/tdx_prod_quote_SPR_E4.dat").LoadCollateral();
        Assert.Equal(DateTimeOffset.Parse("2023-07-08T07:24:59Z", System.Globalization.CultureInfo.InvariantCulture), collateral.EarliestNextUpdate());
    }

    /// <summary>An in-process PCS serving the shared vector files (v4 API shape, URL-encoded issuer chain headers).</summary>
    private sealed class FakePcs : HttpMessageHandler
    {
        private readonly Dictionary<string, (byte[] Body, string? Header, string? Chain)> _routes = new(StringComparer.Ordinal);

        public List<string> Requests { get; } = [];

        public bool Fail { get; set; }

        public bool OmitChainHeaders { get; set; }

        public static FakePcs ForTeepot(string folder, string tee, string fmspc, string ca)
        {
            string P(string f) => SharedVectors.PathOf($"{folder}/{f}");
            var pcs = new FakePcs();
            pcs._routes[$"/{tee}/certification/v4/tcb?fmspc={fmspc}"] = (File.ReadAllBytes(P("tcb_info.json")), "TCB-Info-Issuer-Chain", File.ReadAllText(P("tcb_info_issuer_chain.pem")));
            pcs._routes[$"/{tee}/certification/v4/qe/identity"] = (File.ReadAllBytes(P("qe_identity.json")), "SGX-Enclave-Identity-Issuer-Chain", File.ReadAllText(P("qe_identity_issuer_chain.pem")));
            pcs._routes[$"/sgx/certification/v4/pckcrl?ca={ca}&encoding=der"] = (File.ReadAllBytes(P("pck_crl.der")), "SGX-PCK-CRL-Issuer-Chain", File.ReadAllText(P("pck_crl_issuer_chain.pem")));
            pcs._routes["/sgx/certification/v4/rootcacrl"] = (File.ReadAllBytes(P("root_ca_crl.der")), null, null);
            return pcs;
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var key = request.RequestUri!.PathAndQuery;
            lock (Requests)
            {
                Requests.Add(key);
            }

            if (Fail || !_routes.TryGetValue(key, out var route))
            {
                return Task.FromResult(new HttpResponseMessage(Fail ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.NotFound));
            }

            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(route.Body) };
            if (route.Header is not null && !OmitChainHeaders)
            {
                response.Headers.TryAddWithoutValidation(route.Header, Uri.EscapeDataString(route.Chain!));
            }

            return Task.FromResult(response);
        }
    }
}
