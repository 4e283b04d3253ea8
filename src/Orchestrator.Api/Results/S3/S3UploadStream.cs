using Amazon.S3;
using Amazon.S3.Model;

namespace Orchestrator.Api.Results.S3;

/// <summary>
/// A write-only stream that uploads to one key: bytes are buffered one part at a time
/// (<see cref="S3ResultOptions.PartBytes"/>, the most held in memory); the first full part starts a
/// multipart upload, and <see cref="CompleteAsync"/> finishes it (or sends a small object in one PUT).
/// Until then nothing is visible under the key; <see cref="AbortAsync"/> discards the parts.
/// </summary>
internal sealed class S3UploadStream(IAmazonS3 s3, string bucket, string key, int partBytes) : PieceWriteStream(partBytes)
{
    private readonly List<PartETag> _parts = [];
    private string? _uploadId;

    /// <summary>Makes the object exist under the key: the last part and the completion, or one PUT for a small object.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        if (_uploadId is null)
        {
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = key,
                InputStream = PieceStream(BufferedPiece),
                AutoCloseStream = true,
                UseChunkEncoding = false,
            }, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (Buffered > 0)
        {
            await SendBufferedAsync(cancellationToken).ConfigureAwait(false);
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

    protected override async Task WritePieceAsync(ReadOnlyMemory<byte> piece, CancellationToken cancellationToken)
    {
        _uploadId ??= (await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false)).UploadId;
        var number = _parts.Count + 1;
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = _uploadId,
            PartNumber = number,
            InputStream = PieceStream(piece),
            UseChunkEncoding = false,
        }, cancellationToken).ConfigureAwait(false);
        _parts.Add(new PartETag(number, part.ETag));
    }

    /// <summary>A read-only stream over a piece of this stream's own buffer (no copy).</summary>
    private static MemoryStream PieceStream(ReadOnlyMemory<byte> piece)
        => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(piece, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(piece.ToArray(), writable: false);
}
