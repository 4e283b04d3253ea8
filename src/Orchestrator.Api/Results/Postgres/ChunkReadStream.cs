using Npgsql;

namespace Orchestrator.Api.Results.Postgres;

/// <summary>
/// A seekable read stream over one object's result_chunks, fetching one chunk at a time (by its
/// sequence number) as the reader needs it: memory stays at one chunk whatever the archive's size.
/// It reads either inside an add's transaction (the staged, uncommitted chunks the check reads back) or
/// on a pooled connection per chunk (a stored object: a slow reader pins no connection between reads).
/// Synchronous reads use Npgsql's synchronous I/O (the digest check of an archive reads synchronously).
/// </summary>
internal sealed class ChunkReadStream : Stream
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly NpgsqlConnection? _connection;
    private readonly NpgsqlTransaction? _transaction;
    private readonly long _objectId;
    private readonly long _size;
    private byte[] _chunk = [];
    private int _chunkSeq = -1;
    private long _position;

    /// <summary>A stored object, read on pooled connections.</summary>
    public ChunkReadStream(NpgsqlDataSource dataSource, long objectId, long size)
        => (_dataSource, _objectId, _size) = (dataSource, objectId, size);

    /// <summary>An add's staged chunks, read inside its transaction.</summary>
    public ChunkReadStream(NpgsqlConnection connection, NpgsqlTransaction transaction, long objectId, long size)
        => (_connection, _transaction, _objectId, _size) = (connection, transaction, objectId, size);

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _size;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _position >= _size)
        {
            return 0;
        }

        var seq = (int)(_position / PostgresResultStore.ChunkBytes);
        if (seq != _chunkSeq)
        {
            if (_connection is not null)
            {
                Load(seq, await FetchAsync(_connection, seq, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                await using var connection = await _dataSource!.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                Load(seq, await FetchAsync(connection, seq, cancellationToken).ConfigureAwait(false));
            }
        }

        return CopyOut(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || _position >= _size)
        {
            return 0;
        }

        var seq = (int)(_position / PostgresResultStore.ChunkBytes);
        if (seq != _chunkSeq)
        {
            if (_connection is not null)
            {
                Load(seq, Fetch(_connection, seq));
            }
            else
            {
                using var connection = _dataSource!.OpenConnection();
                Load(seq, Fetch(connection, seq));
            }
        }

        return CopyOut(buffer);
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => _size + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int CopyOut(Span<byte> buffer)
    {
        var offset = (int)(_position % PostgresResultStore.ChunkBytes);
        var take = Math.Min(buffer.Length, _chunk.Length - offset);
        if (take <= 0)
        {
            throw Lost();
        }

        _chunk.AsSpan(offset, take).CopyTo(buffer);
        _position += take;
        return take;
    }

    private void Load(int seq, object? data)
    {
        _chunk = data as byte[] ?? throw Lost();
        _chunkSeq = seq;
    }

    private IOException Lost()
        => new($"result object {_objectId} lost its bytes at {_position} of {_size} (the retention sweep deleted it while it was read)");

    private async Task<object?> FetchAsync(NpgsqlConnection connection, int seq, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, seq);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private object? Fetch(NpgsqlConnection connection, int seq)
    {
        using var command = Command(connection, seq);
        return command.ExecuteScalar();
    }

    private NpgsqlCommand Command(NpgsqlConnection connection, int seq)
    {
        var command = new NpgsqlCommand("SELECT data FROM result_chunks WHERE object_id = @id AND seq = @seq", connection, _transaction);
        command.Parameters.AddWithValue("id", _objectId);
        command.Parameters.AddWithValue("seq", seq);
        return command;
    }
}
