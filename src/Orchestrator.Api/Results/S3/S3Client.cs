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

        return string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }
}
