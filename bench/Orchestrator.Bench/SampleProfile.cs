using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Orchestrator.Bench;

/// <summary>
/// The runtime's own sampling profiler (EventPipe, as dotnet-trace uses it) attached to this very process: every
/// managed thread's stack about once a millisecond. <see cref="TopAsync"/> names where the CPU went: the methods at the
/// top of the stacks (self time) and the project's own methods on the stacks (time including what they call). The GC's
/// allocation ticks (one about every 100 KB allocated, with the type and the stack of the allocation that crossed it)
/// name what allocates: by type, and by type with the nearest Orleans or project frame.
/// </summary>
internal sealed class SampleProfile : IAsyncDisposable
{
    private const string SampleProfiler = "Microsoft-DotNETCore-SampleProfiler";
    private const string Runtime = "Microsoft-Windows-DotNETRuntime";
    private const long LoaderKeyword = 0x8;
    private const long JitKeyword = 0x10;
    private const long GcKeyword = 0x1;

    // Threads parked in the runtime or the kernel are sampled too; their top frames say "waiting", not "working".
    private static readonly string[] WaitFrames =
    [
        "LowLevelLifoSemaphore", "WaitHandle", "Monitor.Wait", "Thread.Sleep", "SocketAsyncEngine.EventLoop", "WaitSubsystem",
        "ThreadPoolWorkQueue.Dispatch", "PortableThreadPool", "Interop+Sys.WaitForSocketEvents", "TimerQueue", "ManualResetEventSlim.Wait",
        "SpinWait", "Thread.SpinWait", "SemaphoreSlim.Wait", "Interop+Sys.Read", "Interop+Sys.Poll", "Console", "Interop+Sys.Write",
    ];

    private readonly EventPipeSession _session;
    private readonly string _path;
    private readonly Task _copy;

    private SampleProfile(EventPipeSession session, string path)
    {
        _session = session;
        _path = path;
        var file = File.Create(path);
        _copy = Task.Run(async () =>
        {
            await using (file)
            {
                await session.EventStream.CopyToAsync(file);
            }
        });
    }

    /// <summary>Starts sampling this process.</summary>
    public static SampleProfile Start()
    {
        var client = new DiagnosticsClient(Environment.ProcessId);
        var providers = new[]
        {
            new EventPipeProvider(SampleProfiler, EventLevel.Informational),
            // JIT and loader events name the methods the samples land in (rundown at the end names the rest).
            // Allocation ticks are the GC keyword's verbose events.
            new EventPipeProvider(Runtime, EventLevel.Verbose, JitKeyword | LoaderKeyword | GcKeyword),
        };
        var session = client.StartEventPipeSession(providers, requestRundown: true, circularBufferMB: 512);
        return new SampleProfile(session, Path.Combine(Path.GetTempPath(), $"orchestrator-bench-{Environment.ProcessId}-{Guid.NewGuid():n}.nettrace"));
    }

    /// <summary>Stops sampling and returns the top <paramref name="count"/> lines of each view.</summary>
    public async Task<ProfileSummary> TopAsync(int count)
    {
        await _session.StopAsync(CancellationToken.None);
        await _copy;
        var etlx = TraceLog.CreateFromEventPipeDataFile(_path);
        try
        {
            using var log = new TraceLog(etlx);
            var cpu = CpuViews(log, count);
            var (byType, byTypeAndCaller) = AllocationViews(log, count);
            return cpu with { AllocatedByType = byType, AllocatedByCaller = byTypeAndCaller };
        }
        finally
        {
            File.Delete(etlx);
            File.Delete(_path);
        }
    }

    private static ProfileSummary CpuViews(TraceLog log, int count)
    {
        var self = new Dictionary<string, int>(StringComparer.Ordinal);
        var inclusive = new Dictionary<string, int>(StringComparer.Ordinal);
        var byCaller = new Dictionary<string, int>(StringComparer.Ordinal);
        var working = 0;
        foreach (var sample in log.Events.Where(e => e.ProviderName == SampleProfiler))
        {
            var stack = sample.CallStack();
            var top = stack?.CodeAddress.FullMethodName;
            if (string.IsNullOrEmpty(top) || WaitFrames.Any(top.Contains))
            {
                continue;
            }

            working++;
            self[top] = self.GetValueOrDefault(top) + 1;
            var pair = Shorten(top) + " ← " + Caller(stack!);
            byCaller[pair] = byCaller.GetValueOrDefault(pair) + 1;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var frame = stack; frame is not null; frame = frame.Caller)
            {
                var name = frame.CodeAddress.FullMethodName;
                if (name.StartsWith("Orchestrator.", StringComparison.Ordinal) && !name.StartsWith("Orchestrator.Bench", StringComparison.Ordinal) && seen.Add(name))
                {
                    inclusive[name] = inclusive.GetValueOrDefault(name) + 1;
                }
            }
        }

