using System.Net;
using System.Net.Sockets;
using Orchestrator.Worker.Configuration;

namespace Orchestrator.Worker.Session;

/// <summary>
/// Which addresses a task input may come from. Requesters name input URLs, and whatever the worker
/// fetches ends up in its result; so by default only public unicast addresses are reached: never
/// loopback, link-local (where cloud metadata services live: 169.254.169.254), private, carrier-grade
/// NAT, unspecified, multicast or reserved ranges, unless <see cref="InputOptions.AllowList"/> names them.
/// An IPv6 address that carries an IPv4 address (mapped, NAT64's well-known prefix, 6to4) is judged by
/// the IPv4 address it leads to (the deprecated IPv4-compatible form is refused whatever it carries): ::ffff:127.0.0.1 and 64:ff9b::a9fe:a9fe are loopback
/// and the metadata service as much as 127.0.0.1 and 169.254.169.254 are.
/// </summary>
internal sealed class InputRules
{
    private static readonly (IPNetwork Range, string Rule)[] Forbidden =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT address"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (cloud metadata lives at 169.254.169.254)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address"),
        (IPNetwork.Parse("192.0.0.0/24"), "a reserved address"),
        (IPNetwork.Parse("192.0.2.0/24"), "a documentation address"),
        (IPNetwork.Parse("198.51.100.0/24"), "a documentation address"),
        (IPNetwork.Parse("203.0.113.0/24"), "a documentation address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a reserved address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),
        (IPNetwork.Parse("::/128"), "an unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("::/96"), "an IPv4-compatible address"),
        (IPNetwork.Parse("64:ff9b:1::/48"), "a local-use NAT64 address"),
        (IPNetwork.Parse("100::/64"), "a discard-only address"),
        (IPNetwork.Parse("2001::/32"), "a Teredo tunnel address"),
        (IPNetwork.Parse("2001:db8::/32"), "a documentation address"),
        (IPNetwork.Parse("fc00::/7"), "a private (unique local) address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    private readonly HashSet<string> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IPNetwork> _ranges = [];

    public InputRules(InputOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        foreach (var entry in options.AllowList)
        {
            if (Domain.Networking.IpRanges.TryParse(entry, out var range))
            {
                _ranges.Add(range);
            }
            else
            {
                _hosts.Add(entry.TrimEnd('.'));
            }
        }
    }

    public InputOptions Options { get; }

    /// <summary>Every problem of the options, naming the key below OrchestratorWorker:Inputs.</summary>
    public static IReadOnlyList<string> Check(InputOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.MaxBytes <= 0) errors.Add("MaxBytes must be positive");
        if (options.Timeout <= TimeSpan.Zero) errors.Add("Timeout must be positive");
        if (options.MaxRedirects is < 0 or > 10) errors.Add("MaxRedirects must be 0..10");
        for (var i = 0; i < options.AllowList.Count; i++)
        {
            var entry = options.AllowList[i];
            if (string.IsNullOrWhiteSpace(entry) || (entry.Contains('/', StringComparison.Ordinal) && !Domain.Networking.IpRanges.TryParse(entry, out _)))
            {
                errors.Add($"AllowList:{i} must be a host name, an IP address or a CIDR range, got '{entry}'");
            }
        }

        return errors;
    }

    /// <summary>Null when <paramref name="url"/>'s scheme may be fetched, else the refusal naming the rule.</summary>
    public string? SchemeRefusal(Uri url) => url.Scheme switch
    {
        "https" => null,
        "http" when Options.AllowHttp => null,
        "http" => "only https:// inputs are fetched (rule: set OrchestratorWorker:Inputs:AllowHttp to accept http://)",
        _ => $"the scheme {url.Scheme}:// is never fetched (rule: inputs are https:// URLs)",
    };

    /// <summary>Whether a host name is allow-listed (every address it resolves to is then accepted).</summary>
    public bool IsAllowedHost(string host) => _hosts.Contains(host.TrimEnd('.'));

    /// <summary>Null when <paramref name="address"/> may be reached, else the refusal naming the rule.</summary>
    public string? AddressRefusal(string host, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var plain = Domain.Networking.IpRanges.Plain(address);
        if (IsAllowedHost(host) || _ranges.Any(r => r.Contains(plain)))
        {
            return null;
        }

        var embedded = EmbeddedIPv4(plain);
        if (embedded is not null && _ranges.Any(r => r.Contains(embedded)))
        {
            return null;
        }

        foreach (var candidate in embedded is null ? [plain] : new[] { embedded, plain })
        {
            foreach (var (range, rule) in Forbidden)
            {
                if (range.BaseAddress.AddressFamily == candidate.AddressFamily && range.Contains(candidate))
                {
                    var via = ReferenceEquals(candidate, embedded) ? $" (which leads to {embedded})" : string.Empty;
                    return $"{host} resolves to {plain}{via}, {rule} (rule: inputs reach public addresses only; name it in OrchestratorWorker:Inputs:AllowList to allow it)";
                }
            }
        }

        return plain.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? null
            : $"{host} resolves to {plain}, not an IP address (rule: inputs reach public IPv4 or IPv6 addresses only)";
    }

    /// <summary>
    /// The IPv4 address an IPv6 address delivers to: NAT64's well-known prefix 64:ff9b::/96 (RFC 6052),
    /// 6to4 2002::/16 (RFC 3056: the relay's IPv4 in bits 16–48) and the deprecated IPv4-compatible ::/96.
    /// </summary>
    internal static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        if (Nat64.Contains(address) || (IPv4Compatible.Contains(address) && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback)))
        {
            return new IPAddress(bytes[12..]);
        }

        return SixToFour.Contains(address) ? new IPAddress(bytes[2..6]) : null;
    }

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork IPv4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
}
