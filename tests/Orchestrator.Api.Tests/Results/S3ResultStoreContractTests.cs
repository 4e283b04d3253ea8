using Amazon.S3;
using Amazon.S3.Model;
using Orchestrator.Api.Results;
using Orchestrator.Api.Results.S3;

namespace Orchestrator.Api.Tests.Results;

/// <summary>The store contract on a real s3rver (one server per class, a fresh key prefix per test).</summary>
public sealed class S3ResultStoreContractTests(S3rverNode s3rver) : ResultStoreContract, IClassFixture<S3rverNode>
{
    private readonly List<IAmazonS3> _clients = [];

    private S3ResultOptions Options { get; } = new()
    {
        ServiceUrl = s3rver.Endpoint.ToString(),
        Bucket = s3rver.Bucket,
        Prefix = $"pool-{Guid.NewGuid():n}/",
        AccessKey = S3rverNode.AccessKey,
        SecretKey = S3rverNode.AccessKey,
        PartBytes = 5 * 1024 * 1024,
    };

    /// <inheritdoc />
    public override Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<IResultStore> CreateStoreAsync(bool sameSpace)
        => Task.FromResult<IResultStore>(new S3ResultStore(Client(), Options, Clock));

    /// <inheritdoc />
    protected override async Task<int> StoredObjectCountAsync()
    {
        var listed = await Client().ListObjectsV2Async(new ListObjectsV2Request { BucketName = Options.Bucket, Prefix = Options.Prefix });
        return listed.S3Objects?.Count ?? 0;
    }

    private IAmazonS3 Client()
    {
        var client = S3Client.Create(Options);
        _clients.Add(client);
        return client;
    }
}
