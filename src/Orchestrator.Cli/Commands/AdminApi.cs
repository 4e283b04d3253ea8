using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Contracts.Security;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// How `pool`, `deal` and `demo --api` reach the owner's gRPC admin API: the endpoint, the bearer token
/// and, for a pool whose certificate a private CA issued (docker-compose's, a company PKI), that CA.
/// </summary>
internal sealed class AdminApi(string? defaultUrl = AdminApi.DevelopmentUrl)
{
    /// <summary>The embedded development configuration's endpoint.</summary>
    public const string DevelopmentUrl = "http://127.0.0.1:5080";

    /// <summary>Replies as JSON, every field shown (a zero is printed, not omitted).</summary>
    internal static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public Option<string?> Url { get; } = new("--api")
    {
        Description = "The silo's gRPC endpoint (Orchestrator:Api:Url).",
        DefaultValueFactory = _ => defaultUrl,
        Recursive = true,
    };

    public Option<string?> Token { get; } = new("--token") { Description = "The pool owner's bearer token (default: $ORCHESTRATOR_ADMIN_TOKEN).", Recursive = true };

    public Option<string?> Ca { get; } = new("--ca") { Description = "PEM file of the CA that issued the silo's https certificate, when it is not a public one (default: $ORCHESTRATOR_CA_FILE).", Recursive = true };

    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Allow plain http:// to a host that is not this machine (the owner's token would cross the network in clear).", Recursive = true };

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> Options => [Url, Token, Ca, Insecure];

    /// <summary>Makes one call with the owner's token, prints its reply as JSON; exit 0, 1 (bad request), 2 (usage) or 3 (refused/unavailable).</summary>
    public async Task<int> CallAsync<T>(ParseResult parse, CancellationToken cancellationToken, Func<PoolAdmin.PoolAdminClient, Metadata, Task<T?>> call)
        where T : class, IMessage
    {
        ArgumentNullException.ThrowIfNull(call);
        var (connection, error) = Open(parse);
        if (connection is null)
        {
            await Console.Error.WriteLineAsync(error);
            return 2;
        }

        using (connection)
        {
            try
            {
                var reply = await call(new PoolAdmin.PoolAdminClient(connection.Channel), connection.Headers);
                if (reply is not null)
                {
                    Console.WriteLine(Json.Format(reply));
                }

                return 0;
            }
            catch (RpcException ex)
            {
                await Console.Error.WriteLineAsync($"{ex.StatusCode}: {ex.Status.Detail}");
                return ExitCode(ex);
            }
        }
    }

    /// <summary>The exit code of a refused call: 1 for the caller's mistake, 3 otherwise.</summary>
    public static int ExitCode(RpcException ex) => ex.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition ? 1 : 3;

    /// <summary>A channel to the API with the owner's headers, or the usage error that prevents it.</summary>
    public (ApiConnection? Connection, string? Error) Open(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var secret = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("ORCHESTRATOR_ADMIN_TOKEN");
        if (string.IsNullOrEmpty(secret))
        {
            return (null, "the pool owner's token is needed: --token or $ORCHESTRATOR_ADMIN_TOKEN");
        }

        return OpenWith(parse, new Metadata { { "authorization", "Bearer " + secret } });
    }

    /// <summary>A channel to the API with no token (a requester's calls carry their own signature), or the usage error.</summary>
    public (ApiConnection? Connection, string? Error) OpenWithoutToken(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return OpenWith(parse, []);
    }

    private (ApiConnection? Connection, string? Error) OpenWith(ParseResult parse, Metadata headers)
    {
        if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            return (null, $"--api: {parse.GetValue(Url)} is not an http(s) URL (e.g. https://pool.example:5080)");
        }

        if (endpoint.Scheme == "http" && !endpoint.IsLoopback && !parse.GetValue(Insecure))
        {
            // Refused here, before sending: a server's refusal comes after the token crossed the network.
            return (null, $"--api: {endpoint} is plain http to a host that is not this machine: use https:// (the owner's token would cross the network in clear) or pass --insecure");
        }

        var caFile = parse.GetValue(Ca) ?? Environment.GetEnvironmentVariable("ORCHESTRATOR_CA_FILE");
        X509Certificate2Collection? roots = null;
        if (!string.IsNullOrEmpty(caFile))
        {
            try
            {
                roots = [];
                roots.ImportFromPemFile(caFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                return (null, $"--ca: {caFile}: {ex.Message}");
            }

            if (roots.Count == 0)
            {
                return (null, $"--ca: {caFile} holds no PEM certificate");
            }
        }

        return (new ApiConnection(endpoint, roots, headers), null);
    }
}

/// <summary>
/// A channel to a silo's API that trusts the given roots (or the system's) and remembers the certificate
/// it was shown: a worker session's proof binds that certificate's SHA-256.
/// </summary>
internal sealed class ApiConnection : IDisposable
{
    private readonly SocketsHttpHandler _handler = new() { EnableMultipleHttp2Connections = true };
    private byte[] _seen = [];

    public ApiConnection(Uri endpoint, X509Certificate2Collection? roots, Metadata headers)
    {
        Headers = headers;
        _handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
        {
            var trusted = PrivateRoots.AcceptServer(certificate, presented, errors, roots);
            if (trusted && certificate is not null)
            {
                _seen = SHA256.HashData(certificate.GetRawCertData());
            }

            return trusted;
        };
        Channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = _handler, DisposeHttpClient = false });
    }

    public GrpcChannel Channel { get; }

    public Metadata Headers { get; }

    /// <summary>SHA-256 of the server certificate of the last TLS handshake; empty over plaintext.</summary>
    public byte[] SeenCertificateSha256 => _seen;

    public void Dispose()
    {
        Channel.Dispose();
        _handler.Dispose();
    }
}
