using Amazon.S3;
using Amazon.S3.Model;

namespace Orchestrator.Api.Results.S3;

/// <summary>
/// A write-only stream that uploads to one key: bytes are buffered one part at a time
/// (<see cref="S3ResultOptions.PartBytes"/>, the most held in memory); the first full part starts a
/// multipart upload, and <see cref="CompleteAsync"/> finishes it (or sends a small object in one PUT).
/// Until then nothing is visible under the key; <see cref="AbortAsync"/> discards the parts.
/// </summary>
internal sealed class S3UploadStream(IAmazonS3 s3, string bucket, string key, int partBytes) : Stream
{
    private readonly byte[] _buffer = new byte[partBytes];
    private readonly List<PartETag> _parts = [];
    private int _buffered;
    private long _length;
    private string? _uploadId;

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
                await UploadPartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Synchronous writes would block a thread on the network for every part: writers use WriteAsync.
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("the S3 result store is written asynchronously (WriteAsync)");

    public override void Flush()
    {
        // Nothing: parts are sent when full, the rest by CompleteAsync.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Makes the object exist under the key: the last part and the completion, or one PUT for a small object.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_uploadId is null)
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                InputStream = new MemoryStream(_buffer, 0, _buffered, writable: false),
                AutoCloseStream = true,
                UseChunkEncoding = false,
            }, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (_buffered > 0)
        {
            await UploadPartAsync(cancellationToken).ConfigureAwait(false);
        }

        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = _uploadId,
            PartETags = _parts,
        }, cancellationToken).ConfigureAwait(false);
        _uploadId = null;
    }

    /// <summary>Discards a started multipart upload (its parts never become an object).</summary>
    public async Task AbortAsync()
    {
        if (_uploadId is { } uploadId)
        {
            _uploadId = null;
            await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }).ConfigureAwait(false);
        }
    }

    private async Task UploadPartAsync(CancellationToken cancellationToken)
    {
        _uploadId ??= (await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false)).UploadId;
        var number = _parts.Count + 1;
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = _uploadId,
            PartNumber = number,
            InputStream = new MemoryStream(_buffer, 0, _buffered, writable: false),
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
        _parts.Add(new PartETag(number, part.ETag));
        _buffered = 0;
    }
}
