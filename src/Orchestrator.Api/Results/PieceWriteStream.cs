namespace Orchestrator.Api.Results;

/// <summary>
/// A write-only stream that cuts its bytes into pieces of a fixed size and hands each full piece to
/// <see cref="WritePieceAsync"/> (a database chunk row, an S3 part), so a store holds at most one piece
/// of an archive in memory. The last, partial piece is the subclass's to send when it finishes.
/// Writes are asynchronous only: a synchronous write would block a thread on the network for every piece.
/// </summary>
internal abstract class PieceWriteStream(int pieceBytes) : Stream
{
    private readonly byte[] _piece = new byte[pieceBytes];
    private long _length;

    /// <summary>Bytes buffered and not yet handed to <see cref="WritePieceAsync"/>.</summary>
    protected int Buffered { get; private set; }

    /// <summary>The buffered bytes.</summary>
    protected ReadOnlyMemory<byte> BufferedPiece => _piece.AsMemory(0, Buffered);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _piece.Length - Buffered);
            buffer[..take].CopyTo(_piece.AsMemory(Buffered));
            Buffered += take;
            _length += take;
            buffer = buffer[take..];
            if (Buffered == _piece.Length)
            {
                await SendBufferedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException($"{GetType().Name} is written asynchronously (WriteAsync)");

    public override void Flush()
    {
        // Nothing: full pieces are sent as they fill, the last one when the subclass finishes.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Sends the buffered bytes (a full piece, or the last partial one) and empties the buffer.</summary>
    protected async Task SendBufferedAsync(CancellationToken cancellationToken)
    {
        await WritePieceAsync(BufferedPiece, cancellationToken).ConfigureAwait(false);
        Buffered = 0;
    }

    /// <summary>Stores one piece; the memory is reused once this returns.</summary>
    protected abstract Task WritePieceAsync(ReadOnlyMemory<byte> piece, CancellationToken cancellationToken);
}
