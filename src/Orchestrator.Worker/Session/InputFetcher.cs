using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Session;

/// <summary>An input file could not be fetched; the replicate is given back.</summary>
public sealed class InputFetchException(string message) : Exception(message);

/// <summary>Fetches a task's input files (http:// or https:// URLs) into memory, each under a size cap, named by the URL's last segment.</summary>
internal sealed class InputFetcher(HttpClient http, long maxBytesPerFile)
{
    public async Task<IReadOnlyList<InputFile>> FetchAsync(IReadOnlyList<string> urls, CancellationToken cancellationToken)
    {
        var files = new List<InputFile>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in urls)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new InputFetchException($"input file '{text}' is not an http(s) URL");
            }

            var name = Uri.UnescapeDataString(url.Segments.LastOrDefault() ?? string.Empty);
            if (!TaskWorkspace.IsPlainFileName(name) || !names.Add(name))
            {
                throw new InputFetchException($"input file '{text}' has no usable file name, or repeats one");
            }

            try
            {
                using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InputFetchException($"input file {url} answered HTTP {(int)response.StatusCode}");
                }

                if (response.Content.Headers.ContentLength > maxBytesPerFile)
                {
                    throw new InputFetchException($"input file {url} is larger than {maxBytesPerFile} bytes");
                }

                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > maxBytesPerFile)
                    {
                        throw new InputFetchException($"input file {url} is larger than {maxBytesPerFile} bytes");
                    }

                    buffer.Write(chunk, 0, read);
                }

                files.Add(new InputFile(name, buffer.ToArray()));
            }
            catch (HttpRequestException ex)
            {
                throw new InputFetchException($"input file {url} cannot be fetched: {ex.Message}");
            }
        }

        return files;
    }
}
