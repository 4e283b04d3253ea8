using System.Collections.Concurrent;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Workers;

/// <summary>
/// The registry's answer for a deal's image, kept for <see cref="Lifetime"/> per deal and app. Every
/// assignment needs its deal's image, and asking the app's registry grain each time was one more grain
/// call per task than an in-process worker makes, all of a deal's tasks through the one activation of
/// its app. A deal pins its app's version when it is created, so for a pinned deal the answer never
/// changes; only a deal whose app was not registered at its creation follows the app's current version,
/// and it sees a newly registered version at most <see cref="Lifetime"/> later.
/// </summary>
internal sealed class CachedAppImages(IAppImages inner, TimeProvider time) : IAppImages
{
    /// <summary>How long one answer is used.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    /// <summary>Past this many entries the expired ones are dropped (deals assigning at once, per silo).</summary>
    private const int Trim = 1024;

    private readonly ConcurrentDictionary<(Hash32 Deal, Address App), (string? Image, long Until)> _answers = new();
    private long _nextTrim;

    /// <inheritdoc />
    public async ValueTask<string?> ImageForAsync(Hash32 dealId, Address app, CancellationToken ct)
    {
        var now = time.GetTimestamp();
        if (_answers.TryGetValue((dealId, app), out var kept) && now < kept.Until)
        {
            return kept.Image;
        }

        var image = await inner.ImageForAsync(dealId, app, ct);
        // At most one walk per lifetime: with more live answers than the threshold, walking on every miss would be quadratic.
        if (_answers.Count >= Trim && now >= Interlocked.Read(ref _nextTrim))
        {
            Interlocked.Exchange(ref _nextTrim, now + (long)(Lifetime.TotalSeconds * time.TimestampFrequency));
            foreach (var entry in _answers)
            {
                if (entry.Value.Until <= now)
                {
                    _answers.TryRemove(entry.Key, out _);
                }
            }
        }

        _answers[(dealId, app)] = (image, now + (long)(Lifetime.TotalSeconds * time.TimestampFrequency));
        return image;
    }
}
