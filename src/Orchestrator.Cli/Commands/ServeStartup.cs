using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Orchestrator.Api.Hosting;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// What `serve` checks before it starts a silo, so a mistake ends in one line naming its cause
/// (exit 2) instead of the host's startup logs and stack traces.
/// </summary>
internal static class ServeStartup
{
    /// <summary>The configuration file's problem (missing, a directory, unreadable), or null when it can be read.</summary>
    public static string? CheckFile(string path)
    {
        if (Directory.Exists(path))
        {
            return $"configuration error: {path} is a directory, not a JSON file";
        }

        if (!File.Exists(path))
        {
            return $"configuration error: file {path} does not exist";
        }

        try
        {
            using var stream = File.OpenRead(path);
            return null;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return $"error: cannot read configuration file {path}: {ex.Message}";
        }
    }

    /// <summary>The message for a configuration file the builder could not load (malformed JSON), naming the line.</summary>
    public static string Describe(InvalidDataException ex)
    {
        // The loader names the file, its inner exception says "could not parse", the JSON reader's the line and byte.
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message.ReplaceLineEndings(" ").TrimEnd('.', ' '));
        }

        return "configuration error: " + string.Join(": ", messages);
    }

    /// <summary>The first port this silo would listen on that another process holds, as a message; null when all are free.</summary>
    public static string? CheckPorts(IConfiguration configuration)
    {
        var orchestrator = configuration.GetSection(OrchestratorOptions.Section).Get<OrchestratorOptions>() ?? new OrchestratorOptions();
        var ports = new List<(int Port, string Key)> { (orchestrator.SiloPort, "Orchestrator:SiloPort"), (orchestrator.GatewayPort, "Orchestrator:GatewayPort") };
        var api = configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        if (api.Enabled)
        {
            AddUrlPort(ports, api.Url, "Orchestrator:Api:Url");
            AddUrlPort(ports, api.HttpUrl, "Orchestrator:Api:HttpUrl");
        }

        foreach (var (port, key) in ports.Where(p => p.Port > 0))
        {
            if (!IsFree(port))
            {
                return $"error: port {port} ({key}) is already in use by another process";
            }
        }

        return null;
    }

    private static void AddUrlPort(List<(int, string)> ports, string? url, string key)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            ports.Add((uri.Port, key));
        }
    }

    /// <summary>
    /// Binds the wildcard address: on Linux that fails when any address holds the port, whichever
    /// address the silo will bind. A race with another process remains; the start then fails as before.
    /// </summary>
    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Any, port));
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
    }
}
