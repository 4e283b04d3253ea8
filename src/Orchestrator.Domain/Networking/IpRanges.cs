using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Domain.Networking;

/// <summary>Address and range rules shared by the API (rate limits, proxies, token transport) and the worker (input fetching).</summary>
public static class IpRanges
{
    /// <summary>The address an IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for; any other address as it is.</summary>
    public static IPAddress Plain(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    /// <summary>Parses a CIDR range, or a single address as the range of itself (/32 or /128).</summary>
    public static bool TryParse(string entry, out IPNetwork range)
    {
        if (IPNetwork.TryParse(entry, out range))
        {
            return true;
        }

        if (IPAddress.TryParse(entry, out var single))
        {
            var plain = Plain(single);
            range = new IPNetwork(plain, plain.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}
