using System.Diagnostics;
using System.Globalization;
using Orchestrator.Chain.Rpc;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>
/// A real Anvil node on a free port, mining a block every second (so confirmations accrue without
/// traffic), its state kept in a file so that it can be restarted with its chain. It can also be
/// frozen (SIGSTOP): the port stays open and nothing answers, as with a node that hangs.
/// </summary>
/// <param name="blockTime">Seconds between blocks; 0 mines each transaction at once (automine).</param>
public sealed class AnvilProcess(int blockTime = 1) : IAsyncDisposable
{
    private readonly string _statePath = Path.Combine(Path.GetTempPath(), "orch-anvil-" + Guid.NewGuid().ToString("n") + ".json");
    private Process? _process;

    /// <summary>Its port.</summary>
    public int Port { get; } = Services.FreePort();

    /// <summary>Its endpoint.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    /// <summary>A client for the tests (no retries: a test sees failures as they are).</summary>
    public EthereumRpcClient Client { get; private set; } = null!;

    /// <summary>Starts the node (loading its state file when it exists) and waits until it answers.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(Services.Anvil!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--host", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--chain-id", "31337", "--state", _statePath, "--state-interval", "1", "--gas-limit", "60000000" })
        {
            start.ArgumentList.Add(argument);
        }

        if (blockTime > 0)
        {
            start.ArgumentList.Add("--block-time");
            start.ArgumentList.Add(blockTime.ToString(CultureInfo.InvariantCulture));
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("anvil did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Client = new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = Endpoint, RequestTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 1 });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await Client.ChainIdAsync();
                return;
            }
            catch (RpcTransportException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Stops the node (SIGTERM: it writes its state) and starts it again on the same port.</summary>
    public async Task RestartAsync(TimeSpan down)
    {
        await StopAsync();
        await Task.Delay(down);
        await StartAsync();
    }

    /// <summary>Freezes the process: connections hang until <see cref="Thaw"/>.</summary>
    public void Freeze() => Services.Run("kill", ["-STOP", _process!.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));

    /// <summary>Resumes a frozen node.</summary>
    public void Thaw() => Services.Run("kill", ["-CONT", _process!.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));

    private async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Services.Run("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(timeout.Token);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            try
            {
                Thaw();
            }
            catch (InvalidOperationException)
            {
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        File.Delete(_statePath);
    }
}
