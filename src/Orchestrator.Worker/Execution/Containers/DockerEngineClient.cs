using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Worker.Execution.Containers;

/// <summary>An image as the engine stores it.</summary>
/// <param name="Id">The image id (config digest).</param>
/// <param name="RepoDigests">The <c>repository@sha256:…</c> references it was pulled by.</param>
/// <param name="Size">Its size on disk, bytes.</param>
public sealed record EngineImage(string Id, IReadOnlyList<string> RepoDigests, long Size);

/// <summary>How a container ended, as the engine inspects it.</summary>
/// <param name="ExitCode">Its exit code (137 after SIGKILL).</param>
/// <param name="OomKilled">The engine saw the kernel's OOM killer end it.</param>
public sealed record EngineExit(int ExitCode, bool OomKilled);

/// <summary>The engine refused a call or answered with an error.</summary>
public sealed class DockerEngineException(string message, HttpStatusCode? status = null) : Exception(message)
{
    /// <summary>The HTTP status, when the engine answered.</summary>
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// The few Docker Engine API (v1.41) calls the agent needs, over the engine's Unix socket: Docker's
/// <c>/var/run/docker.sock</c> or podman's <c>podman system service</c>. A plain HttpClient rather than
/// Docker.DotNet: eleven calls, no dependency to keep in step with two engines, and each call's body
/// visible here (what the sandbox is made of is the point of this class's caller).
/// </summary>
public sealed class DockerEngineClient : IDisposable
{
    private const string ApiVersion = "v1.41";
    private readonly HttpClient _http;

    /// <summary>A client of the engine listening on <paramref name="socketPath"/>.</summary>
    public DockerEngineClient(string socketPath)
    {
        SocketPath = socketPath;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // Waits (a container's run, a pull) are bounded by the callers' tokens, not by a client-wide timeout.
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://engine/" + ApiVersion + "/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The engine's socket.</summary>
    public string SocketPath { get; }

    /// <summary>True when the engine answers <c>GET /_ping</c>.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync("_ping", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>The image stored under <paramref name="reference"/>, or null when the engine has none.</summary>
    public async Task<EngineImage?> InspectImageAsync(string reference, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"images/{Uri.EscapeDataString(reference)}/json", null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var json = await ReadAsync(response, "inspect image", cancellationToken).ConfigureAwait(false);
        var digests = json["RepoDigests"] is JsonArray array ? array.Select(d => d?.GetValue<string>() ?? string.Empty).ToList() : [];
        return new EngineImage(json["Id"]?.GetValue<string>() ?? string.Empty, digests, json["Size"]?.GetValue<long>() ?? 0);
    }

    /// <summary>
    /// Pulls <paramref name="reference"/>. The engine answers 200 at once and streams progress; a failure
    /// arrives as an <c>error</c> line in that stream, which is turned into an exception here.
    /// </summary>
    public async Task PullAsync(string reference, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"images/create?fromImage={Uri.EscapeDataString(reference)}", null, cancellationToken,
            HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, "pull", cancellationToken).ConfigureAwait(false);
        }

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0 || !line.Contains("\"error", StringComparison.Ordinal))
            {
                continue;
            }

