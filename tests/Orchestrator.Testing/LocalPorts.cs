using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Testing;

/// <summary>Loopback ports for the servers a test starts.</summary>
public static class LocalPorts
{
    /// <summary>A loopback port nobody listens on now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(IPAddress.Loopback, port).Wait(TimeSpan.FromSeconds(2)) && client.Connected;
        }
        catch (Exception ex) when (ex is AggregateException or SocketException)
        {
            return false;
        }
    }
}
