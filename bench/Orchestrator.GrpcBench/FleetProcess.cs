using System.Diagnostics;
using System.Globalization;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Simulation;

namespace Orchestrator.GrpcBench;

/// <summary>
/// A fleet of gRPC clients in a child process of the bench (this same executable, started with a fleet
/// flag), so the silo process's CPU, heap and working set are the server's alone. Parent and child talk
/// in lines: the child prints <c>PREFIX fields...</c>, the parent answers each step with a line on the
/// child's standard input. The admin token travels in the environment, never on the command line.
/// </summary>
internal sealed class FleetProcess : IDisposable
{
    public const string TokenVariable = "GRPCBENCH_ADMIN_TOKEN";
    private readonly Process _child;

    private FleetProcess(Process child) => _child = child;

    /// <summary>Starts this executable with <paramref name="arguments"/> (its first the fleet's flag).</summary>
    public static FleetProcess Start(string token, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(FleetProcess).Assembly.Location);
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[TokenVariable] = token;
        return new FleetProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start the fleet process"));
    }

    /// <summary>Waits for the child's line starting with <paramref name="prefix"/>; returns its fields.</summary>
    public async Task<double[]> ExpectAsync(string prefix)
    {
        while (await _child.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(prefix + " ", StringComparison.Ordinal))
            {
                return line[(prefix.Length + 1)..].Split(' ').Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            }

            Console.WriteLine($"  fleet: {line}");
        }

        throw new InvalidOperationException($"the fleet process ended before {prefix}");
    }

    /// <summary>Tells the child to go on to its next step.</summary>
    public async Task GoOnAsync()
    {
        await _child.StandardInput.WriteLineAsync("go");
        await _child.StandardInput.FlushAsync();
    }

    public void Dispose() => _child.Dispose();

    /// <summary>
    /// The child's side of a step: prints its line, then waits for the parent's word. The console's reads
    /// block even when asked asynchronously, and a continuation of the HTTP/2 client's reads may be the one
    /// that arrives here: on a thread of its own the wait holds no thread that the sessions' reads need.
    /// </summary>
    public static async Task ReportAndWaitAsync(string prefix, params double[] fields)
    {
        Console.WriteLine(string.Join(' ', [prefix, .. fields.Select(Invariant)]));
        await Task.Factory.StartNew(Console.ReadLine, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The child's channel to the silo and an admin client carrying the token from the environment.</summary>
    public static (GrpcChannel Channel, PoolAdmin.PoolAdminClient Admin) Connect(string url)
    {
        var token = Environment.GetEnvironmentVariable(TokenVariable) ?? string.Empty;
        var channel = Channel(url);
        var admin = new PoolAdmin.PoolAdminClient(channel.Intercept(m =>
        {
            m.Add("authorization", "Bearer " + token);
            return m;
        }));
        return (channel, admin);
    }

    /// <summary>A channel with a connection pool of its own (HTTP/2, a further connection past 100 streams).</summary>
    public static GrpcChannel Channel(string url)
        => GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan },
        });

    /// <summary>Authorizes the fleet's addresses, a thousand per call.</summary>
    public static async Task AuthorizeAsync(PoolAdmin.PoolAdminClient admin, IReadOnlyList<ApiSimulatedWorker> workers)
    {
        foreach (var batch in workers.Chunk(1000))
        {
            await admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { batch.Select(w => w.Address.ToLowerHex()) } });
        }
    }

    public static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
