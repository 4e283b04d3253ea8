using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Grains.Tests.Trust;

/// <summary>
/// A PCCS on loopback (Kestrel, a free port) speaking the Intel PCS v4 API shape from one shared
/// vector's files: TCB info and QE identity as JSON with URL-encoded issuer chains in headers, the
/// PCK CRL and the root CA CRL as DER. <see cref="Failing"/> turns it into a 503 outage.
/// </summary>
internal sealed class LoopbackPcs : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private LoopbackPcs(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public bool Failing { get; set; }

    public static async Task<LoopbackPcs> StartAsync(string folder, string tee, string fmspc, string ca)
    {
        string P(string f) => Path.Combine(VectorFiles.Directory, folder, f);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var pcs = new LoopbackPcs(app);
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref pcs._requests);
            if (pcs.Failing)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            await next(context);
        });
        app.MapGet($"/{tee}/certification/v4/tcb", (HttpContext c) => c.Request.Query["fmspc"] == fmspc
            ? Serve(c, P("tcb_info.json"), "application/json", "TCB-Info-Issuer-Chain", P("tcb_info_issuer_chain.pem"))
            : NotFound(c));
        app.MapGet($"/{tee}/certification/v4/qe/identity", (HttpContext c) => Serve(c, P("qe_identity.json"), "application/json", "SGX-Enclave-Identity-Issuer-Chain", P("qe_identity_issuer_chain.pem")));
        app.MapGet("/sgx/certification/v4/pckcrl", (HttpContext c) => c.Request.Query["ca"] == ca && c.Request.Query["encoding"] == "der"
            ? Serve(c, P("pck_crl.der"), "application/pkix-crl", "SGX-PCK-CRL-Issuer-Chain", P("pck_crl_issuer_chain.pem"))
            : NotFound(c));
        app.MapGet("/sgx/certification/v4/rootcacrl", (HttpContext c) => Serve(c, P("root_ca_crl.der"), "application/pkix-crl", null, null));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        pcs.BaseUri = new Uri(address);
        return pcs;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task Serve(HttpContext context, string body, string contentType, string? chainHeader, string? chainFile)
    {
        if (chainHeader is not null)
        {
            context.Response.Headers[chainHeader] = Uri.EscapeDataString(await File.ReadAllTextAsync(chainFile!));
        }

        context.Response.ContentType = contentType;
        await context.Response.Body.WriteAsync(await File.ReadAllBytesAsync(body));
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}

/// <summary>Finds tests/shared/attestation-vectors (or $ORCHESTRATOR_SHARED_DIR).</summary>
internal static class VectorFiles
{
    private static readonly Lazy<string> Folder = new(() =>
    {
        var env = Environment.GetEnvironmentVariable("ORCHESTRATOR_SHARED_DIR");
        foreach (var candidate in new[] { env is null ? null : Path.Combine(env, "attestation-vectors"), env })
        {
            if (candidate is not null && File.Exists(Path.Combine(candidate, "manifest.json")))
            {
                return candidate;
            }
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "attestation-vectors");
            if (File.Exists(Path.Combine(candidate, "manifest.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("shared/attestation-vectors not found: set ORCHESTRATOR_SHARED_DIR or run from inside the checkout");
    });

    public static string Directory => Folder.Value;
}
