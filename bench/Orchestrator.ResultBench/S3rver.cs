using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Orchestrator.ResultBench;

/// <summary>s3rver (node_modules/s3rver, `npm ci`) on a free loopback port with one bucket; killed at the end.</summary>
internal sealed class S3rver(Process process, int port) : IAsyncDisposable
{
    public string Bucket => "bench";

    public string Endpoint => $"http://127.0.0.1:{port}/";

    public static async Task<S3rver> StartAsync(string directory)
    {
        var script = Path.Combine(RepositoryRoot(), "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
        {
            throw new InvalidOperationException($"s3rver is not installed ({script}): run `npm ci` in the repository root");
        }

        Directory.CreateDirectory(directory);
        var port = FreePort();
        var start = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, "-d", directory, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--silent", "--no-vhost-buckets", "--configure-bucket", "bench" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("s3rver did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new S3rver(process, port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var _ = await http.GetAsync(new Uri(server.Endpoint));
                return server;
            }
            catch (HttpRequestException) when (attempt < 100 && !process.HasExited)
            {
                await Task.Delay(100); // a bench waits for its server; tests use Eventually
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
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
}
