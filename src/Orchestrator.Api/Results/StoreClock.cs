namespace Orchestrator.Api.Results;

/// <summary>The store's notion of "now" for <see cref="StoredResult.StoredAt"/>.</summary>
internal static class StoreClock
{
    /// <summary>
    /// Now, to the millisecond: every backend keeps at least that precision (PostgreSQL keeps
    /// microseconds, S3 metadata keeps what we write), so the result an add returns equals the one a
    /// later find reads back.
    /// </summary>
    public static DateTimeOffset Now(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    /// <summary>
    /// What a store keeps: <paramref name="expected"/> with its result digest written out (so equality
    /// does not depend on whether the caller left it to default to the SHA-256), its location and time.
    /// </summary>
    public static StoredResult Stamp(StoredResult expected, string location, DateTimeOffset storedAt)
        => expected with { ResultDigest = expected.ResultDigest, Location = location, StoredAt = storedAt, ExpiredAt = null };
}
