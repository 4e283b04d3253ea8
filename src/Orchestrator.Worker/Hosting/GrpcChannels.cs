using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Orchestrator.Api.Contracts.Security;
using Orchestrator.Worker.Configuration;

namespace Orchestrator.Worker.Hosting;

/// <summary>The agent's gRPC channel: HTTP/2 keep-alive pings (a dead server is noticed without waiting for TCP), message size limits, an optional private CA.</summary>
internal static class GrpcChannels
{
    public static GrpcChannel Create(WorkerOptions options, ServerCertificateObserver? serverCertificate = null)
    {
        var handler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(15),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        X509Certificate2Collection? authorities = null;
        if (options.ServerCaCertificateFile is { } caFile)
        {
            authorities = [];
            authorities.ImportFromPemFile(caFile);
        }

        handler.SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
            {
                if (certificate is null || !PrivateRoots.AcceptServer(certificate, presented, errors, authorities)) return false;
                serverCertificate?.Accepted(certificate); // bound into the session proof
                return true;
            },
        };

        return GrpcChannel.ForAddress(options.ServerUrl, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 4 * 1024 * 1024,
        });
    }
}
