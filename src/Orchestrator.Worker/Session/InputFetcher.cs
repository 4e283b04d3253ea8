using System.Net;
using System.Net.Sockets;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Session;

/// <summary>An input file could not be fetched; the replicate is given back.</summary>
public sealed class InputFetchException(string message) : Exception(message);

/// <summary>
/// Fetches a task's input files into memory, each under a size cap and a timeout, named by the URL's
/// last segment, by <see cref="InputRules"/>: the scheme is checked on every URL (redirects included,
/// at most <see cref="InputOptions.MaxRedirects"/>), and the address at connect time, after DNS
/// resolution, on the very address the socket then connects to, so a name that resolves to a public
/// address when checked and to 127.0.0.1 when used (DNS rebinding) gains nothing.
/// </summary>
internal sealed class InputFetcher : IDisposable
{
    private readonly InputRules _rules;
    private readonly HttpClient _http;
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve;

    /// <param name="options">The rules.</param>
    /// <param name="resolve">Name resolution (the system's DNS; tests name hosts that resolve to forbidden addresses).</param>
    public InputFetcher(InputOptions options, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
    {
        _rules = new InputRules(options);
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // each hop is checked here
            UseProxy = false, // a proxy would connect for us, past the address check
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectCheckedAsync,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

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

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_rules.Options.Timeout);
            try
            {
                files.Add(new InputFile(name, await FetchOneAsync(url, timeout.Token).ConfigureAwait(false)));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new InputFetchException($"input file {url} took longer than {_rules.Options.Timeout.TotalSeconds:0.#} s (rule: OrchestratorWorker:Inputs:Timeout)");
            }
            catch (HttpRequestException ex)
            {
                throw ex.InnerException as InputFetchException ?? new InputFetchException($"input file {url} cannot be fetched: {ex.Message}");
            }
        }

        return files;
    }

    public void Dispose() => _http.Dispose();

    private async Task<byte[]> FetchOneAsync(Uri first, CancellationToken cancellationToken)
    {
        var url = first;
        for (var hop = 0; ; hop++)
        {
            if (_rules.SchemeRefusal(url) is { } refusal)
            {
                throw new InputFetchException($"input file {first} refused{(hop > 0 ? $" at redirect {hop} to {url}" : string.Empty)}: {refusal}");
            }

            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                if (hop >= _rules.Options.MaxRedirects)
                {
                    throw new InputFetchException($"input file {first} redirects more than {_rules.Options.MaxRedirects} times (rule: OrchestratorWorker:Inputs:MaxRedirects)");
                }

                url = new Uri(url, location);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new InputFetchException($"input file {url} answered HTTP {(int)response.StatusCode}");
            }

            var max = _rules.Options.MaxBytes;
            if (response.Content.Headers.ContentLength > max)
            {
                throw new InputFetchException($"input file {url} is larger than {max} bytes (rule: OrchestratorWorker:Inputs:MaxBytes)");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > max)
                {
                    throw new InputFetchException($"input file {url} is larger than {max} bytes (rule: OrchestratorWorker:Inputs:MaxBytes)");
                }

#pragma warning disable VSTHRD103 // a MemoryStream write is a memory copy, it never blocks
                buffer.Write(chunk, 0, read);
#pragma warning restore VSTHRD103
            }

            return buffer.ToArray();
        }
    }

    /// <summary>Resolves the host, refuses it if any of its addresses breaks a rule, and connects to the address checked.</summary>
    private async ValueTask<Stream> ConnectCheckedAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host.Trim('[', ']');
        var addresses = IPAddress.TryParse(host, out var literal)
            ? [literal]
            : await _resolve(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new InputFetchException($"input host {host} resolves to no address");
        }

        foreach (var address in addresses)
        {
            if (_rules.AddressRefusal(host, address) is { } refusal)
            {
                throw new InputFetchException($"input {context.InitialRequestMessage.RequestUri} refused: {refusal}");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
