using System.Globalization;
using System.Security.Cryptography;

namespace Orchestrator.Enclave.Quoting;

/// <summary>
/// TDX quotes through Linux configfs-tsm: make a report entry <c>&lt;root&gt;/&lt;name&gt;/</c>, write the
/// 64 bytes of REPORTDATA to <c>inblob</c>, read the quote from <c>outblob</c>. The kernel bumps
/// <c>generation</c> on every write to the entry, so reading it before and after tells whether another
/// process wrote the same entry meanwhile (then the outblob may answer its REPORTDATA, not ours);
/// <c>provider</c> names the TSM that answered (<c>tdx_guest</c> on TDX).
/// </summary>
public sealed class ConfigfsTsmQuoteProvider : IQuoteProvider
{
    /// <summary>The provider name a TDX guest's TSM reports.</summary>
    public const string TdxProvider = "tdx_guest";

    private readonly QuoteProviderOptions _options;
    private readonly TimeProvider _time;
    private readonly string _root;
    private readonly SemaphoreSlim _one = new(1, 1);

    private ConfigfsTsmQuoteProvider(QuoteProviderOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _root = options.Root!;
    }

    /// <inheritdoc />
    public string Description => $"configfs-tsm at {_root}";

    /// <summary>Opens the interface; throws <see cref="QuoteProviderException"/> when the report directory is missing.</summary>
    public static ConfigfsTsmQuoteProvider Open(QuoteProviderOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (string.IsNullOrWhiteSpace(options.Root) || !Directory.Exists(options.Root))
        {
            throw new QuoteProviderException($"no configfs-tsm report interface at {options.Root}: not a TDX guest, or the kernel lacks TSM (CONFIG_TSM_REPORTS, configfs mounted at /sys/kernel/config)");
        }

        return new ConfigfsTsmQuoteProvider(options, time);
    }

    /// <inheritdoc />
    public async Task<byte[]> GetQuoteAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
    {
        AnsweredQuote.RequireReportDataSize(reportData);
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A fresh entry per quote: nobody else knows its name, and rmdir on configfs frees it.
            var entry = Path.Combine(_root, "orchestrator-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)));
            Directory.CreateDirectory(entry);
            try
            {
                return await QuoteAsync(entry, reportData, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                TryRemove(entry);
            }
        }
        catch (IOException ex)
        {
            throw new QuoteProviderException($"configfs-tsm at {_root} failed: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new QuoteProviderException($"configfs-tsm at {_root} refused access: {ex.Message}", ex);
        }
        catch (FormatException ex)
        {
            throw new QuoteProviderException($"configfs-tsm at {_root} has a generation that is not a number: {ex.Message}", ex);
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task<byte[]> QuoteAsync(string entry, ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken)
    {
        var before = ReadGeneration(entry);
        await File.WriteAllBytesAsync(Path.Combine(entry, "inblob"), reportData, cancellationToken).ConfigureAwait(false);

        var deadline = _time.GetUtcNow() + _options.AnswerTimeout;
        while (true)
        {
            var generation = ReadGeneration(entry);
            if (generation > before + 1)
            {
                throw Concurrent(entry, before, generation);
            }

            if (generation == before + 1)
            {
                var outblob = Path.Combine(entry, "outblob");
                var quote = File.Exists(outblob) ? await File.ReadAllBytesAsync(outblob, cancellationToken).ConfigureAwait(false) : [];
                var after = ReadGeneration(entry);
                if (after != before + 1)
                {
                    throw Concurrent(entry, before, after);
                }

                var provider = ReadText(Path.Combine(entry, "provider"));
                if (provider != TdxProvider)
                {
                    throw new QuoteProviderException($"configfs-tsm entry {entry} was answered by provider '{provider}', not '{TdxProvider}': this guest is not a TDX guest");
                }

                return AnsweredQuote.Carries(quote, reportData.Span)
                    ? quote
                    : throw new QuoteProviderException($"configfs-tsm outblob of {entry} is not a quote over the REPORTDATA written to its inblob");
            }

            if (_time.GetUtcNow() >= deadline)
            {
                throw new QuoteProviderException($"configfs-tsm entry {entry} did not answer the inblob write within {_options.AnswerTimeout.TotalSeconds:0.###} s (generation stayed {before})");
            }

            await AnsweredQuote.PauseAsync(_options, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static QuoteProviderException Concurrent(string entry, long before, long after) =>
        new($"configfs-tsm entry {entry} was written by another process while this quote was made (generation {before} became {after}); its outblob cannot be trusted to answer this REPORTDATA");

    private static long ReadGeneration(string entry)
    {
        var text = ReadText(Path.Combine(entry, "generation"));
        return text.Length == 0 ? 0 : long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static string ReadText(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "";

    private static void TryRemove(string entry)
    {
        try
        {
            Directory.Delete(entry, recursive: false); // rmdir: what configfs expects; its attribute files are not real entries
        }
        catch (IOException)
        {
            // Plain directories (the test TEE's tree) keep their files; nothing secret is in them.
        }
    }
}