        return new ProfileSummary(working, Top(self, count, working), Top(byCaller, count, working), Top(inclusive, count, working), [], []);
    }

    // Each tick stands for the ~100 KB allocated since the last one; its type and stack are a sample of where they went.
    private static (IReadOnlyList<(string, double)> ByType, IReadOnlyList<(string, double)> ByCaller) AllocationViews(TraceLog log, int count)
    {
        var byType = new Dictionary<string, int>(StringComparer.Ordinal);
        var byCaller = new Dictionary<string, int>(StringComparer.Ordinal);
        var ticks = 0;
        foreach (var tick in log.Events.Where(e => e is GCAllocationTickTraceData).Cast<GCAllocationTickTraceData>())
        {
            ticks++;
            var type = tick.TypeName ?? "?";
            byType[type] = byType.GetValueOrDefault(type) + 1;
            var pair = type + " ← " + (tick.CallStack() is { } stack ? Caller(stack, inclusiveTop: true) : "(no stack)");
            byCaller[pair] = byCaller.GetValueOrDefault(pair) + 1;
        }

        return (Top(byType, count, ticks), Top(byCaller, count, ticks));
    }

    // Who a lock, a GC poll or a copy works for: the first frame below the top that is Orleans' or ours.
    private static string Caller(TraceCallStack stack, bool inclusiveTop = false)
    {
        var chain = new List<string>();
        for (var frame = inclusiveTop ? stack : stack.Caller; frame is not null && chain.Count < ChainDepth; frame = frame.Caller)
        {
            var name = frame.CodeAddress.FullMethodName;
            if (name.StartsWith("Orchestrator.", StringComparison.Ordinal) || name.StartsWith("Orleans", StringComparison.Ordinal))
            {
                chain.Add(Shorten(name));
            }
        }

        return chain.Count == 0 ? "(runtime only)" : string.Join(" ← ", chain);
    }

    // How many Orleans or project frames name a caller: one by default; more (ORCHESTRATOR_PROFILE_CHAIN) to follow a cost up its stack.
    private static readonly int ChainDepth = int.TryParse(Environment.GetEnvironmentVariable("ORCHESTRATOR_PROFILE_CHAIN"), out var depth) && depth > 0 ? depth : 1;

    private static IReadOnlyList<(string Method, double Share)> Top(Dictionary<string, int> counts, int count, int total) =>
        [.. counts.OrderByDescending(kv => kv.Value).Take(count).Select(kv => (Shorten(kv.Key), kv.Value / (double)Math.Max(1, total)))];

    // "Namespace.Type.Method(args)" without the argument list: the tables stay one line per method.
    private static string Shorten(string method)
    {
        var paren = method.IndexOf('(', StringComparison.Ordinal);
        return paren > 0 ? method[..paren] : method;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _session.Dispose();
        await _copy.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}

/// <summary>What the profiler saw: samples of threads doing work, the top methods by self time and by inclusive time.</summary>
internal sealed record ProfileSummary(
    int Samples,
    IReadOnlyList<(string Method, double Share)> Self,
    IReadOnlyList<(string Method, double Share)> SelfByCaller,
    IReadOnlyList<(string Method, double Share)> Inclusive,
    IReadOnlyList<(string Type, double Share)> AllocatedByType,
    IReadOnlyList<(string Type, double Share)> AllocatedByCaller)
{
    /// <summary>Writes the five views as markdown tables, as both benches print them.</summary>
    public void Print(TextWriter output)
    {
        Table(output, "self time", "method", Self);
        Table(output, "self time", "method ← the nearest application frame below it", SelfByCaller);
        Table(output, "inclusive", "Orchestrator method", Inclusive);
        Table(output, "allocated", "type", AllocatedByType);
        Table(output, "allocated", "type ← the nearest application frame that allocated it", AllocatedByCaller);
    }

    private static void Table(TextWriter output, string share, string what, IReadOnlyList<(string Name, double Share)> rows)
    {
        output.WriteLine($"| {share} | {what} |");
        output.WriteLine("|---:|---|");
        foreach (var (name, value) in rows)
        {
            output.WriteLine($"| {value:P1} | {name} |");
        }
    }
}
