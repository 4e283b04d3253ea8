using Npgsql;

namespace Orchestrator.Api.Results.Postgres;

/// <summary>
/// A write-only stream that inserts its bytes into result_chunks, one row per
/// <see cref="PostgresResultStore.ChunkBytes"/>, inside the add's transaction: at most one chunk is
/// buffered in memory at any time.
/// </summary>
internal sealed class ChunkWriteStream(NpgsqlConnection connection, NpgsqlTransaction transaction, long objectId) : Stream
{
    private readonly byte[] _buffer = new byte[PostgresResultStore.ChunkBytes];
    private int _buffered;
    private int _seq;
    private long _length;
    private NpgsqlCommand? _insert;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _buffer.Length - _buffered);
            buffer[..take].CopyTo(_buffer.AsMemory(_buffered));
            _buffered += take;
            _length += take;
            buffer = buffer[take..];
            if (_buffered == _buffer.Length)
            {
                await InsertChunkAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Writes the last, partial chunk.</summary>
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffered > 0)
        {
            await InsertChunkAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Synchronous writes would block a thread on the database for every chunk: writers use WriteAsync.
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the PostgreSQL result store is written asynchronously (WriteAsync)");

    public override void Flush()
    {
        // Nothing: the partial chunk is written by FlushAsync, which the store always awaits.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

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

    private async Task InsertChunkAsync(CancellationToken cancellationToken)
    {
        if (_insert is null)
        {
            _insert = new NpgsqlCommand("INSERT INTO result_chunks (object_id, seq, data) VALUES (@id, @seq, @data)", connection, transaction);
            _insert.Parameters.AddWithValue("id", objectId);
            _insert.Parameters.Add(new NpgsqlParameter<int>("seq", 0));
            _insert.Parameters.Add(new NpgsqlParameter<ArraySegment<byte>>("data", default(ArraySegment<byte>)));
        }

        ((NpgsqlParameter<int>)_insert.Parameters["seq"]).TypedValue = _seq;
        ((NpgsqlParameter<ArraySegment<byte>>)_insert.Parameters["data"]).TypedValue = new ArraySegment<byte>(_buffer, 0, _buffered);
        await _insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _seq++;
        _buffered = 0;
    }
}
