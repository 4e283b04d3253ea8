using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Orchestrator.Api.Hosting;

/// <summary>
/// ASP.NET Core rate limiting per remote address on every API call (worker and admin services alike):
/// a token bucket per address (<see cref="ApiLimitsOptions.PerAddressPerSecond"/>, burst
/// <see cref="ApiLimitsOptions.PerAddressBurst"/>). A refused gRPC call ends RESOURCE_EXHAUSTED, a refused
/// JSON call HTTP 429, both with the seconds to wait (Retry-After, and in the message).
/// </summary>
public static class ApiRateLimits
{
    /// <summary>Registers the limiter with the configured limits.</summary>
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, ApiLimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.PerAddressBurst,
                    TokensPerPeriod = limits.PerAddressPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            o.OnRejected = (rejected, _) =>
            {
                var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
                WriteRefusal(rejected.HttpContext.Response, rejected.HttpContext.Request.ContentType, retry,
                    $"too many requests from {rejected.HttpContext.Connection.RemoteIpAddress}: retry in {retry} s (rule: Orchestrator:Api:Limits:PerAddressPerSecond)");
                return ValueTask.CompletedTask;
            };
        });
    }

    /// <summary>Puts the limiter in front of every endpoint.</summary>
    public static IApplicationBuilder UseApiRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    private static void WriteRefusal(HttpResponse response, string? requestContentType, int retrySeconds, string message)
    {
        response.Headers.RetryAfter = retrySeconds.ToString(CultureInfo.InvariantCulture);
        if (requestContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            // A trailers-only gRPC response: clients read RESOURCE_EXHAUSTED, not a transport error.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = "8";
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return;
        }

        response.StatusCode = StatusCodes.Status429TooManyRequests;
    }
}
