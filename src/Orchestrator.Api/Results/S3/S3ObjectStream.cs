using Amazon.S3.Model;

namespace Orchestrator.Api.Results.S3;

/// <summary>An object's body that releases its HTTP response when disposed.</summary>
internal sealed class S3ObjectStream(GetObjectResponse response) : Stream
{
    private readonly Stream _body = response.ResponseStream;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => response.ContentLength;

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => _body.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _body.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _body.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            response.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>
/// The staged object as the add's check sees it: seekable and readable synchronously (the archive digest
/// check reads that way), downloaded to a temporary file on first use only, so a check that needs no
/// bytes costs no download and a large archive is never held in memory.
/// </summary>
internal sealed class SpooledObjectStream(Func<CancellationToken, Task<Stream>> open) : Stream
{
    private FileStream? _file;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => File().Length;

    public override long Position { get => File().Position; set => File().Position = value; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => await (await FileAsync(cancellationToken).ConfigureAwait(false)).ReadAsync(buffer, cancellationToken).ConfigureAwait(false);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => File().Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => File().Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file?.Dispose();
        }

        base.Dispose(disposing);
    }

    // The synchronous members block once, on the download, when a synchronous check touches the stream first.
#pragma warning disable VSTHRD002 // Stream's synchronous members have no other way to fetch the body
    private FileStream File() => _file ?? FileAsync(CancellationToken.None).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    private async Task<FileStream> FileAsync(CancellationToken cancellationToken)
    {
        if (_file is not null)
        {
            return _file;
        }

        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await using (var body = await open(cancellationToken).ConfigureAwait(false))
            {
                await body.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }

            file.Position = 0;
            return _file = file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
