using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real `orchestrator serve` process: one embedded silo (in-memory state) with the gRPC API on a
/// free loopback port, a test category with a short timeref, short heartbeats, and an admin token;
/// plus an admin client for the test. Shared by the tests of a class (each uses its own deal and workers).
/// </summary>
public class PoolServer : IAsyncLifetime, IWorkerPool
{
    /// <summary>The category the tests' deals use: a 20 s timeref, so a lost worker's work is redone within a test.</summary>
    public const int TestCategory = 100;

    private const string Token = "e2e-owner-token-0123456789";
    private GrpcChannel? _channel;

    /// <summary>Scratch space of this server and its workers.</summary>
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "orch-e2e-" + Guid.NewGuid().ToString("n")[..12]);

    /// <summary>The gRPC endpoint workers and admins use.</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>The server process.</summary>
    public ChildProcess Process { get; private set; } = null!;

    /// <summary>The pool owner's client.</summary>
    public PoolAdmin.PoolAdminClient Admin { get; private set; } = null!;

    /// <summary>The pool owner's client of the secret service (same credentials).</summary>
    public Orchestrator.Api.Secrets.V1.SecretsAdmin.SecretsAdminClient Secrets { get; private set; } = null!;

    /// <summary>The owner's credentials for each admin call.</summary>
    public Metadata Owner { get; } = new() { { "authorization", "Bearer " + Token } };

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var port = LocalPorts.Free();
        Url = $"http://127.0.0.1:{port}";
        var siloPort = LocalPorts.Free();
        var gatewayPort = LocalPorts.Free();
        var config = Path.Combine(Directory, "silo.json");
        var settings = JsonSerializer.SerializeToNode(new
        {
            Orchestrator = new
            {
                ClusterId = "e2e-" + Guid.NewGuid().ToString("n")[..8],
                SiloPort = siloPort,
                GatewayPort = gatewayPort,
                Categories = new[] { new { Id = TestCategory, Name = "E2E", Timeref = "00:00:20" } },
                Scheduling = new { HeartbeatTimeout = "00:00:03" },
                Api = new
                {
                    Enabled = true,
                    Url,
                    AdminToken = Token,
                    HeartbeatInterval = "00:00:01",
                    IdlePollInterval = "00:00:00.500",
                    ResultDirectory = Path.Combine(Directory, "results"),
                    AppImages = AppImages(),
                },
            },
        })!;
        Configure(settings["Orchestrator"]!.AsObject());
        await File.WriteAllTextAsync(config, settings.ToJsonString());
        Process = ChildProcess.Start("server", Build.Server, ["serve", "--config", config]);
        _channel = GrpcChannel.ForAddress(Url);
        Admin = new PoolAdmin.PoolAdminClient(_channel);
        Secrets = new Orchestrator.Api.Secrets.V1.SecretsAdmin.SecretsAdminClient(_channel);

        // The silo and Kestrel take a few seconds to start on a busy machine.
        await Eventually.UntilAsync("the server's admin API", async () =>
        {
            Assert.False(Process.HasExited, "the server exited:\n" + Process.Output);
            try
            {
                await Admin.GetPolicyAsync(new GetPolicyRequest(), Owner, deadline: DateTime.UtcNow.AddSeconds(5));
                return true;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(120), () => Process.Output);
    }

    /// <summary>Adds to the silo's Orchestrator section before it starts (a subclass's own settings); nothing by default.</summary>
    protected virtual void Configure(System.Text.Json.Nodes.JsonObject orchestrator)
    {
    }

    /// <summary>Orchestrator:Api:AppImages of the pool (app address → image by digest); none by default.</summary>
    protected virtual Dictionary<string, string> AppImages() => [];

    /// <summary>Authorizes worker addresses.</summary>
    public Task AuthorizeAsync(params WorkerAgentProcess[] workers) => AuthorizeAsync([.. workers.Select(w => w.Address)]);

    /// <summary>Authorizes worker addresses.</summary>
    public async Task AuthorizeAsync(params Address[] workers)
    {
        var request = new AuthorizeWorkersRequest();
        request.Addresses.AddRange(workers.Select(w => w.ToString()));
        await Admin.AuthorizeWorkersAsync(request, Owner);
    }

    /// <summary>A worker's view, or null when it never registered.</summary>
    public async Task<WorkerInfo?> WorkerAsync(WorkerAgentProcess worker)
    {
        try
        {
            return await Admin.GetWorkerAsync(new GetWorkerRequest { Address = worker.Address.ToString() }, Owner);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The deal's summary and every task.</summary>
    public async Task<(DealSummary Deal, IReadOnlyList<TaskInfo> Tasks)> DealAsync(string dealId)
    {
        var tasks = new List<TaskInfo>();
        var token = string.Empty;
        DealSummary summary;
        do
        {
            GetDealReply page;
            try
            {
                page = await Admin.GetDealAsync(new GetDealRequest { DealId = dealId, PageSize = 500, PageToken = token }, Owner);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unknown or StatusCode.Internal)
            {
                throw new InvalidOperationException($"GetDeal failed on the server ({ex.Status}):\n{Process.Output}", ex);
            }

            summary = page.Deal;
            tasks.AddRange(page.Tasks);
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        return (summary, tasks);
    }

    /// <inheritdoc />
    /// <summary>
    /// Submits a deal as the pool owner (the tests' one way to do it): <paramref name="tasks"/> tasks of
    /// <paramref name="app"/> with <paramref name="parameters"/>, TEE when <paramref name="teeTag"/> is set
    /// (results then public), created or the test fails.
    /// </summary>
    public async Task<string> SubmitDealAsync(Address app, int tasks, int trust, string parameters, uint teeTag = 0, Address? dataset = null, string? requester = null, IDictionary<int, string>? requesterSecrets = null)
    {
        var reply = await Admin.SubmitDealAsync(new SubmitDealRequest
        {
            Deal = new Deal
            {
                Requester = requester ?? "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                RequesterSecrets = { requesterSecrets ?? new Dictionary<int, string>() },
                App = app.ToString(),
                Dataset = dataset?.ToString() ?? string.Empty,
                Category = TestCategory,
                Trust = trust,
                TeeTag = teeTag,
                PublicResults = teeTag != 0,
                BotSize = tasks,
                Cores = 1,
                MemoryMb = 256,
                Params = parameters,
            },
        }, Owner);
        Assert.True(reply.Created);
        return reply.DealId;
    }

    public virtual Task DisposeAsync()
    {
        _channel?.Dispose();
        Process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a process still closing its files; the OS's temp cleaning gets it
        }

        return Task.CompletedTask;
    }
}
