using Microsoft.Extensions.Options;

namespace Orchestrator.Api.Hosting;

/// <summary>Refuses a <see cref="ApiLimitsOptions.TrustedProxies"/> entry that is not an address or a CIDR range, naming it.</summary>
internal sealed class TrustedProxiesValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var proxies = options.Limits.TrustedProxies;
        var errors = new List<string>();
        for (var i = 0; i < proxies.Count; i++)
        {
            if (!Domain.Networking.IpRanges.TryParse(proxies[i], out _))
            {
                errors.Add($"Orchestrator:Api:Limits:TrustedProxies:{i} must be an IP address or a CIDR range, got '{proxies[i]}'");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
