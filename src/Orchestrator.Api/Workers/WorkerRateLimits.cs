using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Workers;

/// <summary>
/// Limits per worker address, checked once the address is read (before any grain is touched): session
/// opens per minute (<see cref="ApiLimitsOptions.SessionsPerWorkerPerMinute"/>) and uploads and secret
/// fetches per second (<see cref="ApiLimitsOptions.WorkerCallsPerSecond"/>). Past a limit the call ends
/// RESOURCE_EXHAUSTED with the seconds to wait.
/// </summary>
public sealed class WorkerRateLimits : IDisposable
{
    private readonly SessionWindows _sessions;
    private readonly PartitionedRateLimiter<Address> _calls;

    public WorkerRateLimits(IOptions<ApiOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var limits = options.Value.Limits;
        _sessions = new SessionWindows(limits.SessionsPerWorkerPerMinute, TimeSpan.FromMinutes(1), time);
        _calls = PartitionedRateLimiter.Create<Address, Address>(worker => RateLimitPartition.GetTokenBucketLimiter(worker, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.WorkerCallsPerSecond * 2,
            TokensPerPeriod = limits.WorkerCallsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Throws RESOURCE_EXHAUSTED when <paramref name="worker"/> opened too many sessions this minute.</summary>
    public void AdmitSession(Address worker)
    {
        if (_sessions.TryAdmit(worker) is { } wait)
        {
            throw Refusal(worker, wait, "sessions", "SessionsPerWorkerPerMinute");
        }
    }

    /// <summary>Throws RESOURCE_EXHAUSTED when <paramref name="worker"/> makes uploads or secret fetches too fast.</summary>
    public void AdmitCall(Address worker) => Admit(_calls, worker, "calls", "WorkerCallsPerSecond");

    public void Dispose() => _calls.Dispose();

    private static void Admit(PartitionedRateLimiter<Address> limiter, Address worker, string what, string key)
    {
        using var lease = limiter.AttemptAcquire(worker);
        if (lease.IsAcquired)
        {
            return;
        }

        throw Refusal(worker, lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1), what, key);
    }

    private static RpcException Refusal(Address worker, TimeSpan wait, string what, string key)
    {
        var retry = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        var trailers = new Metadata { { "retry-after", retry.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        return new RpcException(new Status(StatusCode.ResourceExhausted,
            $"too many {what} from worker {worker.ToLowerHex()}: retry in {retry} s (rule: Orchestrator:Api:Limits:{key})"), trailers);
    }
}
