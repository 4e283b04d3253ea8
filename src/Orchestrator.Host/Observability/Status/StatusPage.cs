using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Orchestrator.Host.Observability.Status;

/// <summary>The live status page: <see cref="Path"/> serves the page, <see cref="DataPath"/> the JSON it polls every two seconds.</summary>
public static class StatusPage
{
    /// <summary>The page.</summary>
    public const string Path = "/status";

    /// <summary>The snapshot the page renders.</summary>
    public const string DataPath = "/status/data";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Lazy<string> Html = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Orchestrator.Host.Observability.Status.status.html")
            ?? throw new InvalidOperationException("the status page resource is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>Registers the snapshot's services.</summary>
    public static IServiceCollection AddStatusPage(this IServiceCollection services)
    {
        services.AddSingleton<InstrumentReader>();
        services.AddSingleton<StatusSnapshotBuilder>();
        services.AddSingleton<StatusSnapshotCache>();
        services.TryAddSingleton(TimeProvider.System);
        return services;
    }

    /// <summary>Maps the page and its data.</summary>
    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, () => Results.Content(Html.Value, "text/html; charset=utf-8"));
        endpoints.MapGet(DataPath, async (StatusSnapshotCache snapshots, HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return Results.Json(await snapshots.GetAsync(), Json);
        });
        return endpoints;
    }
}
