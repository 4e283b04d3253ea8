using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Orchestrator.Chain.Rpc;

namespace Orchestrator.Chain.Tests.Rpc;

/// <summary>
/// A real Anvil node on a free local port, started for the tests that need it. The binary comes from
/// ORCHESTRATOR_ANVIL or node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil above the test assembly.
/// </summary>
public sealed class AnvilNode : IAsyncLifetime
{
    private const string RelativeBinary = "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";
    private Process? _process;

    public static string? BinaryPath { get; } = Locate();

    public Uri Endpoint { get; private set; } = new("http://127.0.0.1:8545/");

    public HttpClient Http { get; } = new();

    public EthereumRpcClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (BinaryPath is null)
        {
            return;
        }

        var port = FreePort();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo(BinaryPath)
        {
            ArgumentList = { "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--chain-id", "31337" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("anvil did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        Client = new EthereumRpcClient(Http, new EthereumRpcClientOptions { Endpoint = Endpoint, RequestTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 1 });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await Client.ChainIdAsync();
                break;
            }
            catch (RpcTransportException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }

        Client = new EthereumRpcClient(Http, new EthereumRpcClientOptions { Endpoint = Endpoint });
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ORCHESTRATOR_ANVIL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            // An explicit path is used as given: a wrong one fails the test instead of skipping it.
            return fromEnv;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, RelativeBinary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A fact that runs against Anvil and is skipped, with the reason shown, only when the binary is not installed.</summary>
public sealed class AnvilFactAttribute : FactAttribute
{
    public AnvilFactAttribute()
    {
        if (AnvilNode.BinaryPath is null)
        {
            Skip = "anvil is not installed: run `npm install @foundry-rs/anvil-linux-amd64` in the repository root or set ORCHESTRATOR_ANVIL";
        }
    }
}
