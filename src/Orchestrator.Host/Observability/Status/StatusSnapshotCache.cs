namespace Orchestrator.Host.Observability.Status;

/// <summary>
/// The status page's data is public and costs a few hundred grain calls to build, so every request is
/// served from one snapshot, rebuilt at most once per <see cref="MaxAge"/> (concurrent requests share
/// the rebuild): a flood of /status/data requests costs the cluster one build a second, not one each.
/// </summary>
public sealed class StatusSnapshotCache(StatusSnapshotBuilder builder, TimeProvider time)
{
    /// <summary>The oldest snapshot served.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private Task<StatusSnapshot>? _current;
    private DateTimeOffset _builtAt = DateTimeOffset.MinValue;

    /// <summary>The current snapshot, rebuilt first when older than <see cref="MaxAge"/>.</summary>
    public Task<StatusSnapshot> GetAsync()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var fresh = _current is { IsFaulted: false, IsCanceled: false } && (!_current.IsCompleted || now - _builtAt < MaxAge);
            if (!fresh)
            {
                _builtAt = now;
                _current = builder.BuildAsync();
            }

            return _current!;
        }
    }
}
