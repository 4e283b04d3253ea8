namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>Where the built programs are, and other facts about the machine.</summary>
public static class Build
{
    /// <summary>The CLI's output directory in this test assembly's configuration (it holds orchestrator.dll and orchestrator-worker.dll).</summary>
    public static string CliDirectory()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // tests/X/bin/<Configuration>/net10.0/
        var dir = Repository.PathOf("src", "Orchestrator.Cli", "bin", configuration, "net10.0");
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
}
