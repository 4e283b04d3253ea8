using Npgsql;

namespace Orchestrator.Host.Persistence;

/// <summary>Builds the one <see cref="NpgsqlDataSource"/> a silo shares between clustering, storage and reminders.</summary>
public static class PostgresDataSource
{
    /// <summary>The pool bound when the connection string sets none: fan-outs have exhausted unbounded pools (as reported on the Orleans issue tracker).</summary>
    public const int DefaultMaxPoolSize = 32;

    /// <summary>Creates the data source, bounding the pool unless the connection string already does.</summary>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("MaxPoolSize", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        // Fail fast on a dead server so Orleans' own retries (membership, storage) take over quickly.
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 5;
        }

        builder.ApplicationName ??= "orchestrator";
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    /// <summary>"host:port/database" for messages: never the password.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{builder.Host ?? "localhost"}:{builder.Port}/{builder.Database ?? builder.Username ?? "(default)"}";
        }
        catch (ArgumentException)
        {
            return "(an unparsable connection string)";
        }
    }
}
