using System.Globalization;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Results.S3;

/// <summary>
/// Result archives and logs in an S3-compatible bucket: "&lt;prefix&gt;results/&lt;taskId&gt;" and
/// "&lt;prefix&gt;logs/&lt;taskId&gt;/&lt;worker&gt;", each ONE object whose user metadata carries the
/// <see cref="StoredResult"/> fields, so bytes and metadata appear together.
/// </summary>
/// <remarks>
/// An add uploads under a staging key ("&lt;prefix&gt;staging/…", multipart in parts of
/// <see cref="S3ResultOptions.PartBytes"/>: never a whole archive in memory), lets the check read it
/// back, then makes the final object with one server-side copy carrying the metadata. Nothing is ever
/// visible under the final key before that copy, so an add that fails, is cancelled or whose process
/// dies leaves no result (only a staging object or an incomplete multipart upload, which the sweep and
/// a bucket lifecycle rule remove).
/// <para>
/// First add wins. The copy is conditional (<c>If-None-Match: *</c>): AWS S3 and current MinIO refuse
/// it with 412 when the key exists, which settles a race between silos. s3rver 3.7.1 (the server the
/// tests run) ignores that header on writes (it honours it only on GET), so this store also serialises
/// adds of one key within the process and checks for the key under that lock. On a server without
/// conditional writes the rule is therefore: one writing silo per bucket prefix (or accept that two
/// winners racing on two silos both store the consensus archive, the later copy replacing the earlier).
/// </para>
/// </remarks>
public sealed class S3ResultStore(IAmazonS3 s3, S3ResultOptions options, TimeProvider time) : IResultStore
{
    /// <summary>How old a staging object must be to count as a crashed add's.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromHours(1);

    private const string MetaWorker = "worker";
    private const string MetaSize = "size";
    private const string MetaSha256 = "sha256";
    private const string MetaDigest = "result-digest";
    private const string MetaEncryption = "encryption";
    private const string MetaStoredAt = "stored-at";
    private const string MetaExpiredAt = "expired-at";
    private const string MetaContentType = "content-type";

    // Striped by key so two stores of one process (and two adds of one key) share a lock.
    private static readonly SemaphoreSlim[] Locks = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    private string Bucket => options.Bucket;

    /// <inheritdoc />
    public Task<ResultAddition> AddAsync(
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken)
        => AddObjectAsync(ResultKey(expected.TaskId), expected, writeContent, verifyContent, cancellationToken);

