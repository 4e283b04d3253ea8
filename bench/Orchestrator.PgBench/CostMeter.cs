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

    /// <summary>
    /// CPU of the whole PostgreSQL server including backends that have ended (the postmaster collects
    /// their time when it reaps them), and of this process's ended children (pgbench): what a pgbench
    /// run costs, with whatever else the server served meanwhile.
    /// </summary>
    public static (TimeSpan Server, TimeSpan Children) ServerAndChildrenCpu()
    {
        long server = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(directory), out _) && File.ReadAllText(Path.Combine(directory, "comm")).Trim() == "postgres")
                {
                    server += UserAndSystemTicks(File.ReadAllText(Path.Combine(directory, "stat")), children: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Ended or unreadable: nothing to count.
            }
        }

        var children = ChildrenTicks(File.ReadAllText("/proc/self/stat"));
        return (TimeSpan.FromSeconds(server / TicksPerSecond), TimeSpan.FromSeconds(children / TicksPerSecond));
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

    private static long UserAndSystemTicks(string stat, bool children = false)
    {
        // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15, and the
        // reaped children's cutime 16 and cstime 17 (1-based).
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
            + (children ? ChildrenTicks(stat) : 0);
    }

    private static long ChildrenTicks(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
    }
}
