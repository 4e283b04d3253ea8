using System.Net;
using System.Net.Sockets;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>Where the built programs are, and other facts about the machine.</summary>
public static class Build
{
    /// <summary>The repository root (where Orchestrator.sln is).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orchestrator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The CLI's output directory in this test assembly's configuration (it holds orchestrator.dll and orchestrator-worker.dll).</summary>
    public static string CliDirectory()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // tests/X/bin/<Configuration>/net10.0/
        var dir = Path.Combine(RepositoryRoot(), "src", "Orchestrator.Cli", "bin", configuration, "net10.0");
        foreach (var assembly in new[] { "orchestrator.dll", "orchestrator-worker.dll" })
        {
            Assert.True(File.Exists(Path.Combine(dir, assembly)), $"build the CLI first ({Path.Combine(dir, assembly)} is missing): dotnet build Orchestrator.sln -c {configuration}");
        }

        return dir;
    }

    /// <summary>The server program.</summary>
    public static string Server => Path.Combine(CliDirectory(), "orchestrator.dll");

    /// <summary>The worker agent.</summary>
    public static string Worker => Path.Combine(CliDirectory(), "orchestrator-worker.dll");

    /// <summary>A port nobody listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