            var message = JsonNode.Parse(line)?["error"]?.GetValue<string>();
            if (!string.IsNullOrEmpty(message))
            {
                throw new DockerEngineException(OneLine(message));
            }
        }
    }

    /// <summary>Removes an image (forced: a refused image must not stay usable).</summary>
    public async Task RemoveImageAsync(string reference, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"images/{Uri.EscapeDataString(reference)}?force=true", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
        {
            throw await ErrorAsync(response, "remove image", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Creates a container from a create body (see ContainerSpec) and returns its id.</summary>
    public async Task<string> CreateContainerAsync(string name, JsonObject body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/create?name={Uri.EscapeDataString(name)}", body, cancellationToken).ConfigureAwait(false);
        var json = await ReadAsync(response, "create container", cancellationToken).ConfigureAwait(false);
        return json["Id"]?.GetValue<string>() ?? throw new DockerEngineException("the engine created a container without an id");
    }

    /// <summary>Starts a created container.</summary>
    public async Task StartContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{id}/start", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotModified)
        {
            throw await ErrorAsync(response, "start container", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the container stops; returns its exit code.</summary>
    public async Task<int> WaitContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{id}/wait", null, cancellationToken,
            HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        var json = await ReadAsync(response, "wait for container", cancellationToken).ConfigureAwait(false);
        return json["StatusCode"]?.GetValue<int>() ?? -1;
    }

    /// <summary>How a stopped container ended.</summary>
    public async Task<EngineExit> InspectExitAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"containers/{id}/json", null, cancellationToken).ConfigureAwait(false);
        var json = await ReadAsync(response, "inspect container", cancellationToken).ConfigureAwait(false);
        var state = json["State"];
        return new EngineExit(state?["ExitCode"]?.GetValue<int>() ?? -1, state?["OOMKilled"]?.GetValue<bool>() ?? false);
    }

    /// <summary>The container's stdout and stderr so far, demultiplexed (see <see cref="EngineLogStream"/>).</summary>
    public async Task CopyLogsAsync(string id, LogTail stdout, LogTail stderr, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"containers/{id}/logs?stdout=true&stderr=true", null, cancellationToken,
            HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, "read logs", cancellationToken).ConfigureAwait(false);
        }

        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await EngineLogStream.CopyAsync(stream, stdout, stderr, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends SIGKILL to a running container (nothing when it already stopped).</summary>
    public async Task KillContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, $"containers/{id}/kill?signal=KILL", null, cancellationToken).ConfigureAwait(false);
        // 409: not running any more; 404: already gone. Either way nothing is left to kill.
        if (!response.IsSuccessStatusCode && response.StatusCode is not (HttpStatusCode.Conflict or HttpStatusCode.NotFound))
        {
            throw await ErrorAsync(response, "kill container", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes a container, running or not, with its anonymous volumes.</summary>
    public async Task RemoveContainerAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"containers/{id}?force=true&v=true", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
        {
            throw await ErrorAsync(response, "remove container", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Ids of every container (running or not) carrying <paramref name="label"/>=<paramref name="value"/>.</summary>
    public async Task<IReadOnlyList<string>> ListContainersAsync(string label, string value, CancellationToken cancellationToken)
    {
        var filters = Uri.EscapeDataString(JsonSerializer.Serialize(new Dictionary<string, string[]> { ["label"] = [$"{label}={value}"] }));
        using var response = await SendAsync(HttpMethod.Get, $"containers/json?all=true&filters={filters}", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, "list containers", cancellationToken).ConfigureAwait(false);
        }

        var array = await response.Content.ReadFromJsonAsync<JsonArray>(cancellationToken).ConfigureAwait(false) ?? [];
        return [.. array.Select(c => c?["Id"]?.GetValue<string>()).OfType<string>()];
    }

    /// <summary>Names of every volume carrying <paramref name="label"/>=<paramref name="value"/>.</summary>
    public async Task<IReadOnlyList<string>> ListVolumesAsync(string label, string value, CancellationToken cancellationToken)
    {
        var filters = Uri.EscapeDataString(JsonSerializer.Serialize(new Dictionary<string, string[]> { ["label"] = [$"{label}={value}"] }));
        using var response = await SendAsync(HttpMethod.Get, $"volumes?filters={filters}", null, cancellationToken).ConfigureAwait(false);
        var json = await ReadAsync(response, "list volumes", cancellationToken).ConfigureAwait(false);
        return json["Volumes"] is JsonArray volumes ? [.. volumes.Select(v => v?["Name"]?.GetValue<string>()).OfType<string>()] : [];
    }

    /// <summary>Removes a volume (forced).</summary>
    public async Task RemoveVolumeAsync(string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"volumes/{Uri.EscapeDataString(name)}?force=true", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
        {
            throw await ErrorAsync(response, "remove volume", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new DockerEngineException($"the container engine at {SocketPath} does not answer: {ex.Message}");
        }
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, what, cancellationToken).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync<JsonNode>(cancellationToken).ConfigureAwait(false)
            ?? throw new DockerEngineException($"{what}: the engine answered with an empty body");
    }

    private static async Task<DockerEngineException> ErrorAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? message = null;
        try
        {
            message = JsonNode.Parse(text)?["message"]?.GetValue<string>();
        }
        catch (JsonException)
        {
            // not JSON: the raw text below
        }

        message ??= text;
        return new DockerEngineException($"{what}: {(int)response.StatusCode} {OneLine(message)}", response.StatusCode);
    }

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }
}
