using System.Diagnostics;
using System.Globalization;

namespace Orchestrator.PgBench;

/// <summary>
/// CPU and allocations at one instant: this process's (the silo's and its in-process fleet's), and the
/// PostgreSQL server's spent for one database (its backends, whose process titles name it) plus the
/// server's shared writers (WAL writer, checkpointer, background writer), read from /proc.
/// </summary>
internal readonly record struct CostReading(TimeSpan ProcessCpu, long Allocated, TimeSpan PostgresCpu)
{
    /// <summary>Clock ticks per second of /proc/[pid]/stat's times (USER_HZ: 100 on every Linux this runs on).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>Reads the counters now; database null leaves the server's CPU at zero.</summary>
    public static CostReading Take(string? database)
    {
        using var process = Process.GetCurrentProcess();
        return new CostReading(process.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false), database is null ? TimeSpan.Zero : ServerCpu(database));
    }

    /// <summary>What happened between two readings, per task lifecycle.</summary>
    public static string PerLifecycle(CostReading before, CostReading after, int lifecycles)
    {
        var n = Math.Max(lifecycles, 1);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"silo process CPU {(after.ProcessCpu - before.ProcessCpu).TotalMicroseconds / n:F0} µs, allocations {(after.Allocated - before.Allocated) / 1024.0 / n:F1} KiB");
        return after.PostgresCpu == TimeSpan.Zero ? text
            : text + string.Create(CultureInfo.InvariantCulture, $", PostgreSQL CPU {(after.PostgresCpu - before.PostgresCpu).TotalMicroseconds / n:F0} µs");
    }

    private static TimeSpan ServerCpu(string database)
    {
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(directory), out _) || File.ReadAllText(Path.Combine(directory, "comm")).Trim() != "postgres")
                {
                    continue;
                }

                var title = File.ReadAllText(Path.Combine(directory, "cmdline"));
                if (title.Contains($" {database} ", StringComparison.Ordinal) || title.Contains("walwriter", StringComparison.Ordinal)
                    || title.Contains("checkpointer", StringComparison.Ordinal) || title.Contains("background writer", StringComparison.Ordinal))
                {
                    ticks += UserAndSystemTicks(File.ReadAllText(Path.Combine(directory, "stat")));
                }
            }
            catch (IOException)
            {
                // The process ended between listing and reading: its time is gone with it.
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's process without readable details: not ours to count.
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static long UserAndSystemTicks(string stat)
    {
        // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15 (1-based).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
