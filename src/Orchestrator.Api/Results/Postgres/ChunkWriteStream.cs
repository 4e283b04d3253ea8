using Npgsql;

namespace Orchestrator.Api.Results.Postgres;

/// <summary>
/// A write-only stream that inserts its bytes into result_chunks, one row per
/// <see cref="PostgresResultStore.ChunkBytes"/>, inside the add's transaction: at most one chunk is
/// buffered in memory at any time.
/// </summary>
internal sealed class ChunkWriteStream(NpgsqlConnection connection, NpgsqlTransaction transaction, long objectId)
    : PieceWriteStream(PostgresResultStore.ChunkBytes)
{
    private int _seq;
    private NpgsqlCommand? _insert;

    /// <summary>Writes the last, partial chunk.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Buffered > 0)
        {
            await SendBufferedAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_insert is not null)
        {
            await _insert.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _insert?.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async Task WritePieceAsync(ReadOnlyMemory<byte> piece, CancellationToken cancellationToken)
    {
        if (_insert is null)
        {
            _insert = new NpgsqlCommand("INSERT INTO result_chunks (object_id, seq, data) VALUES (@id, @seq, @data)", connection, transaction);
            _insert.Parameters.AddWithValue("id", objectId);
            _insert.Parameters.Add(new NpgsqlParameter<int>("seq", 0));
            _insert.Parameters.Add(new NpgsqlParameter<ArraySegment<byte>>("data", default(ArraySegment<byte>)));
        }

        ((NpgsqlParameter<int>)_insert.Parameters["seq"]).TypedValue = _seq;
        // The piece is a view of the stream's own array: hand Npgsql that array segment, no copy.
        if (!System.Runtime.InteropServices.MemoryMarshal.TryGetArray(piece, out var segment))
        {
            segment = new ArraySegment<byte>(piece.ToArray());
        }

        ((NpgsqlParameter<ArraySegment<byte>>)_insert.Parameters["data"]).TypedValue = segment;
        await _insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _seq++;
    }
}
