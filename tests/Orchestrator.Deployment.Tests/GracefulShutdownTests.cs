using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using Npgsql;

namespace Orchestrator.Deployment.Tests;

/// <summary>
/// Real `orchestrator serve` processes on PostgreSQL: the one that receives SIGTERM mid-deal leaves
/// the cluster gracefully (its membership row is Dead as it exits, exit code 0) within the pod's
/// termination grace period read from k8s/, and the deal its grains were serving still finishes on
/// the other silo.
/// </summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private readonly string _masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly List<(Process Process, StringBuilder Log)> _processes = [];
    private readonly List<string> _files = [];

    public Task InitializeAsync() => _database.InitializeAsync();

    [PostgresFact]
    public async Task A_silo_receiving_SIGTERM_hands_over_within_the_grace_period()
    {
        var grace = TimeSpan.FromSeconds(GracePeriodSeconds());
        var connection = _database.ConnectionString;
        var clusterId = "shutdown-" + Guid.NewGuid().ToString("n")[..8];
        var configA = Config(clusterId, connection, apiPort: null);
        var apiPort = LocalPorts.Free();
        var configB = Config(clusterId, connection, apiPort);
        var siloA = Start("serve", "--config", configA);
        var siloB = Start("serve", "--config", configB);
        await WaitForAsync(async () => await ActiveSilosAsync(connection, clusterId) == 2, TimeSpan.FromSeconds(90), "two silos active", siloA, siloB);

        // A 5 s category: the deal's reconciliation reminder then runs every minute (Orleans' minimum),
        // so work whose notice was in flight when the silo stopped is reconciled within the run.
        // The demo's workers hold sessions on silo B's API; their grains and the deal's live on either silo.
        var demo = Start("demo", "--api", $"http://127.0.0.1:{apiPort}", "--token", ApiToken, "--tasks", "300", "--workers", "6", "--trust", "1", "--category", "100", "--timeout", "150");
        await WaitForAsync(async () => await StoredGrainsAsync(connection) >= 60, TimeSpan.FromSeconds(90), "the deal under way", siloA, siloB, demo);

        var addressA = await SiloAddressAsync(connection, clusterId, siloA.Process.Id);
        var stopwatch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", siloA.Process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using (var timeout = new CancellationTokenSource(grace))
        {
            try
            {
                await siloA.Process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the silo was still running {grace.TotalSeconds} s after SIGTERM (the pod would be killed):\n{siloA.Log}");
            }
        }

        var stopped = stopwatch.Elapsed;
        Assert.True(siloA.Process.ExitCode == 0, $"exit code {siloA.Process.ExitCode}:\n{siloA.Log}");
        // A graceful stop writes its own row Dead on the way out; a killed silo stays Active until the others vote.
        Assert.Equal(6, await SiloStatusAsync(connection, clusterId, addressA));

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(170)))
        {
            await demo.Process.WaitForExitAsync(timeout.Token);
        }

        Assert.True(demo.Process.ExitCode == 0, $"the deal did not finish after the hand-over (exit {demo.Process.ExitCode}):\n{demo.Log}\n--- silo B ---\n{siloB.Log}");
        Assert.False(siloB.Process.HasExited, "the surviving silo exited:\n" + siloB.Log);
        Assert.True(stopped < grace, $"stopping took {stopped}");
    }

    public async Task DisposeAsync()
    {
        foreach (var (process, _) in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        foreach (var file in _files) File.Delete(file);
        await _database.DisposeAsync();
    }

    /// <summary>terminationGracePeriodSeconds of the silo Deployment in k8s/.</summary>
    private static long GracePeriodSeconds()
    {
        var deployment = KubernetesYaml.LoadAllFromString(Repository.Read("k8s/30-silo-deployment.yaml")).OfType<V1Deployment>().Single();
        return deployment.Spec.Template.Spec.TerminationGracePeriodSeconds!.Value;
    }

    private const string ApiToken = "shutdown-owner-token-0123456789";

    private string Config(string clusterId, string connection, int? apiPort)
    {
        var path = Path.Combine(Path.GetTempPath(), $"orchestrator-shutdown-{Guid.NewGuid():n}.json");
        _files.Add(path);
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            Orchestrator = new
            {
                ClusterId = clusterId,
                Storage = "Postgres",
                Clustering = "Postgres",
                Reminders = "Postgres",
                PostgresConnectionString = connection,
                MigrateOnStart = true,
                SiloPort = LocalPorts.Free(),
                GatewayPort = LocalPorts.Free(),
                AdvertisedIp = "127.0.0.1",
                ShutdownTimeout = "00:00:30",
                Categories = new[] { new { Id = 100, Name = "TEST", Timeref = "00:00:05" } },
                Secrets = new { MasterKeys = new { k1 = _masterKey } },
                Api = apiPort is { } port
                    ? new { Enabled = true, Url = $"http://127.0.0.1:{port}", AdminToken = ApiToken, ResultDirectory = Path.Combine(Path.GetTempPath(), clusterId) }
                    : null,
            },
        }));
        return path;
    }

    private (Process Process, StringBuilder Log) Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(BuiltCli.Path);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add((process, log));
        return (process, log);
    }

    private static Task WaitForAsync(Func<Task<bool>> condition, TimeSpan limit, string what, params (Process Process, StringBuilder Log)[] watched)
        => Eventually.UntilAsync(
            what,
            async () =>
            {
                foreach (var (process, log) in watched)
                {
                    Assert.False(process.HasExited, $"a process exited while waiting for {what}:\n{log}");
                }

                return await condition();
            },
            limit,
            tolerate: ex => ex is PostgresException); // the schema is being created

    private static async Task<long> ActiveSilosAsync(string connection, string clusterId)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleansmembershiptable WHERE deploymentid = @id AND status = 3", c);
        command.Parameters.AddWithValue("id", clusterId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<long> StoredGrainsAsync(string connection)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        // Grain state lives in orch_grain_state (the group-commit default) or orleansstorage (Orleans' ADO.NET provider).
        await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM orch_grain_state) + (SELECT count(*) FROM orleansstorage)", c);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The silo row of a process: Orleans names silos after nothing we set here, so match on the host's process id in the row's host name... by elimination: the row whose port the process listens on.</summary>
    private static async Task<(string Address, int Port, int Generation)> SiloAddressAsync(string connection, string clusterId, int processId)
    {
        var ports = ListeningPorts(processId);
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT address, port, generation FROM orleansmembershiptable WHERE deploymentid = @id AND status = 3", c);
        command.Parameters.AddWithValue("id", clusterId);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = (reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2));
            if (ports.Contains(row.Item2)) return row;
        }

        throw new InvalidOperationException($"no active membership row for process {processId} (ports {string.Join(", ", ports)})");
    }

    private static async Task<int> SiloStatusAsync(string connection, string clusterId, (string Address, int Port, int Generation) silo)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status FROM orleansmembershiptable WHERE deploymentid = @id AND address = @a AND port = @p AND generation = @g", c);
        command.Parameters.AddWithValue("id", clusterId);
        command.Parameters.AddWithValue("a", silo.Address);
        command.Parameters.AddWithValue("p", silo.Port);
        command.Parameters.AddWithValue("g", silo.Generation);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>TCP ports a process listens on (from /proc: its socket inodes matched against /proc/net/tcp).</summary>
    private static HashSet<int> ListeningPorts(int processId)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.GetFiles($"/proc/{processId}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
        }

        var ports = new HashSet<int>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(file)) continue;
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length > 9 && parts[3] == "0A" && inodes.Contains(parts[9]))
                {
                    ports.Add(int.Parse(parts[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
            }
        }

        return ports;
    }
}
