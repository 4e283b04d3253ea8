using Microsoft.Extensions.Options;
using Orchestrator.Api.Security;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Hosting;

/// <summary>Refuses an API configuration that could not serve or would serve insecurely, naming the key.</summary>
public sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        CheckListenersAndAdminToken(options, errors);
        CheckMessagesAndSessions(options, errors);
        CheckChainIdentity(options, errors);
        CheckLimits(options.Limits, errors);
        CheckAppUris(options, errors);
        CheckAppImages(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckListenersAndAdminToken(ApiOptions options, List<string> errors)
    {
        CheckUrl(options.Url, "Url", errors);
        if (options.HttpUrl is { Length: > 0 } httpUrl)
        {
            CheckUrl(httpUrl, "HttpUrl", errors);
        }

        var hasToken = !string.IsNullOrEmpty(options.AdminToken);
        var hasHash = !string.IsNullOrEmpty(options.AdminTokenSha256);
        if (hasToken == hasHash)
        {
            errors.Add("set exactly one of Orchestrator:Api:AdminToken or Orchestrator:Api:AdminTokenSha256 (the admin API needs the owner's bearer token)");
        }

        if (hasToken && options.AdminToken!.Length < 16)
        {
            errors.Add("Orchestrator:Api:AdminToken must be at least 16 characters");
        }

        if (hasHash && !Domain.Crypto.Hash32.TryParse(options.AdminTokenSha256, out _, out var hashError))
        {
            errors.Add($"Orchestrator:Api:AdminTokenSha256 must be 64 hex digits (SHA-256 of the token's UTF-8 bytes): {hashError}");
        }

        var tls = IsHttps(options.Url) || (options.HttpUrl is not null && IsHttps(options.HttpUrl));
        if (tls && string.IsNullOrEmpty(options.CertificatePath))
        {
            errors.Add("an https Orchestrator:Api:Url needs Orchestrator:Api:CertificatePath");
        }

        if (!string.IsNullOrEmpty(options.CertificatePath) && !File.Exists(options.CertificatePath))
        {
            errors.Add($"Orchestrator:Api:CertificatePath {options.CertificatePath} does not exist");
        }
    }

    private static void CheckMessagesAndSessions(ApiOptions options, List<string> errors)
    {
        if (options.MaxMessageBytes is < 64 * 1024 or > 64 * 1024 * 1024)
        {
            errors.Add("Orchestrator:Api:MaxMessageBytes must be between 65536 and 67108864");
        }

        if (options.MaxResultBytes < 1)
        {
            errors.Add("Orchestrator:Api:MaxResultBytes must be positive");
        }

        if (string.IsNullOrWhiteSpace(options.ResultDirectory))
        {
            errors.Add("Orchestrator:Api:ResultDirectory is required");
        }

        if (options.HeartbeatInterval < TimeSpan.FromMilliseconds(100) || options.HeartbeatInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add("Orchestrator:Api:HeartbeatInterval must be between 100 ms and 5 min");
        }

        if (options.EffectiveSessionIdleTimeout <= options.HeartbeatInterval)
        {
            errors.Add("Orchestrator:Api:SessionIdleTimeout must exceed HeartbeatInterval");
        }

        if (options.ChallengeTimeout <= TimeSpan.Zero || options.IdlePollInterval <= TimeSpan.Zero || options.WatchInterval <= TimeSpan.Zero)
        {
            errors.Add("Orchestrator:Api:ChallengeTimeout, IdlePollInterval and WatchInterval must be positive");
        }
    }

    private static void CheckChainIdentity(ApiOptions options, List<string> errors)
    {
        if (options.PoolAddress is { Length: > 0 } pool && !Address.TryParse(pool, out _, out var poolError))
        {
            errors.Add($"Orchestrator:Api:PoolAddress must be 0x + 40 hex digits: {poolError}");
        }

        if (options.HubAddress is { Length: > 0 } hub && !Address.TryParse(hub, out _, out var hubError))
        {
            errors.Add($"Orchestrator:Api:HubAddress must be the OrchestratorHub's address, 0x + 40 hex digits: {hubError}");
        }

        if (options.ChainId is < 0)
        {
            errors.Add($"Orchestrator:Api:ChainId must not be negative, got {options.ChainId}");
        }

        if (options.BoundCertificatePath is { Length: > 0 } bound && !File.Exists(bound))
        {
            errors.Add($"Orchestrator:Api:BoundCertificatePath {bound} does not exist");
        }
    }

    private static void CheckLimits(ApiLimitsOptions limits, List<string> errors)
    {
        if (limits.PerAddressPerSecond < 1 || limits.PerAddressBurst < 1 || limits.SessionsPerWorkerPerMinute < 1 || limits.WorkerCallsPerSecond < 1)
        {
            errors.Add("Orchestrator:Api:Limits: PerAddressPerSecond, PerAddressBurst, SessionsPerWorkerPerMinute and WorkerCallsPerSecond must be at least 1");
        }

        if (limits.MaxConnections < 1 || limits.MaxStreamsPerConnection < 1 || limits.MaxRequestHeadersBytes < 4096 || limits.MaxRequestBodyBytes < 1024)
        {
            errors.Add("Orchestrator:Api:Limits: MaxConnections and MaxStreamsPerConnection must be at least 1, MaxRequestHeadersBytes at least 4096, MaxRequestBodyBytes at least 1024");
        }
    }

    private static void CheckAppUris(ApiOptions options, List<string> errors)
    {
        foreach (var (app, uri) in options.AppUris)
        {
            if (!Address.TryParse(app, out _, out var error))
            {
                errors.Add($"Orchestrator:Api:AppUris key {app}: {error}");
            }

            if (!Uri.TryCreate(uri, UriKind.Absolute, out _))
            {
                errors.Add($"Orchestrator:Api:AppUris:{app} must be an absolute URI");
            }
        }
    }

    private static void CheckAppImages(ApiOptions options, List<string> errors)
    {
        foreach (var (app, image) in options.AppImages)
        {
            if (!Address.TryParse(app, out _, out var error))
            {
                errors.Add($"Orchestrator:Api:AppImages key {app}: {error}");
            }

            if (!Orchestrator.Domain.Containers.ImageReference.TryParse(image, out _, out var imageError))
            {
                errors.Add($"Orchestrator:Api:AppImages:{app}: {imageError}");
            }
        }
    }

    private static void CheckUrl(string url, string key, List<string> errors)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
        {
            errors.Add($"Orchestrator:Api:{key} must be http://host:port or https://host:port, not {url}");
        }
    }

    internal static bool IsHttps(string url) => url.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
}
