using System.Diagnostics;
using System.Globalization;

namespace Orchestrator.Testing;

/// <summary>
/// A real S3-protocol server (the npm package s3rver 3.7.1) on a free loopback port, its data in a temp
/// directory, one bucket created at start; killed and its directory deleted at the end. It speaks
/// path-style requests and accepts the key pair S3RVER/S3RVER. The entry point is ORCHESTRATOR_S3RVER
/// or node_modules/s3rver/bin/s3rver.js (`npm ci` installs it), run with Node.
/// </summary>
public sealed class S3rverNode : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>The access key (and secret) s3rver accepts.</summary>
    public const string AccessKey = "S3RVER";

    private static readonly Lazy<string?> Script = new(Locate);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orch-s3rver-" + Guid.NewGuid().ToString("n"));
    private Process? _process;

    /// <summary>The script, or null when it is not installed.</summary>
    public static string? ScriptPath => Script.Value;

    /// <summary>Why s3rver cannot be used here, or null.</summary>
    public static string? UnavailableReason => ScriptPath is null ? "s3rver is not installed: run `npm ci` in the repository root (or set ORCHESTRATOR_S3RVER)" : null;

    /// <summary>Its port.</summary>
    public int Port { get; } = LocalPorts.Free();

    /// <summary>Its endpoint.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    /// <summary>The bucket created at start.</summary>
    public string Bucket { get; } = "results-" + Guid.NewGuid().ToString("n")[..12];

    /// <summary>Starts the server and waits until it answers HTTP.</summary>
    public async Task StartAsync()
    {
        Directory.CreateDirectory(_directory);
        var start = new ProcessStartInfo("node");
        string[] arguments = [ScriptPath ?? throw new InvalidOperationException(UnavailableReason), "-d", _directory, "-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "--silent", "--no-vhost-buckets", "--configure-bucket", Bucket];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = await LocalServiceProcess.StartAsync("s3rver", start, Endpoint, async http =>
        {
            // Any HTTP answer (s3rver refuses an unsigned listing with 403) means it listens.
            using var response = await http.GetAsync(new Uri(Endpoint, Bucket)).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
    }

    /// <summary>Whether this run is CI's, where a missing s3rver fails the tests that need it instead of skipping them.</summary>
    public static bool Required => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    /// <remarks>Without s3rver outside CI the facts that need it are skipped; under CI starting fails, naming why.</remarks>
    Task IAsyncLifetime.InitializeAsync() => ScriptPath is null && !Required ? Task.CompletedTask : StartAsync();

    /// <inheritdoc />
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        _process = null;
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string? Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ORCHESTRATOR_S3RVER");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv; // an explicit path is used as given: a wrong one fails the test instead of skipping it
        }

        var candidate = Repository.PathOf("node_modules", "s3rver", "bin", "s3rver.js");
        return File.Exists(candidate) ? candidate : null;
    }
}
