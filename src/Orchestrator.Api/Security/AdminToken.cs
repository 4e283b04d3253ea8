using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Security;

/// <summary>
/// The pool owner's bearer token, kept only as its SHA-256: a presented token is hashed and compared
/// in constant time, so neither the configuration nor a timing side channel gives the token away.
/// </summary>
public sealed class AdminToken
{
    private readonly byte[] _hash;

    /// <summary>Reads the configured token or hash.</summary>
    public AdminToken(IOptions<ApiOptions> options)
    {
        var o = options.Value;
        if (!string.IsNullOrEmpty(o.AdminToken))
        {
            _hash = SHA256.HashData(Encoding.UTF8.GetBytes(o.AdminToken));
        }
        else if (o.AdminTokenSha256 is { } hex && Hash32.TryParse(hex, out var hash, out _))
        {
            _hash = hash.ToArray();
        }
        else
        {
            throw new InvalidOperationException("no admin token configured (Orchestrator:Api:AdminToken or AdminTokenSha256)");
        }
    }

    /// <summary>True when <paramref name="token"/> is the owner's.</summary>
    public bool Matches(string token)
        => CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), _hash);
}
