using System.Security.Cryptography;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Grains.Tests.Infrastructure;
using Orchestrator.Grains.Trust;
using Orchestrator.Grains.Tests.Secrets;
using Orchestrator.Testing.Tee;
using AdminProto = Orchestrator.Api.Admin.V1;

namespace Orchestrator.Grains.Tests.Trust;

/// <summary>
/// A real silo with the API on loopback whose verifier trusts a test root (in-memory state), reads its collateral
/// from files it can swap, re-attests every six hours on a <see cref="FakeTimeProvider"/>, and looks for new
/// collateral at every refresher pass. Two test platforms (two FMSPCs, two collateral files) under one root.
/// </summary>
public sealed class ReattestHost : IAsyncLifetime
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(6);
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private ApiSilo? _silo;

    public ReattestHost()
    {
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Time = new FakeTimeProvider(start);
        First = new TestTee(start);
        Second = First.Sibling(new TestPlatform { Fmspc = [0x7E, 0x57, 0x00, 0x00, 0x00, 0x02] }, start);
    }

    public FakeTimeProvider Time { get; }

    /// <summary>The platform whose collateral the tests swap.</summary>
    public TestTee First { get; }

    /// <summary>A platform whose collateral stays as it is.</summary>
    public TestTee Second { get; }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("reattest-").FullName;

    public GrpcChannel Channel => _silo!.Channel;

    public IGrainFactory Grains => _silo!.Services.GetRequiredService<IGrainFactory>();

    public CollateralRefreshService Refresher => _silo!.Services.GetRequiredService<CollateralRefreshService>();

    public AdminProto.PoolAdmin.PoolAdminClient PoolAdmin => new(Channel.Intercept(m =>
    {
        m.Add("authorization", "Bearer " + SecretsApiHost.Token);
        return m;
    }));

    public Api.Secrets.V1.SecretsAdmin.SecretsAdminClient SecretsAdmin => new(Channel.Intercept(m =>
    {
        m.Add("authorization", "Bearer " + SecretsApiHost.Token);
        return m;
    }));

    /// <summary>Writes a platform's collateral (both TEE kinds) where the silo's file provider reads it.</summary>
    public void WriteCollateral(TestTee tee, TestCollateralOptions? options = null) => tee.WriteFiles(Directory, options);

    public async Task InitializeAsync()
    {
        var root = First.WriteFiles(Directory).RootPemPath;
        Second.WriteFiles(Directory);
        _silo = await ApiSilo.StartAsync("reattest-tests", SecretsApiHost.Token, new Dictionary<string, string?>
        {
            ["Orchestrator:Api:IdlePollInterval"] = "00:00:00.200",
            ["Orchestrator:Api:SessionIdleTimeout"] = "00:05:00",
            ["Orchestrator:Scheduling:HeartbeatTimeout"] = "1.00:00:00", // the fake clock jumps hours; liveness is not under test
            ["Orchestrator:Secrets:MasterKeys:reattest"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Orchestrator:Attestation:TestRootCertificate"] = root,
            ["Orchestrator:Attestation:AllowTestRoots"] = "true",
            ["Orchestrator:Attestation:CollateralDirectory"] = Directory,
            ["Orchestrator:Attestation:CollateralMaxAge"] = "00:00:00", // every pass fetches anew
            ["Orchestrator:Attestation:CollateralRefreshInterval"] = "1.00:00:00", // passes run when a test calls them
            ["Orchestrator:Attestation:ReattestInterval"] = Interval.ToString(),
            ["Orchestrator:Attestation:ReattestTimeout"] = Timeout.ToString(),
            ["Orchestrator:Attestation:PolicyCacheTtl"] = "00:00:00",
        }, Time);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }

        Second.Dispose();
        First.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
