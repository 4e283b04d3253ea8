using System.Text.Json.Nodes;
using Orchestrator.Testing.Tee;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A <see cref="PoolServer"/> whose verifier trusts a test TEE's root CA (Orchestrator:Attestation:TestRootCertificate
/// with AllowTestRoots, in-memory state) and reads its collateral from files: quotes the test TEE makes over
/// any REPORTDATA verify as hardware quotes do, and nothing is simulated.
/// </summary>
public sealed class TeePoolServer : PoolServer
{
    /// <summary>The test platform (root CA, PCK chain, attestation key, collateral).</summary>
    public TestTee Tee { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The files the silo reads: the root it trusts and its collateral directory (a test adds other platforms' collateral there).</summary>
    public TestTeeFiles Files { get; private set; } = null!;

    /// <inheritdoc />
    protected override void Configure(JsonObject orchestrator)
    {
        ArgumentNullException.ThrowIfNull(orchestrator);
        var files = Files = Tee.WriteFiles(Path.Combine(Directory, "test-tee"));
        orchestrator["Attestation"] = new JsonObject
        {
            ["TestRootCertificate"] = files.RootPemPath,
            ["AllowTestRoots"] = true,
            ["CollateralDirectory"] = files.CollateralDirectory,
        };
    }

    /// <inheritdoc />
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Tee.Dispose();
    }
}