    /// <inheritdoc />
    public Task<ResultAddition> AddLogsAsync(StoredResult expected, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
        => AddObjectAsync(LogsKey(expected.TaskId, expected.Worker), expected, writeContent, static (_, _) => Task.CompletedTask, cancellationToken);

    /// <inheritdoc />
    public Task<StoredResult?> FindAsync(Hash32 taskId, CancellationToken cancellationToken)
        => HeadAsync(ResultKey(taskId), taskId, cancellationToken);

    /// <inheritdoc />
    public Task<Stream?> OpenAsync(Hash32 taskId, CancellationToken cancellationToken)
        => OpenLiveAsync(ResultKey(taskId), cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<StoredResult>> ListLogsAsync(Hash32 taskId, CancellationToken cancellationToken)
    {
        var found = new List<StoredResult>();
        await foreach (var entry in ListAsync($"{options.Prefix}logs/{taskId}/", cancellationToken).ConfigureAwait(false))
        {
            if (await HeadAsync(entry.Key, taskId, cancellationToken).ConfigureAwait(false) is { } logs)
            {
                found.Add(logs);
            }
        }

        return [.. found.OrderBy(l => l.Worker)];
    }

    /// <inheritdoc />
    public Task<Stream?> OpenLogsAsync(Hash32 taskId, Address worker, CancellationToken cancellationToken)
        => OpenLiveAsync(LogsKey(taskId, worker), cancellationToken);

    /// <inheritdoc />
    public async Task DropAsync(Hash32 taskId, CancellationToken cancellationToken)
        => await s3.DeleteObjectAsync(Bucket, ResultKey(taskId), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<ResultSweep> DeleteExpiredAsync(DateTimeOffset storedBefore, int maxObjects, CancellationToken cancellationToken)
    {
        int results = 0, logs = 0;
        long bytes = 0;
        var now = StoreClock.Now(time);
        foreach (var (prefix, isLogs) in new[] { ($"{options.Prefix}results/", false), ($"{options.Prefix}logs/", true) })
        {
            await foreach (var entry in ListAsync(prefix, cancellationToken).ConfigureAwait(false))
            {
                if (results + logs >= maxObjects)
                {
                    return new ResultSweep(results, logs, bytes);
                }

                // A tombstone is an empty object (and the listing's time is the last write's, never older
                // than the stored time): only non-empty objects old enough are looked at.
                if (entry.Size is not > 0 || entry.LastModified is not { } modified || new DateTimeOffset(modified.ToUniversalTime()) >= storedBefore)
                {
                    continue;
                }

                var stored = await HeadAsync(entry.Key, TaskIdOf(entry.Key, prefix), cancellationToken).ConfigureAwait(false);
                if (stored is not { ExpiredAt: null } || stored.StoredAt >= storedBefore)
                {
                    continue;
                }

                // The tombstone replaces the object in one PUT: its metadata stays, its bytes go.
                var tombstone = stored with { ExpiredAt = now };
                var put = new PutObjectRequest { BucketName = Bucket, Key = entry.Key, InputStream = new MemoryStream([]), UseChunkEncoding = false };
                WriteMetadata(put.Metadata, tombstone);
                put.ContentType = ContentTypeOf(tombstone);
                await s3.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
                bytes += stored.Size;
                if (isLogs)
                {
                    logs++;
                }
                else
                {
                    results++;
                }
            }
        }

        await SweepAbandonedStagingAsync(cancellationToken).ConfigureAwait(false);
        return new ResultSweep(results, logs, bytes);
    }

    /// <summary>Deletes staging objects older than <see cref="AbandonedAfter"/> (left by adds whose process died); returns how many.</summary>
    public async Task<int> SweepAbandonedStagingAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - AbandonedAfter;
        var swept = 0;
        await foreach (var entry in ListAsync($"{options.Prefix}staging/", cancellationToken).ConfigureAwait(false))
        {
            if (entry.LastModified is { } modified && new DateTimeOffset(modified.ToUniversalTime()) < cutoff)
            {
                await s3.DeleteObjectAsync(Bucket, entry.Key, cancellationToken).ConfigureAwait(false);
                swept++;
            }
        }

        return swept;
    }

    private async Task<ResultAddition> AddObjectAsync(
        string key,
        StoredResult expected,
        Func<Stream, CancellationToken, Task> writeContent,
        Func<Stream, CancellationToken, Task> verifyContent,
        CancellationToken cancellationToken)
    {
        var gate = Locks[(int)((uint)StringComparer.Ordinal.GetHashCode(key) % Locks.Length)];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await HeadAsync(key, expected.TaskId, cancellationToken).ConfigureAwait(false) is { } existing)
            {
                return new ResultAddition(existing, Created: false);
            }

            var staging = $"{options.Prefix}staging/{expected.TaskId}.{Guid.NewGuid():n}";
            var upload = new S3UploadStream(s3, Bucket, staging, options.PartBytes);
            var uploaded = false;
            try
            {
                await writeContent(upload, cancellationToken).ConfigureAwait(false);
                await upload.CompleteAsync(cancellationToken).ConfigureAwait(false);
                uploaded = true;
                await using (var staged = new SpooledObjectStream(async ct => new S3ObjectStream(await s3.GetObjectAsync(Bucket, staging, ct).ConfigureAwait(false))))
                {
                    await verifyContent(staged, cancellationToken).ConfigureAwait(false);
                }

                // The size is what was written: a logs writer may not know it before (the receiver checks archives' sizes itself).
                var stored = StoreClock.Stamp(expected with { Size = upload.Length }, $"s3://{Bucket}/{key}", StoreClock.Now(time));
                var copy = new CopyObjectRequest
                {
                    SourceBucket = Bucket,
                    SourceKey = staging,
                    DestinationBucket = Bucket,
                    DestinationKey = key,
                    MetadataDirective = S3MetadataDirective.REPLACE,
                    ContentType = ContentTypeOf(stored),
                    IfNoneMatch = "*",
                };
                WriteMetadata(copy.Metadata, stored);
                try
                {
                    // The one step that makes the object exist, bytes and metadata together.
                    await s3.CopyObjectAsync(copy, cancellationToken).ConfigureAwait(false);
                    return new ResultAddition(stored, Created: true);
                }
                catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
                {
                    // Another silo's copy came first: its object stands.
                    var winner = await HeadAsync(key, expected.TaskId, CancellationToken.None).ConfigureAwait(false)
                        ?? throw new IOException($"s3://{Bucket}/{key} refused a conditional copy but cannot be read", ex);
                    return new ResultAddition(winner, Created: false);
                }
            }
            finally
            {
                await DiscardStagingAsync(upload, staging, uploaded).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Best effort, and never hiding why the add failed: a staging object left behind is removed by
    /// <see cref="SweepAbandonedStagingAsync"/>, an unfinished multipart upload (s3rver cannot abort one)
    /// by a bucket lifecycle rule (AbortIncompleteMultipartUpload); neither is ever a result.
    /// </summary>
    private async Task DiscardStagingAsync(S3UploadStream upload, string staging, bool uploaded)
    {
        try
        {
            if (uploaded)
            {
                await s3.DeleteObjectAsync(Bucket, staging, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await upload.AbortAsync().ConfigureAwait(false);
            }
        }
        catch (AmazonS3Exception)
        {
            // left for the sweep or the lifecycle rule, as above
        }
    }

    private async Task<StoredResult?> HeadAsync(string key, Hash32 taskId, CancellationToken cancellationToken)
    {
        try
        {
            var head = await s3.GetObjectMetadataAsync(Bucket, key, cancellationToken).ConfigureAwait(false);
            return ReadMetadata(head.Metadata, head.Headers.ContentType, taskId, $"s3://{Bucket}/{key}");
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<Stream?> OpenLiveAsync(string key, CancellationToken cancellationToken)
    {
        GetObjectResponse response;
        try
        {
            response = await s3.GetObjectAsync(Bucket, key, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(response.Metadata[MetaExpiredAt]))
        {
            response.Dispose(); // a tombstone: its bytes are gone
            return null;
        }

        return new S3ObjectStream(response);
    }

    private async IAsyncEnumerable<S3Object> ListAsync(string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        while (true)
        {
            var page = await s3.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page.S3Objects ?? [])
            {
                yield return entry;
            }

            if (page.IsTruncated != true)
            {
                yield break;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    private string ResultKey(Hash32 taskId) => $"{options.Prefix}results/{taskId}";

    private string LogsKey(Hash32 taskId, Address worker) => $"{options.Prefix}logs/{taskId}/{worker.ToLowerHex()}";

    private static Hash32 TaskIdOf(string key, string prefix)
        => Hash32.Parse(key[prefix.Length..].Split('/')[0]);

    // The object's own Content-Type is the archive's, except that S3 gives an empty one a default:
    // the uploaded value is kept in the metadata too, so an empty one reads back empty.
    private static string ContentTypeOf(StoredResult stored) => stored.ContentType.Length > 0 ? stored.ContentType : "application/octet-stream";

    private static void WriteMetadata(MetadataCollection metadata, StoredResult stored)
    {
        metadata[MetaWorker] = stored.Worker.ToLowerHex();
        metadata[MetaSize] = stored.Size.ToString(CultureInfo.InvariantCulture);
        metadata[MetaSha256] = stored.Sha256.ToString();
        metadata[MetaDigest] = stored.ResultDigest.ToString();
        metadata[MetaEncryption] = stored.Encryption;
        metadata[MetaContentType] = Uri.EscapeDataString(stored.ContentType);
        metadata[MetaStoredAt] = stored.StoredAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        if (stored.ExpiredAt is { } expired)
        {
            metadata[MetaExpiredAt] = expired.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        }
    }

    private static StoredResult? ReadMetadata(MetadataCollection metadata, string? contentType, Hash32 taskId, string location)
    {
        if (string.IsNullOrEmpty(metadata[MetaSha256]))
        {
            return null; // not an object this store wrote
        }

        var sha256 = Hash32.Parse(metadata[MetaSha256]);
        var expired = metadata[MetaExpiredAt];
        return new StoredResult(
            taskId,
            Address.Parse(metadata[MetaWorker]),
            long.Parse(metadata[MetaSize], CultureInfo.InvariantCulture),
            sha256,
            metadata[MetaContentType] is { } type ? Uri.UnescapeDataString(type) : contentType ?? "",
            location)
        {
            ResultDigest = string.IsNullOrEmpty(metadata[MetaDigest]) ? sha256 : Hash32.Parse(metadata[MetaDigest]),
            Encryption = metadata[MetaEncryption] ?? "",
            StoredAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(metadata[MetaStoredAt], CultureInfo.InvariantCulture)),
            ExpiredAt = string.IsNullOrEmpty(expired) ? null : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(expired, CultureInfo.InvariantCulture)),
        };
    }
}
