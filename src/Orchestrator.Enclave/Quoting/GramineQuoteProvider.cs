namespace Orchestrator.Enclave.Quoting;

/// <summary>
/// SGX quotes inside Gramine through its <c>/dev/attestation</c> pseudo-files: <c>attestation_type</c>
/// must read <c>dcap</c>; write the 64 bytes of REPORTDATA to <c>user_report_data</c>, then read
/// <c>quote</c>. The files are process-wide, so quotes are made one at a time; the quote read back is
/// checked to carry the REPORTDATA just written.
/// </summary>
public sealed class GramineQuoteProvider : IQuoteProvider
{
    private readonly QuoteProviderOptions _options;
    private readonly TimeProvider _time;
    private readonly string _root;
    private readonly SemaphoreSlim _one = new(1, 1);

    private GramineQuoteProvider(QuoteProviderOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _root = options.Root!;
    }

    /// <inheritdoc />
    public string Description => $"Gramine attestation files at {_root}";

    /// <summary>Opens the interface; throws <see cref="QuoteProviderException"/> when it is missing or not DCAP.</summary>
    public static GramineQuoteProvider Open(QuoteProviderOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var typePath = Path.Combine(options.Root ?? "", "attestation_type");
        if (string.IsNullOrWhiteSpace(options.Root) || !File.Exists(typePath))
        {
            throw new QuoteProviderException($"no Gramine attestation interface at {options.Root}: not inside a Gramine SGX enclave, or its manifest does not enable sgx.remote_attestation");
        }

        var type = File.ReadAllText(typePath).Trim('\0', ' ', '\n');
        if (type != "dcap")
        {
            throw new QuoteProviderException($"Gramine attestation_type at {typePath} is '{type}', not 'dcap': set sgx.remote_attestation = \"dcap\" in the manifest");
        }

        return new GramineQuoteProvider(options, time);
    }

    /// <inheritdoc />
    public async Task<byte[]> GetQuoteAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken = default)
    {
        AnsweredQuote.RequireReportDataSize(reportData);
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(_root, "user_report_data"), reportData, cancellationToken).ConfigureAwait(false);
            var quotePath = Path.Combine(_root, "quote");
            var deadline = _time.GetUtcNow() + _options.AnswerTimeout;
            while (true)
            {
                var quote = File.Exists(quotePath) ? await File.ReadAllBytesAsync(quotePath, cancellationToken).ConfigureAwait(false) : [];
                if (AnsweredQuote.Carries(quote, reportData.Span))
                {
                    return quote;
                }

                if (_time.GetUtcNow() >= deadline)
                {
                    throw new QuoteProviderException($"Gramine {quotePath} did not carry the REPORTDATA written to user_report_data within {_options.AnswerTimeout.TotalSeconds:0.###} s");
                }

                await AnsweredQuote.PauseAsync(_options, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException ex)
        {
            throw new QuoteProviderException($"Gramine attestation files at {_root} failed: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new QuoteProviderException($"Gramine attestation files at {_root} refused access: {ex.Message}", ex);
        }
        finally
        {
            _one.Release();
        }
    }
}
