using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Testing;

/// <summary>Loopback ports for the servers a test starts.</summary>
public static class LocalPorts
{
    // Ports are handed out below the kernel's ephemeral range (32768–60999 on Linux by default). A port
    // the kernel picked for "bind to 0" is free only for a moment: under a busy suite an outgoing
    // connection (Npgsql, RabbitMQ, HTTP) may be given the same port before the server binds it, and the
    // server then fails with "address in use". Outgoing connections never take a port outside the
    // ephemeral range, so these cannot be stolen that way; the counter keeps one process's servers apart,
    // and the start offset (from the process id) keeps concurrent test processes apart.
    private const int First = 20_000;
    private const int Count = 12_000;
    private static int _next = Environment.ProcessId * 97 % Count;

    /// <summary>A port nobody listens on now (on loopback or any address), outside the ephemeral range.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (Interlocked.Increment(ref _next) % Count);
            if (CanBind(IPAddress.Any, port) && CanBind(IPAddress.Loopback, port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port in {First}–{First + Count - 1}");
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

    private static bool CanBind(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
