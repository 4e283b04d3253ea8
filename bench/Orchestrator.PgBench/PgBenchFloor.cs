using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Orchestrator.PgBench;

/// <summary>Runs `pgbench -N -c 8 -T 10` on a scratch database: the floor for one durable write on this machine.</summary>
internal static partial class PgBenchFloor
{
    /// <summary>Transactions per second, and per transaction the server's and pgbench's CPU (null when pgbench failed).</summary>
    public static async Task<(double Tps, TimeSpan ServerCpu, TimeSpan ClientCpu)?> RunAsync(string connectionString, int seconds)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var common = $"-h {builder.Host} -p {builder.Port} -U {builder.Username} {builder.Database}";
        if (await RunPgBenchAsync($"-i -q {common}", builder.Password) is null)
        {
            return null;
        }

        var before = CostReading.ServerAndChildrenCpu();
        var output = await RunPgBenchAsync($"-N -c 8 -j 2 -T {seconds} {common}", builder.Password);
        var after = CostReading.ServerAndChildrenCpu();
        var match = output is null ? null : Tps().Match(output);
        if (match is not { Success: true })
        {
            return null;
        }

        var tps = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var transactions = Math.Max(tps * seconds, 1);
        return (tps, (after.Server - before.Server) / transactions, (after.Children - before.Children) / transactions);
    }

    private static async Task<string?> RunPgBenchAsync(string arguments, string? password)
    {
        var start = new ProcessStartInfo("pgbench", arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PGPASSWORD"] = password ?? string.Empty; // never on the command line
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                await Console.Error.WriteLineAsync($"pgbench {arguments.Split(' ')[0]} failed: {await stderr}");
                return null;
            }

            return await stdout;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            await Console.Error.WriteLineAsync("pgbench is not installed (Debian package postgresql-contrib / postgresql)");
            return null;
        }
    }

    [GeneratedRegex(@"tps = ([0-9.]+)")]
    private static partial Regex Tps();
}
