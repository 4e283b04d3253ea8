using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;

namespace Orchestrator.Api.Hosting;

/// <summary>
/// Rate limiting per client on every API call (worker and admin services alike), before any endpoint runs: a token
/// bucket per client (<see cref="ApiLimitsOptions.PerAddressPerSecond"/>, burst
/// <see cref="ApiLimitsOptions.PerAddressBurst"/>). A client is its IPv4 address, or its IPv6 /64 (one
/// host is usually given a whole /64, so per-address buckets would be free for the asking); behind
/// <see cref="ApiLimitsOptions.TrustedProxies"/> it is the address their X-Forwarded-For names. A refused
/// gRPC call ends RESOURCE_EXHAUSTED, a refused JSON call HTTP 429 with a JSON body, both with the seconds
/// to wait (Retry-After, and in the message).
/// </summary>
public static class ApiRateLimits
{
    /// <summary>Registers the limiter (and the forwarded-header rule) with the configured limits.</summary>
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, ApiLimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        services.Configure<ForwardedHeadersOptions>(o => TrustProxies(o, limits.TrustedProxies));
        return services.AddSingleton(new ClientLimiter(PartitionedRateLimiter.Create<HttpContext, string>(context =>
            RateLimitPartition.GetTokenBucketLimiter(ClientKey(context.Connection.RemoteIpAddress), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.PerAddressBurst,
                TokensPerPeriod = limits.PerAddressPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }))));
    }

    /// <summary>
    /// Puts the forwarded-header rule (when proxies are trusted) and the limiter in front of every endpoint. The
    /// limiter takes one token per call before the call runs, as ASP.NET Core's rate-limiting middleware did with
    /// this global limiter, but stays in no frame while the call runs: that middleware awaited every call to hold
    /// its lease, and a worker's session stream is a call held for hours (a frame and a lease per held session).
    /// A token-bucket lease gives nothing back when released, so releasing it at once changes no limit.
    /// </summary>
    public static IApplicationBuilder UseApiRateLimits(this IApplicationBuilder app, ApiLimitsOptions limits)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        var limiter = app.ApplicationServices.GetRequiredService<ClientLimiter>().Limiter;
        return app.Use(next => context =>
        {
            using var lease = limiter.AttemptAcquire(context);
            if (lease.IsAcquired)
            {
                return next(context);
            }

            var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 1;
            return WriteRefusalAsync(context, retry,
                $"too many requests from {ClientKey(context.Connection.RemoteIpAddress)}: retry in {retry} s (rule: Orchestrator:Api:Limits:PerAddressPerSecond)",
                context.RequestAborted);
        });
    }

    /// <summary>The bucket a client's requests share: its IPv4 address, or the /64 of its IPv6 address.</summary>
    public static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        var plain = Domain.Networking.IpRanges.Plain(address);
        if (plain.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return plain.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        plain.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    private static void TrustProxies(ForwardedHeadersOptions options, IReadOnlyList<string> proxies)
    {
        // Only the client address is taken from the proxy; the scheme is what the silo itself serves.
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        options.ForwardLimit = 1;
        foreach (var entry in proxies)
        {
            if (Domain.Networking.IpRanges.TryParse(entry, out var range))
            {
                options.KnownIPNetworks.Add(range);
            }
        }
    }

    /// <summary>The per-client limiter, one per host (disposed with it).</summary>
    internal sealed class ClientLimiter(PartitionedRateLimiter<HttpContext> limiter) : IDisposable
    {
        /// <summary>The token bucket per client.</summary>
        public PartitionedRateLimiter<HttpContext> Limiter { get; } = limiter;

        /// <inheritdoc />
        public void Dispose() => Limiter.Dispose();
    }

    private static async Task WriteRefusalAsync(HttpContext context, int retrySeconds, string message, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.Headers.RetryAfter = retrySeconds.ToString(CultureInfo.InvariantCulture);
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            // A trailers-only gRPC response: clients read RESOURCE_EXHAUSTED, not a transport error.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = "8";
            response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            return;
        }

        // The shape of the JSON API's other errors (google.rpc.Status: code 8 is RESOURCE_EXHAUSTED).
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body, new RefusalBody(8, message), RefusalJson.Default.RefusalBody, cancellationToken).ConfigureAwait(false);
    }
}
