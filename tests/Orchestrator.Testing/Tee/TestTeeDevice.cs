using System.Globalization;
using System.Security.Cryptography;

namespace Orchestrator.Testing.Tee;

/// <summary>
/// The test TEE behind the same file interfaces a real one has, so the trusted runner's quote providers run
/// their real code: a configfs-tsm report directory (<c>&lt;entry&gt;/inblob</c> → <c>outblob</c>,
/// <c>provider</c>, <c>generation</c>) or a Gramine <c>/dev/attestation</c> directory
/// (<c>attestation_type</c>, <c>user_report_data</c> → <c>quote</c>).
/// <para>Why plain files and a polling answerer: a kernel answers synchronously when <c>outblob</c> is read,
/// which plain files cannot do without FUSE (not available here). So this answers the write instead: a
/// background loop scans the tree every few milliseconds and, for each new 64-byte write, writes the quote
/// and then (configfs) bumps <c>generation</c>, as the kernel does on the write. The providers wait for that
/// generation (or for a quote carrying their REPORTDATA), which a real interface satisfies on the first read.
/// Polling rather than inotify because a watch on a just-created entry directory can miss the write that
/// follows its creation.</para>
/// </summary>
public sealed class TestTeeDevice : IAsyncDisposable
{
    private readonly bool _configfs;
    private readonly Func<byte[], byte[]> _quote;
    private readonly Dictionary<string, (DateTime Written, string Hash)> _answered = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _answers;

    private TestTeeDevice(string root, bool configfs, Func<byte[], byte[]> quote)
    {
        Root = root;
        _configfs = configfs;
        _quote = quote;
        Directory.CreateDirectory(root);
        if (!configfs)
        {
            File.WriteAllText(Path.Combine(root, "attestation_type"), "dcap");
        }

        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The directory standing for <c>/sys/kernel/config/tsm/report</c> or <c>/dev/attestation</c>.</summary>
    public string Root { get; }

    /// <summary>How many quotes were made.</summary>
    public int Answers => Volatile.Read(ref _answers);

    /// <summary>Quote made for the next write, given the REPORTDATA written: the TEE's own by default; tests replace it to play a wrong enclave.</summary>
    public Func<byte[], byte[]>? Override { get; set; }

    /// <summary>A TDX guest's configfs-tsm report directory at <paramref name="root"/>, answering with <paramref name="td"/>'s quotes.</summary>
    public static TestTeeDevice ConfigfsTsm(TestTee tee, string root, TestTd? td = null)
    {
        ArgumentNullException.ThrowIfNull(tee);
        return new TestTeeDevice(root, configfs: true, reportData => tee.TdxQuote(reportData, td));
    }

    /// <summary>Gramine's <c>/dev/attestation</c> at <paramref name="root"/>, answering with <paramref name="enclave"/>'s quotes.</summary>
    public static TestTeeDevice Gramine(TestTee tee, string root, TestEnclave? enclave = null)
    {
        ArgumentNullException.ThrowIfNull(tee);
        return new TestTeeDevice(root, configfs: false, reportData => tee.SgxQuote(reportData, enclave));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(2));
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            var requests = _configfs
                ? Directory.EnumerateDirectories(Root).Select(entry => Path.Combine(entry, "inblob"))
                : [Path.Combine(Root, "user_report_data")];
            foreach (var request in requests)
            {
                TryAnswer(request);
            }
        }
    }

    private void TryAnswer(string request)
    {
        try
        {
            if (!File.Exists(request))
            {
                return;
            }

            var written = File.GetLastWriteTimeUtc(request);
            var reportData = File.ReadAllBytes(request);
            if (reportData.Length != 64)
            {
                return; // truncated by the open, the write has not landed yet
            }

            var hash = Convert.ToHexString(SHA256.HashData(reportData));
            if (_answered.TryGetValue(request, out var last) && last.Written == written && last.Hash == hash)
            {
                return;
            }

            _answered[request] = (written, hash);
            var quote = (Override ?? _quote)(reportData);
            var directory = Path.GetDirectoryName(request)!;
            if (_configfs)
            {
                File.WriteAllBytes(Path.Combine(directory, "outblob"), quote);
                File.WriteAllText(Path.Combine(directory, "provider"), "tdx_guest\n");
                var generationPath = Path.Combine(directory, "generation");
                var generation = File.Exists(generationPath) ? long.Parse(File.ReadAllText(generationPath).Trim(), CultureInfo.InvariantCulture) : 0;
                File.WriteAllText(generationPath, (generation + 1).ToString(CultureInfo.InvariantCulture) + "\n");
            }
            else
            {
                File.WriteAllBytes(Path.Combine(directory, "quote"), quote);
            }

            Interlocked.Increment(ref _answers);
        }
        catch (IOException)
        {
            // The entry was removed or is being written: the next scan sees it settled.
        }
    }
}
