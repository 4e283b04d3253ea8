using System.Globalization;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>What Apps/honest.sh deterministically writes for a task, and its result digest.</summary>
public static class ExpectedResults
{
    /// <summary>The digest of the honest output of task <paramref name="index"/> run with <paramref name="arguments"/>.</summary>
    public static Hash32 HonestDigest(long index, string arguments)
    {
        var dir = Path.Combine(Path.GetTempPath(), "orch-e2e-expected-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "result.txt"), string.Create(CultureInfo.InvariantCulture, $"task {index}: {arguments}\n"));
            File.WriteAllText(Path.Combine(dir, "square.txt"), string.Create(CultureInfo.InvariantCulture, $"{index * index}\n"));
            return ResultArchive.DigestOf(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Copies the test apps to <paramref name="directory"/> with their executable bit, returns the directory.</summary>
    public static string InstallApps(string directory)
    {
        var apps = Path.Combine(directory, "apps");
        Directory.CreateDirectory(apps);
        foreach (var script in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Apps"), "*.sh"))
        {
            var target = Path.Combine(apps, Path.GetFileName(script));
            File.Copy(script, target, overwrite: true);
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return apps;
    }
}
