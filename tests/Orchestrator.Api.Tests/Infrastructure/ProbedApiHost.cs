using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Worker.V1;
using WorkerSessionService = Orchestrator.Api.Workers.WorkerSessionService;

namespace Orchestrator.Api.Tests.Infrastructure;

/// <summary>
/// A silo with the API whose worker sessions run on a <see cref="FakeTimeProvider"/> (the session
/// clock only: Orleans and the grains keep real time) and whose worker grains are watched by a
/// <see cref="WorkerGrainProbe"/>. The grains' own heartbeat timeout is an hour, so within a test only
/// the session can end a silent session.
/// </summary>
public sealed class ProbedApiHost : IAsyncLifetime
{
    public static readonly TimeSpan SessionIdleTimeout = TimeSpan.FromSeconds(10);

    private WebApplication? _app;

    public FakeTimeProvider SessionTime { get; } = new(DateTimeOffset.UtcNow);

    public WorkerGrainProbe Probe { get; } = new();

    public GrpcChannel Channel { get; private set; } = null!;

    public WorkerSession.WorkerSessionClient Workers { get; private set; } = null!;

    public PoolAdmin.PoolAdminClient Admin { get; private set; } = null!;

    public IGrainFactory Grains => _app!.Services.GetRequiredService<IGrainFactory>();

    public async Task InitializeAsync()
    {
        var port = LocalPorts.Free();
        _app = await ApiHost.StartSiloAsync(
            new Dictionary<string, string?>
            {
                ["Orchestrator:Api:Url"] = $"http://127.0.0.1:{port}",
                ["Orchestrator:Api:AdminToken"] = ApiHost.Token,
                ["Orchestrator:Api:IdlePollInterval"] = "00:00:00.500",
                ["Orchestrator:Api:HeartbeatInterval"] = "00:00:02",
                ["Orchestrator:Api:SessionIdleTimeout"] = SessionIdleTimeout.ToString(),
                ["Orchestrator:Scheduling:HeartbeatTimeout"] = "01:00:00",
            },
            services =>
            {
                services.AddSingleton<IIncomingGrainCallFilter>(Probe);
                services.AddScoped(sp => ActivatorUtilities.CreateInstance<WorkerSessionService>(sp, (TimeProvider)SessionTime));
            });
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        Workers = new WorkerSession.WorkerSessionClient(Channel);
        Admin = new PoolAdmin.PoolAdminClient(Channel.Intercept(metadata =>
        {
            metadata.Add("authorization", "Bearer " + ApiHost.Token);
            return metadata;
        }));
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
