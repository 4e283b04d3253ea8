using System.CommandLine;
using System.Text.Json;
using Grpc.Core;
using Orchestrator.Api.Results.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator result register-key --api URL --key requester.key [--public-key 0x…]`: the requester
/// registers, once, the key its deals' results are encrypted for when a deal names none (every deal
/// bought on chain), signing the EIP-712 BeneficiaryKeyRegistration with its own key; no pool owner's
/// token. The registered key defaults to the key file's own public key. Exit 0 when registered (or
/// already registered), 2 on bad input, 1 or 3 when the pool refused (as the other API commands).
/// </summary>
internal static class ResultRegisterKeyCommand
{
    /// <summary>How long the signed registration may be presented: it is sent at once.</summary>
    private static readonly TimeSpan RegistrationLifetime = TimeSpan.FromMinutes(10);

    public static Command Create()
    {
        var api = new AdminApi();
        var key = new Option<FileInfo>("--key") { Description = "The requester's private key file (hex, as `result keygen` writes it): it signs, and its address is the requester.", Required = true };
        var publicKey = new Option<string?>("--public-key") { Description = "The key to encrypt results for (hex of 64 bytes X ‖ Y, or 65 with 04); default: the --key file's own public key." };
        var command = new Command("register-key", "Register the requester's result-encryption key with the pool, once, for deals that name none (deals bought on chain).") { key, publicKey };
        command.Options.Add(api.Url);
        command.Options.Add(api.Ca);
        command.Options.Add(api.Insecure);
        command.SetAction((parse, ct) => RegisterAsync(parse, api, parse.GetValue(key)!, parse.GetValue(publicKey), ct));
        return command;
    }

    private static async Task<int> RegisterAsync(ParseResult parse, AdminApi api, FileInfo keyFile, string? publicKeyText, CancellationToken cancellationToken)
    {
        if (!RequesterKeyFile.TryRead(keyFile, out var key, out var keyError)) return Fail(2, keyError);
        var publicKey = Secp256k1.PublicKeyBytes(key);
        if (publicKeyText is not null)
        {
            if (!Hex.TryDecode(publicKeyText, out var given, out var hexError)) return Fail(2, $"--public-key: {hexError}");
            publicKey = BeneficiaryKeyRules.Normalize(given);
            if (!Secp256k1.IsPublicKey(publicKey)) return Fail(2, $"--public-key: {publicKey.Length} bytes that are not a secp256k1 public key (64 bytes X ‖ Y of a point on the curve)");
        }

        var (connection, error) = api.OpenWithoutToken(parse);
        if (connection is null) return Fail(2, error!);
        using (connection)
        {
            try
            {
                var client = new Results.ResultsClient(connection.Channel);
                var domain = await client.GetSigningDomainAsync(new GetSigningDomainRequest(), cancellationToken: cancellationToken);
                var expiry = (ulong)DateTimeOffset.UtcNow.Add(RegistrationLifetime).ToUnixTimeSeconds();
                var digest = new BeneficiaryKeyRegistration(publicKey, expiry).SigningDigest(domain.ChainId, Address.Parse(domain.VerifyingContract));
                var registered = await client.SetBeneficiaryKeyAsync(
                    new SetBeneficiaryKeyRequest
                    {
                        Requester = Secp256k1.AddressOf(key).ToLowerHex(),
                        PublicKey = Hex.Encode(publicKey),
                        Expiry = expiry,
                        Signature = Secp256k1.Sign(digest.ToArray(), key).ToString(),
                    },
                    cancellationToken: cancellationToken);
                Console.WriteLine(JsonSerializer.Serialize(new { requester = registered.Requester, publicKey = registered.PublicKey, keyAddress = registered.KeyAddress, expiry = registered.Expiry, changed = registered.Changed }));
                return 0;
            }
            catch (RpcException ex)
            {
                return Fail(AdminApi.ExitCode(ex), $"{ex.StatusCode}: {ex.Status.Detail}");
            }
        }
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}
