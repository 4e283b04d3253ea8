using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Orchestrator.Api.Hosting;

/// <summary>
/// Binds Kestrel to <see cref="ApiOptions.Url"/> (and <see cref="ApiOptions.HttpUrl"/>): plain http
/// serves HTTP/2 with prior knowledge (gRPC), https negotiates HTTP/1.1 or HTTP/2 by ALPN with the
/// configured certificate, the extra HttpUrl serves HTTP/1.1 (JSON, health, pages).
/// </summary>
internal sealed class KestrelEndpoints(IOptions<ApiOptions> api) : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions options)
    {
        var o = api.Value;
        if (!o.Enabled)
        {
            return;
        }

        options.AddServerHeader = false;
        options.Limits.MaxRequestBodySize = o.Limits.MaxRequestBodyBytes; // gRPC lifts it per call and enforces MaxMessageBytes per message
        options.Limits.MaxConcurrentConnections = o.Limits.MaxConnections;
        options.Limits.MaxConcurrentUpgradedConnections = o.Limits.MaxConnections;
        options.Limits.MaxRequestHeadersTotalSize = o.Limits.MaxRequestHeadersBytes;
        options.Limits.Http2.MaxStreamsPerConnection = o.Limits.MaxStreamsPerConnection;
        options.Limits.Http2.MaxRequestHeaderFieldSize = Math.Min(o.Limits.MaxRequestHeadersBytes, 16 * 1024);
        options.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
        options.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
        options.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(60);
        Listen(options, o.Url, o, grpc: true);
        if (o.HttpUrl is { Length: > 0 } httpUrl)
        {
            Listen(options, httpUrl, o, grpc: false);
        }
    }

    private static void Listen(KestrelServerOptions options, string url, ApiOptions o, bool grpc)
    {
        var uri = new Uri(url);
        var https = ApiOptionsValidator.IsHttps(url);
        void Configure(ListenOptions listen)
        {
            listen.Protocols = https ? HttpProtocols.Http1AndHttp2 : grpc ? HttpProtocols.Http2 : HttpProtocols.Http1;
            if (https)
            {
                listen.UseHttps(LoadCertificate(o));
            }
        }

        switch (uri.Host)
        {
            case "localhost":
                options.ListenLocalhost(uri.Port, Configure);
                break;
            case "0.0.0.0" or "*" or "[::]" or "+":
                options.ListenAnyIP(uri.Port, Configure);
                break;
            default:
                options.Listen(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port, Configure);
                break;
        }
    }

    internal static X509Certificate2 LoadCertificate(ApiOptions o)
    {
        var path = o.CertificatePath!;
        return o.CertificateKeyPath is { Length: > 0 } keyPath
            ? string.IsNullOrEmpty(o.CertificatePassword)
                ? X509Certificate2.CreateFromPemFile(path, keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, o.CertificatePassword, keyPath)
            : X509CertificateLoader.LoadPkcs12FromFile(path, o.CertificatePassword);
    }
}
