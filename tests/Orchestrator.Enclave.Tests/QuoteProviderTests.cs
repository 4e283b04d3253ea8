using Microsoft.Extensions.Time.Testing;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Verification;
using Orchestrator.Enclave.Quoting;
using Orchestrator.Testing;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Enclave.Tests;

/// <summary>
/// The quote providers through the file interfaces a TDX guest (configfs-tsm) and Gramine (/dev/attestation)
/// present, answered by the test TEE; their quotes verify under the test root with the REPORTDATA written.
/// </summary>
public sealed class QuoteProviderTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly TestTee _tee = new(At);
    private readonly string _dir = Directory.CreateTempSubdirectory("quote-providers-").FullName;
    private readonly byte[] _reportData = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];

    [Fact]
    public async Task Configfs_tsm_gives_a_tdx_quote_over_the_report_data_that_verifies_under_the_test_root()
    {
        await using var device = TestTeeDevice.ConfigfsTsm(_tee, Path.Combine(_dir, "tsm"));
        var provider = QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.ConfigfsTsm, Root = device.Root }, TimeProvider.System)!;

        var quote = await provider.GetQuoteAsync(_reportData);
        var second = await provider.GetQuoteAsync(_reportData.Reverse().ToArray());

        var result = Verify(quote, TeeType.Tdx);
        Assert.True(result.IsVerified, result.FailureMessage);
        Assert.Equal(_reportData, result.TdReport!.ReportData.ToArray());
        Assert.Equal(_reportData.Reverse().ToArray(), Verify(second, TeeType.Tdx).TdReport!.ReportData.ToArray());
        Assert.Equal(2, device.Answers);
        Assert.StartsWith("configfs-tsm at ", provider.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gramine_gives_an_sgx_quote_over_the_report_data_that_verifies_under_the_test_root()
    {
        await using var device = TestTeeDevice.Gramine(_tee, Path.Combine(_dir, "attestation"));
        var provider = QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.Gramine, Root = device.Root }, TimeProvider.System)!;

        var quote = await provider.GetQuoteAsync(_reportData);

        var result = Verify(quote, TeeType.Sgx);
        Assert.True(result.IsVerified, result.FailureMessage);
        Assert.Equal(_reportData, result.Enclave!.ReportData.ToArray());
    }

    [Fact]
    public void A_missing_interface_is_refused_at_startup_in_one_line_naming_the_path()
    {
        var absent = Path.Combine(_dir, "absent");

        var tsm = Assert.Throws<QuoteProviderException>(() => QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.ConfigfsTsm, Root = absent }, TimeProvider.System));
        Assert.Equal($"no configfs-tsm report interface at {absent}: not a TDX guest, or the kernel lacks TSM (CONFIG_TSM_REPORTS, configfs mounted at /sys/kernel/config)", tsm.Message);

        var gramine = Assert.Throws<QuoteProviderException>(() => QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.Gramine, Root = absent }, TimeProvider.System));
        Assert.StartsWith($"no Gramine attestation interface at {absent}: not inside a Gramine SGX enclave", gramine.Message, StringComparison.Ordinal);

        Assert.Null(QuoteProviders.Create(new QuoteProviderOptions(), TimeProvider.System));
    }

    [Fact]
    public void Gramine_without_dcap_attestation_is_refused_naming_the_manifest_setting()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, "none")).FullName;
        File.WriteAllText(Path.Combine(root, "attestation_type"), "none");

        var error = Assert.Throws<QuoteProviderException>(() => QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.Gramine, Root = root }, TimeProvider.System));

        Assert.Contains("is 'none', not 'dcap': set sgx.remote_attestation = \"dcap\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_concurrent_writer_bumping_the_generation_twice_is_detected()
    {
        // The test plays the kernel by hand: another write landed on the entry before ours was answered.
        var root = Directory.CreateDirectory(Path.Combine(_dir, "tsm-race")).FullName;
        var time = new FakeTimeProvider(At);
        var provider = QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.ConfigfsTsm, Root = root }, time)!;

        var pending = provider.GetQuoteAsync(_reportData);
        var entry = await Eventually.ForAsync("the provider's inblob write", () => Task.FromResult(Directory.EnumerateDirectories(root).FirstOrDefault(d => File.Exists(Path.Combine(d, "inblob")))), e => e is not null);
        await File.WriteAllBytesAsync(Path.Combine(entry!, "outblob"), _tee.TdxQuote(new byte[64]));
        await File.WriteAllTextAsync(Path.Combine(entry!, "provider"), "tdx_guest");
        await File.WriteAllTextAsync(Path.Combine(entry!, "generation"), "2");
        var error = await DriveAsync(time, pending);

        Assert.Contains("was written by another process while this quote was made (generation 0 became 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_interface_that_never_answers_times_out_on_the_injected_clock()
    {
        var root = Directory.CreateDirectory(Path.Combine(_dir, "silent")).FullName;
        var time = new FakeTimeProvider(At);
        var provider = QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.ConfigfsTsm, Root = root }, time)!;

        var error = await DriveAsync(time, provider.GetQuoteAsync(_reportData));

        Assert.Contains("did not answer the inblob write within 10 s (generation stayed 0)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_quote_over_other_report_data_is_refused()
    {
        await using var device = TestTeeDevice.Gramine(_tee, Path.Combine(_dir, "stale"));
        device.Override = _ => _tee.SgxQuote(new byte[64]);
        var time = new FakeTimeProvider(At);
        var provider = QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.Gramine, Root = device.Root }, time)!;

        var error = await DriveAsync(time, provider.GetQuoteAsync(_reportData));

        Assert.Contains("did not carry the REPORTDATA written to user_report_data", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => provider.GetQuoteAsync(new byte[32]).GetAwaiter().GetResult());
    }

    public void Dispose()
    {
        _tee.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Advances the fake clock a poll interval at a time until the provider gives up.</summary>
    private static async Task<QuoteProviderException> DriveAsync(FakeTimeProvider time, Task<byte[]> pending)
    {
        // Bounded in real time only so a broken provider fails the test instead of hanging it.
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!pending.IsCompleted && guard.Elapsed < TimeSpan.FromSeconds(30))
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Yield();
        }

        return await Assert.ThrowsAsync<QuoteProviderException>(() => pending);
    }

    private QuoteVerificationResult Verify(byte[] quote, TeeType tee) =>
        new DcapQuoteVerifier(new QuoteVerificationOptions { TestRootsSha256Hex = [_tee.RootSha256Hex] }).Verify(quote, _tee.Collateral(tee), At);
}
