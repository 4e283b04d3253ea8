using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Orchestrator.PgBench;

/// <summary>Runs `pgbench -N -c 8 -T 10` on a scratch database: the floor for one durable write on this machine.</summary>
internal static partial class PgBenchFloor
{
    public static async Task<double?> RunAsync(string connectionString, int seconds)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var common = $"-h {builder.Host} -p {builder.Port} -U {builder.Username} {builder.Database}";
        if (await RunPgBenchAsync($"-i -q {common}", builder.Password) is null)
        {
            return null;
        }

        var output = await RunPgBenchAsync($"-N -c 8 -j 2 -T {seconds} {common}", builder.Password);
        var match = output is null ? null : Tps().Match(output);
        return match is { Success: true } ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
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
