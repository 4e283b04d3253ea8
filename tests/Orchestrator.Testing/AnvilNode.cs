using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Orchestrator.Testing;

/// <summary>
/// A real Anvil node (chain id 31337, the ten funded accounts of the "test … junk" mnemonic) on a free
/// loopback port. It can mine on a timer, keep its chain in a state file across a restart, and be
/// frozen (SIGSTOP: the port stays open and nothing answers, as with a node that hangs). The binary
/// is ORCHESTRATOR_ANVIL or node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil (`npm ci` installs it).
/// </summary>
public sealed class AnvilNode : IAsyncLifetime, IAsyncDisposable
{
    private static readonly Lazy<string?> Binary = new(Locate);
    private readonly string _statePath = Path.Combine(Path.GetTempPath(), "orch-anvil-" + Guid.NewGuid().ToString("n") + ".json");
    private Process? _process;

    /// <summary>Seconds between blocks; 0 (the default) mines each transaction at once (automine).</summary>
    public int BlockTime { get; init; }

    /// <summary>Whether the chain survives <see cref="RestartAsync"/> (a state file written every second and on SIGTERM).</summary>
    public bool KeepState { get; init; }

    /// <summary>The binary, or null when it is not installed.</summary>
    public static string? BinaryPath => Binary.Value;

    /// <summary>Why Anvil cannot be used here, or null.</summary>
    public static string? UnavailableReason => BinaryPath is null ? "anvil is not installed: run `npm ci` in the repository root (or set ORCHESTRATOR_ANVIL)" : null;

    /// <summary>Its port.</summary>
    public int Port { get; } = LocalPorts.Free();

    /// <summary>Its JSON-RPC endpoint.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    /// <summary>Starts the node (with its state file when it has one) and waits until it answers eth_chainId.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(BinaryPath ?? throw new InvalidOperationException(UnavailableReason));
        string[] arguments = ["--host", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--chain-id", "31337", "--gas-limit", "60000000"];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (KeepState)
        {
            start.ArgumentList.Add("--state");
            start.ArgumentList.Add(_statePath);
            start.ArgumentList.Add("--state-interval");
            start.ArgumentList.Add("1");
        }

        if (BlockTime > 0)
        {
            start.ArgumentList.Add("--block-time");
            start.ArgumentList.Add(BlockTime.ToString(CultureInfo.InvariantCulture));
        }

        _process = await LocalServiceProcess.StartAsync("anvil", start, Endpoint, async http =>
        {
            using var response = await http.PostAsJsonAsync(Endpoint, new { jsonrpc = "2.0", id = 1, method = "eth_chainId", @params = Array.Empty<object>() }).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }).ConfigureAwait(false);
    }

    /// <summary>Stops the node (SIGTERM: it writes its state) and starts it again on the same port.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await StartAsync().ConfigureAwait(false);
    }

    /// <summary>Freezes the process: connections hang until <see cref="Thaw"/>.</summary>
    public void Freeze() => Signal("-STOP");

    /// <summary>Resumes a frozen node.</summary>
    public void Thaw() => Signal("-CONT");

    /// <inheritdoc />
    Task IAsyncLifetime.InitializeAsync() => BinaryPath is null ? Task.CompletedTask : StartAsync();

    /// <inheritdoc />
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

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
                // It exited meanwhile.
            }

            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        _process = null;
        File.Delete(_statePath);
    }

    private async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Signal("-TERM");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }

        _process?.Dispose();
        _process = null;
    }

    private void Signal(string signal)
        => Commands.Run("kill", [signal, (_process ?? throw new InvalidOperationException("anvil is not running")).Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));

    private static string? Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ORCHESTRATOR_ANVIL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv; // an explicit path is used as given: a wrong one fails the test instead of skipping it
        }

        var candidate = Repository.PathOf("node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
        return File.Exists(candidate) ? candidate : null;
    }
}
