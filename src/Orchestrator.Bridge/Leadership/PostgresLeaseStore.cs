using Npgsql;

namespace Orchestrator.Bridge.Leadership;

/// <summary>
/// Leases in <c>bridge_leases</c> (migration V9). One upsert both takes and renews; the database's
/// clock alone decides expiry, so silos with skewed clocks still agree on who holds a lease.
/// </summary>
public sealed class PostgresLeaseStore(NpgsqlDataSource dataSource) : ILeaseStore
{
    /// <inheritdoc />
    public async Task<LeaseGrant?> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        // The WHERE of the conflict branch is the rule: only the holder renews a running lease; anyone
        // takes an expired one. The token grows unless the same holder renews a lease still running.
        await using var command = dataSource.CreateCommand(
            "INSERT INTO bridge_leases AS l (name, holder, token, expires_at) VALUES ($1, $2, 1, now() + $3) " +
            "ON CONFLICT (name) DO UPDATE SET " +
            "token = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > now() THEN l.token ELSE l.token + 1 END, " +
            "holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at " +
            "WHERE l.holder = EXCLUDED.holder OR l.expires_at <= now() " +
            "RETURNING token");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        command.Parameters.Add(new NpgsqlParameter { Value = duration });
        var token = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return token is long t ? new LeaseGrant(name, holder, t) : null;
    }

    /// <inheritdoc />
    public async Task ReleaseAsync(string name, string holder, long token, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE bridge_leases SET expires_at = now() WHERE name = $1 AND holder = $2 AND token = $3 AND expires_at > now()");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        command.Parameters.Add(new NpgsqlParameter { Value = token });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
