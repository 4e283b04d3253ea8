using System.CommandLine;
using Grpc.Core;
using Orchestrator.Api.Registry.V1;
using Orchestrator.Api.Results.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// What `app`, `dataset` and `secret` share: the API options without the pool's token, the owner's key
/// file, the pool's signing domain, a short expiry, the JSON output and the exit codes of the other
/// API commands (0 done, 1 refused for the input, 2 bad arguments, 3 refused for the caller or unreachable).
/// </summary>
internal sealed class OwnerCall
{
    /// <summary>How long a signed request may be presented: it is sent at once.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public AdminApi Api { get; } = new();

    public Option<FileInfo> Key { get; } = new("--key") { Description = "The owner's private key file (hex, as `result keygen` writes it): it signs, and its address is the owner.", Required = true };

    /// <summary>Adds the API options (and the key when <paramref name="signed"/>) to a command.</summary>
    public Command With(Command command, bool signed)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (signed) command.Options.Add(Key);
        command.Options.Add(Api.Url);
        command.Options.Add(Api.Ca);
        command.Options.Add(Api.Insecure);
        return command;
    }

    /// <summary>Opens the API, reads the pool's domain and runs <paramref name="call"/>, printing its reply as JSON.</summary>
    public async Task<int> RunAsync(ParseResult parse, bool signed, Func<Registry.RegistryClient, Signer, Task<Google.Protobuf.IMessage>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(call);
        byte[] key = [];
        if (signed && !RequesterKeyFile.TryRead(parse.GetValue(Key)!, out key, out var keyError)) return Fail(2, keyError);
        var (connection, error) = Api.OpenWithoutToken(parse);
        if (connection is null) return Fail(2, error!);
        using (connection)
        {
            try
            {
                var domain = signed
                    ? await new Results.ResultsClient(connection.Channel).GetSigningDomainAsync(new GetSigningDomainRequest(), cancellationToken: cancellationToken)
                    : new SigningDomain { VerifyingContract = Address.Zero.ToLowerHex() };
                var signer = new Signer(key, domain.ChainId, Address.Parse(domain.VerifyingContract), (ulong)DateTimeOffset.UtcNow.Add(Lifetime).ToUnixTimeSeconds());
                var reply = await call(new Registry.RegistryClient(connection.Channel), signer);
                Console.WriteLine(AdminApi.Json.Format(reply));
                return 0;
            }
            catch (RpcException ex)
            {
                return Fail(AdminApi.ExitCode(ex), $"{ex.StatusCode}: {ex.Status.Detail}");
            }
            catch (FormatException ex)
            {
                return Fail(2, ex.Message);
            }
        }
    }

    public static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>The owner's key and the pool's domain, with the expiry to sign.</summary>
    internal sealed record Signer(byte[] Key, ulong ChainId, Address Pool, ulong Expiry)
    {
        public Address Address => Secp256k1.AddressOf(Key);
    }
}
