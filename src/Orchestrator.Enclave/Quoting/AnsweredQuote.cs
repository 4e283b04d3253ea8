using Orchestrator.Attestation.Quotes;

namespace Orchestrator.Enclave.Quoting;

/// <summary>Checks that bytes read back from a quote interface are a quote over the REPORTDATA just written.</summary>
internal static class AnsweredQuote
{
    /// <summary>True when <paramref name="quote"/> parses and its REPORTDATA equals <paramref name="reportData"/>.</summary>
    public static bool Carries(ReadOnlySpan<byte> quote, ReadOnlySpan<byte> reportData)
    {
        var parsed = QuoteParser.Parse(quote);
        return parsed.Quote is { } q && q.ReportData.AsSpan().SequenceEqual(reportData);
    }

    public static void RequireReportDataSize(ReadOnlyMemory<byte> reportData)
    {
        if (reportData.Length != 64)
        {
            throw new ArgumentException($"REPORTDATA is 64 bytes, got {reportData.Length}", nameof(reportData));
        }
    }

    /// <summary>Waits one poll interval on the injected clock.</summary>
    public static Task PauseAsync(QuoteProviderOptions options, TimeProvider time, CancellationToken cancellationToken) =>
        Task.Delay(options.PollInterval, time, cancellationToken);
}
