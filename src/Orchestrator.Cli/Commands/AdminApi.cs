using System.CommandLine;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Orchestrator.Api.Admin.V1;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// How `pool` and `deal` reach the owner's gRPC admin API: the endpoint, the bearer token and, for a pool
/// whose certificate a private CA issued (docker-compose's, a company PKI), that CA.
/// </summary>
internal sealed class AdminApi
{
    /// <summary>Replies as JSON, every field shown (a zero is printed, not omitted).</summary>
    internal static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public Option<string> Url { get; } = new("--api") { Description = "The silo's gRPC endpoint (Orchestrator:Api:Url).", DefaultValueFactory = _ => "http://127.0.0.1:5080", Recursive = true };

    public Option<string?> Token { get; } = new("--token") { Description = "The pool owner's bearer token (default: $ORCHESTRATOR_ADMIN_TOKEN).", Recursive = true };

    public Option<string?> Ca { get; } = new("--ca") { Description = "PEM file of the CA that issued the silo's https certificate, when it is not a public one (default: $ORCHESTRATOR_CA_FILE).", Recursive = true };

    /// <summary>The options, to add to a command.</summary>
    public IEnumerable<Option> Options => [Url, Token, Ca];

    /// <summary>Makes one call with the owner's token, prints its reply as JSON; exit 0, 1 (bad request), 2 (usage) or 3 (refused/unavailable).</summary>
    public async Task<int> CallAsync<T>(ParseResult parse, CancellationToken cancellationToken, Func<PoolAdmin.PoolAdminClient, Metadata, Task<T?>> call)
        where T : class, IMessage
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(call);
        var secret = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable("ORCHESTRATOR_ADMIN_TOKEN");
        if (string.IsNullOrEmpty(secret))
        {
            await Console.Error.WriteLineAsync("the pool owner's token is needed: --token or $ORCHESTRATOR_ADMIN_TOKEN");
            return 2;
        }

        if (!Uri.TryCreate(parse.GetValue(Url), UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            await Console.Error.WriteLineAsync($"--api: {parse.GetValue(Url)} is not an http(s) URL (e.g. https://pool.example:5080)");
            return 2;
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
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"--ca: {caFile}: {ex.Message}");
                return 2;
            }

            if (roots.Count == 0)
            {
                await Console.Error.WriteLineAsync($"--ca: {caFile} holds no PEM certificate");
                return 2;
            }
        }

        using var handler = new SocketsHttpHandler();
        if (roots is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(roots, certificate, errors);
        }

        using var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
        try
        {
            var reply = await call(new PoolAdmin.PoolAdminClient(channel), new Metadata { { "authorization", "Bearer " + secret } });
            if (reply is not null)
            {
                Console.WriteLine(Json.Format(reply));
            }

            return 0;
        }
        catch (RpcException ex)
        {
            await Console.Error.WriteLineAsync($"{ex.StatusCode}: {ex.Status.Detail}");
            return ex.StatusCode is StatusCode.InvalidArgument or StatusCode.NotFound or StatusCode.FailedPrecondition ? 1 : 3;
        }
    }

    /// <summary>The name must match (no mismatch error) and the chain must end at one of <paramref name="roots"/>, not the system store.</summary>
    private static bool TrustedBy(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
