using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Two real `orchestrator serve` processes forming one cluster on a fresh PostgreSQL database
/// (clustering, grain state, reminders and, by default there, results), each serving the gRPC API on
/// its own loopback port. Each silo gets its own result directory, so a result read through the
/// other silo can only come from the shared store. A silo can be killed and started again.
/// </summary>
public sealed class TwoSiloPool : IAsyncLifetime, IWorkerPool
{
    /// <summary>The category the tests' deals use (a 20 s timeref).</summary>
    public const int TestCategory = 100;

    private const string Token = "e2e-two-silo-owner-token-0123456789";
    private readonly PostgresDatabase _database = new();
    private readonly string _clusterId = "e2e2-" + Guid.NewGuid().ToString("n")[..8];
    private readonly string _masterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
    private readonly Silo[] _silos = new Silo[2];

    /// <summary>Scratch space of the silos and their workers.</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "orch-e2e2-" + Guid.NewGuid().ToString("n")[..12]);

    /// <summary>The silos' database (grain state, results), for tests that look at what is stored.</summary>
    public string ConnectionString => _database.ConnectionString;

    /// <summary>Workers connect to the first silo.</summary>
    public string Url => ApiUrl(0);

    /// <summary>The pool owner's credentials.</summary>
    public Metadata Owner { get; } = new() { { "authorization", "Bearer " + Token } };

    /// <summary>The owner's token (for the CLI).</summary>
    public string OwnerToken => Token;

    /// <summary>The API of silo <paramref name="index"/>.</summary>
    public string ApiUrl(int index) => _silos[index].Url;

    /// <summary>The pool owner's admin client on silo <paramref name="index"/>.</summary>
    public PoolAdmin.PoolAdminClient Admin(int index) => _silos[index].Admin;

    /// <summary>The output of silo <paramref name="index"/>'s process.</summary>
    public string Output(int index) => _silos[index].Process.Output;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        await _database.InitializeAsync();
        for (var i = 0; i < _silos.Length; i++)
        {
            _silos[i] = new Silo(i, WriteConfig(i));
        }

        // The first silo creates the schema; start the second once it serves.
        await StartAsync(0);
        await StartAsync(1);
    }

    /// <summary>Kills silo <paramref name="index"/> (SIGKILL, no goodbye) and starts it again on the same configuration.</summary>
    public async Task RestartAsync(int index)
    {
        _silos[index].Process.Kill();
        await StartAsync(index);
    }

    /// <inheritdoc />
    public async Task AuthorizeAsync(params Address[] workers)
    {
        var request = new AuthorizeWorkersRequest();
        request.Addresses.AddRange(workers.Select(w => w.ToString()));
        await Admin(0).AuthorizeWorkersAsync(request, Owner);
    }

    /// <summary>The deal's summary and every task, read through silo <paramref name="index"/>.</summary>
    public async Task<(DealSummary Deal, IReadOnlyList<TaskInfo> Tasks)> DealAsync(string dealId, int index = 0)
    {
        var tasks = new List<TaskInfo>();
        var token = string.Empty;
        DealSummary summary;
        do
        {
            var page = await Admin(index).GetDealAsync(new GetDealRequest { DealId = dealId, PageSize = 500, PageToken = token }, Owner);
            summary = page.Deal;
            tasks.AddRange(page.Tasks);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return (summary, tasks);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            silo?.Dispose();
        }

        await _database.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a process still closing its files; the OS's temp cleaning gets it
        }
    }

    private async Task StartAsync(int index)
    {
        var silo = _silos[index];
        silo.Start();
        await Eventually.UntilAsync($"silo {index}'s admin API", async () =>
        {
            Assert.False(silo.Process.HasExited, $"silo {index} exited:\n" + silo.Process.Output);
            try
            {
                await silo.Admin.GetPolicyAsync(new GetPolicyRequest(), Owner, deadline: DateTime.UtcNow.AddSeconds(5));
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(120), () => silo.Process.Output);
    }

    private (string Config, string Url) WriteConfig(int index)
    {
        var url = $"http://127.0.0.1:{LocalPorts.Free()}";
        var config = Path.Combine(Directory, $"silo-{index}.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            Orchestrator = new
            {
                ClusterId = _clusterId,
                Storage = "Postgres",
                Clustering = "Postgres",
                Reminders = "Postgres",
                PostgresConnectionString = _database.ConnectionString,
                MigrateOnStart = true,
                SiloPort = LocalPorts.Free(),
                GatewayPort = LocalPorts.Free(),
                AdvertisedIp = "127.0.0.1",
                Categories = new[] { new { Id = TestCategory, Name = "E2E", Timeref = "00:00:20" } },
                Scheduling = new { HeartbeatTimeout = "00:00:03" },
                Secrets = new { MasterKeys = new { e2e = _masterKey } },
                Api = new
                {
                    Enabled = true,
                    Url = url,
                    AdminToken = Token,
                    HeartbeatInterval = "00:00:01",
                    IdlePollInterval = "00:00:00.500",
                    ResultDirectory = Path.Combine(Directory, $"results-{index}"),
                },
            },
        }));
        return (config, url);
    }

    private sealed class Silo(int index, (string Config, string Url) setup) : IDisposable
    {
        private GrpcChannel? _channel;

        public string Url => setup.Url;

        public ChildProcess Process { get; private set; } = null!;

        public PoolAdmin.PoolAdminClient Admin { get; private set; } = null!;

        public void Start()
        {
            Process?.Dispose();
            Process = ChildProcess.Start($"silo-{index}", Build.Server, ["serve", "--config", setup.Config]);
            _channel?.Dispose();
            _channel = GrpcChannel.ForAddress(setup.Url);
            Admin = new PoolAdmin.PoolAdminClient(_channel);
        }

        public void Dispose()
        {
            _channel?.Dispose();
            Process?.Dispose();
        }
    }
}
