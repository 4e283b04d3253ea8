using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>What Apps/honest.sh (and Apps/tee.sh) deterministically write for a task, and its result digest.</summary>
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

    /// <summary>The digest of Apps/tee.sh's output for task <paramref name="index"/>, given <paramref name="datasetKey"/> (text) by the enclave.</summary>
    public static Hash32 TeeDigest(long index, string arguments, string datasetKey, string requesterSecrets)
    {
        var dir = Path.Combine(Path.GetTempPath(), "orch-e2e-expected-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "result.txt"), string.Create(CultureInfo.InvariantCulture, $"task {index}: {arguments}\n"));
            File.WriteAllText(Path.Combine(dir, "square.txt"), string.Create(CultureInfo.InvariantCulture, $"{index * index}\n"));
            File.WriteAllText(Path.Combine(dir, "dataset-key.sha256"), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(datasetKey))) + "\n");
            File.WriteAllText(Path.Combine(dir, "dataset-key-file.txt"), "same\n");
            File.WriteAllText(Path.Combine(dir, "requester-secrets.txt"), requesterSecrets);
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
