using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Testing;

/// <summary>
/// A loopback TCP relay in front of one service (RabbitMQ, PostgreSQL, a node): a component that
/// reaches the service only through its relay can be cut off at once with <see cref="Cut"/> — every
/// connection reset, the port closed — which is what the service and its other clients see when that
/// component's process is killed (no goodbye, no lease released, unacknowledged messages requeued).
/// </summary>
public sealed class LoopbackRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly List<Socket> _sockets = [];
    private readonly Lock _gate = new();
    private readonly Task _accepting;
    private bool _cut;

    /// <summary>Starts relaying a free loopback port to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public LoopbackRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The relay's own port (give this to the component instead of the service's).</summary>
    public int Port { get; }

    /// <summary>Resets every relayed connection and stops accepting new ones; idempotent.</summary>
    public void Cut()
    {
        List<Socket> sockets;
        lock (_gate)
        {
            if (_cut)
            {
                return;
            }

            _cut = true;
            sockets = [.. _sockets];
            _sockets.Clear();
        }

        _listener.Stop();
        foreach (var socket in sockets)
        {
            try
            {
                // Linger 0: the close sends RST, as the kernel does for a killed process's sockets.
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                // That relayed connection had just ended on its own.
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Cut();
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var service = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        lock (_gate)
        {
            if (_cut)
            {
                client.Close();
                service.Dispose();
                return;
            }

            _sockets.Add(client);
            _sockets.Add(service);
        }

        try
        {
            await service.ConnectAsync(IPAddress.Loopback, _targetPort).ConfigureAwait(false);
            using var toService = new NetworkStream(service, ownsSocket: false);
            using var toClient = new NetworkStream(client, ownsSocket: false);
            // Either direction ending (or a cut) ends both.
            await Task.WhenAny(toClient.CopyToAsync(toService), toService.CopyToAsync(toClient)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _sockets.Remove(client);
                _sockets.Remove(service);
            }

            client.Close();
            service.Close();
        }
    }
}
