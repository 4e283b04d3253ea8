using Amazon.Runtime;
using Amazon.S3;

namespace Orchestrator.Api.Results.S3;

/// <summary>Builds the S3 client from <see cref="S3ResultOptions"/>.</summary>
public static class S3Client
{
    /// <summary>A client for the configured endpoint; credentials from the options, else the SDK's default chain.</summary>
    public static AmazonS3Client Create(S3ResultOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            AuthenticationRegion = options.Region,
            // Checksums only where S3 requires them: the SDK's default adds trailing checksums in
            // aws-chunked bodies, which S3-compatible servers (s3rver among them) do not all accept.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (!string.IsNullOrEmpty(options.ServiceUrl))
        {
            config.ServiceURL = options.ServiceUrl;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }

        var client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        client.BeforeRequestEvent += PlainCopySource;
        return client;
    }

    /// <summary>
    /// Sends the copy source as "bucket/key" rather than "bucket%2Fkey": the SDK escapes the slash, which
    /// S3 accepts either way but s3rver 3.7.1 does not (it looks for a bucket named "bucket%2Fkey"). Our
    /// keys hold only letters, digits, '.', '-' and '/', so the unescaped form is exact. Runs before signing.
    /// </summary>
    private static void PlainCopySource(object sender, RequestEventArgs e)
    {
        const string header = "x-amz-copy-source";
        if (e is WebServiceRequestEventArgs { Headers: { } headers } && headers.TryGetValue(header, out var source) && source.Contains("%2F", StringComparison.Ordinal))
        {
            headers[header] = source.Replace("%2F", "/", StringComparison.Ordinal);
        }
    }
}
