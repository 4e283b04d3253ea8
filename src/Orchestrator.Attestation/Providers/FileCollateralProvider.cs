using Orchestrator.Attestation.Collateral;

namespace Orchestrator.Attestation.Providers;

/// <summary>
/// Air-gapped collateral: a directory of dcap-qvl collateral JSON files named
/// <c>{sgx|tdx}-{FMSPC}-{platform|processor}.json</c> (e.g. <c>tdx-B0C06F000000-platform.json</c>),
/// falling back to <c>{sgx|tdx}-{FMSPC}.json</c>. Operators refresh the files out of band.
/// </summary>
public sealed class FileCollateralProvider : ICollateralProvider
{
    private readonly string _directory;

    /// <summary>Creates a provider reading from <paramref name="directory"/>.</summary>
    public FileCollateralProvider(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = directory;
    }

    /// <summary>The file name tried first for a request.</summary>
    public static string FileNameFor(CollateralRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Key + ".json";
    }

    /// <inheritdoc />
    public async Task<QuoteCollateral> GetCollateralAsync(CollateralRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var candidates = new[]
        {
            Path.Combine(_directory, FileNameFor(request)),
            Path.Combine(_directory, $"{request.TeeSegment}-{request.Fmspc.ToUpperInvariant()}.json"),
        };
        var path = candidates.FirstOrDefault(File.Exists)
            ?? throw new CollateralUnavailableException($"no collateral file for {request.Key} in {_directory}");
        try
        {
            return QuoteCollateral.FromDcapQvlJson(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new CollateralUnavailableException($"collateral file {path} is unusable: {ex.Message}", ex);
        }
    }
}
