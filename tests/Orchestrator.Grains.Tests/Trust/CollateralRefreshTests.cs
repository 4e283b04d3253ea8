using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Providers;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Trust;

namespace Orchestrator.Grains.Tests.Trust;

/// <summary>
/// Collateral from a real HTTP PCCS on loopback, cached to its nextUpdate and refreshed by the
/// background service, all on a fake clock (the service's waits complete when the test advances it).
/// </summary>
public sealed class CollateralRefreshTests
{
    // teepot/tdx_1: a TDX v4 quote whose collateral the shared vectors ship; verified at this instant.
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2024-12-05T13:55:35Z", CultureInfo.InvariantCulture);
    private static readonly CollateralRequest Request = new(TeeType.Tdx, "00806F050000", Attestation.Pki.PckCaType.Platform);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    private static byte[] Quote => File.ReadAllBytes(Path.Combine(VectorFiles.Directory, "teepot/tdx_1/quote.bin"));

    [Fact]
    public async Task The_refresher_fetches_ahead_of_next_update_keeps_serving_through_an_outage_and_never_serves_expired_collateral()
    {
        await using var pcs = await LoopbackPcs.StartAsync("teepot/tdx_1", "tdx", "00806F050000", "platform");
        var time = new FakeTimeProvider(At);
        using var http = new HttpClient();
        var cache = new CachingCollateralProvider(new PcsCollateralProvider(http, new PcsOptions { BaseUri = pcs.BaseUri }), time,
            new CollateralCacheOptions { RefreshAhead = TimeSpan.FromHours(6), RetryAfterFailure = TimeSpan.FromMinutes(5), MaxAge = TimeSpan.FromDays(365) });
        var options = Options.Create(new AttestationOptions { CollateralRefreshInterval = Interval });
        using var refresher = new CollateralRefreshService(cache, time, options, NullLogger<CollateralRefreshService>.Instance);
        await refresher.StartAsync(CancellationToken.None);
        try
        {
            // First use fetches the four PCS v4 documents; a second use is served from the cache.
            var result = await new EvidenceVerifier(cache).VerifyAsync(Quote, At);
            Assert.True(result.IsVerified, result.FailureMessage);
            Assert.Equal(4, pcs.Requests);
            await cache.GetCollateralAsync(Request);
            Assert.Equal(4, pcs.Requests);
            var expiry = cache.ExpiryOf(Request)!.Value;

            // Nothing is due yet: a pass fetches nothing.
            await AdvanceAndWaitForPassAsync(time, refresher, Interval);
            Assert.Equal(4, pcs.Requests);

            // Six hours before nextUpdate the entry is due: the next pass fetches it again.
            await MoveAndWaitForPassAsync(time, refresher, expiry - TimeSpan.FromHours(6) - Interval + TimeSpan.FromSeconds(1));
            Assert.Equal(4, pcs.Requests);
            await AdvanceAndWaitForPassAsync(time, refresher, Interval);
            Assert.Equal(8, pcs.Requests);

            // During an outage refreshes fail but the cached collateral keeps serving until its nextUpdate.
            pcs.Failing = true;
            await MoveAndWaitForPassAsync(time, refresher, expiry - TimeSpan.FromHours(1));
            var before = pcs.Requests;
            await AdvanceAndWaitForPassAsync(time, refresher, Interval);
            Assert.True(pcs.Requests > before, "the refresher tried the PCCS");
            Assert.NotNull(await cache.GetCollateralAsync(Request));

            // Past nextUpdate it is never served: a request fetches anew and, the PCCS being down, fails.
            await MoveAndWaitForPassAsync(time, refresher, expiry + TimeSpan.FromSeconds(1));
            await Assert.ThrowsAsync<CollateralUnavailableException>(() => cache.GetCollateralAsync(Request));
            var expired = await new EvidenceVerifier(cache).VerifyAsync(Quote, time.GetUtcNow());
            Assert.False(expired.IsVerified);
            Assert.Equal(VerificationFailureReason.CollateralMissing, expired.Failure);

            // The PCCS is back: the next request fetches fresh collateral (the same files, so still expired at this instant).
            pcs.Failing = false;
            await cache.GetCollateralAsync(Request);
        }
        finally
        {
            await refresher.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_real_dcap_quote_verifies_with_pccs_collateral_but_cannot_register_a_session_it_does_not_bind()
    {
        await using var pcs = await LoopbackPcs.StartAsync("teepot/tdx_1", "tdx", "00806F050000", "platform");
        using var http = new HttpClient();
        var verifier = new EvidenceVerifier(new CachingCollateralProvider(new PcsCollateralProvider(http, new PcsOptions { BaseUri = pcs.BaseUri }), new FakeTimeProvider(At)));
        var result = await verifier.VerifyAsync(Quote, At);
        Assert.True(result.IsVerified, result.FailureMessage);

        var sessionKey = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        var verdict = AttestationMapping.Assess(new WorkerEvidence(EvidenceFormat.DcapQuote, Quote, sessionKey, RandomNumberGenerator.GetBytes(32)), result, TeeKind.Tdx, At);
        Assert.False(verdict.Verified); // its REPORTDATA (zeros) binds no session key and no challenge of ours
        Assert.Contains("REPORTDATA", verdict.Failure, StringComparison.Ordinal);
        Assert.Equal("5d56080eb9ef8ce0bbaf6bdcdadeeb06e7c5b0a4d1ec16be868a85a953babe0c5e54d01c8e050a54fe1ca078372530d2", verdict.MrTd);
        Assert.Equal("UpToDate", verdict.TcbStatus);
        Assert.False(verdict.Simulated);

        // A DCAP quote claiming to be simulated, or from the wrong TEE, is refused on those grounds first.
        Assert.Contains("declared Sgx", AttestationMapping.Assess(new WorkerEvidence(EvidenceFormat.DcapQuote, Quote, sessionKey, RandomNumberGenerator.GetBytes(32)), result, TeeKind.Sgx, At).Failure, StringComparison.Ordinal);
        Assert.Contains("format", AttestationMapping.Assess(new WorkerEvidence(EvidenceFormat.Simulated, Quote, sessionKey, RandomNumberGenerator.GetBytes(32)), result, TeeKind.Tdx, At).Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_configured_source_is_the_pccs_then_files_then_none_with_a_message_naming_the_keys()
    {
        Assert.IsType<PcsCollateralProvider>(AttestationServices.CollateralSource(new AttestationOptions { PcsUrl = "https://pccs.internal:8081", CollateralDirectory = "/x" }));
        Assert.IsType<FileCollateralProvider>(AttestationServices.CollateralSource(new AttestationOptions { CollateralDirectory = "/x" }));
        var none = AttestationServices.CollateralSource(new AttestationOptions());
        var error = Assert.Throws<CollateralUnavailableException>(() => none.GetCollateralAsync(Request).GetAwaiter().GetResult());
        Assert.Contains("Orchestrator:Attestation:PcsUrl", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Jumps the fake clock (past at least one interval) and waits for the pass that jump triggers, so the next step starts from a quiet refresher.</summary>
    private static async Task MoveAndWaitForPassAsync(FakeTimeProvider time, CollateralRefreshService refresher, DateTimeOffset to)
    {
        var passes = refresher.Passes;
        time.SetUtcNow(to);
        await Eventually.UntilAsync("the refresher to run a pass after the clock jumped", () => refresher.Passes > passes, TimeSpan.FromSeconds(10));
    }

    /// <summary>Moves the fake clock by one interval and waits (bounded) for the service's pass to run.</summary>
    private static async Task AdvanceAndWaitForPassAsync(FakeTimeProvider time, CollateralRefreshService refresher, TimeSpan by)
    {
        var passes = refresher.Passes;
        time.Advance(by);
        await Eventually.UntilAsync("the refresher to run a pass after the clock advanced", () => refresher.Passes > passes, TimeSpan.FromSeconds(10));
    }
}
