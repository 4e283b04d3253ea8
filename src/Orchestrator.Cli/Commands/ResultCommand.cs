using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator result keygen|encrypt|decrypt` (and `get|logs`, <see cref="ResultDownloadCommands"/>): results encrypted for a requester's secp256k1 public
/// key (ECIES with AES-256-GCM, see <see cref="Ecies"/>), so only the requester reads them. Exit 0 on
/// success, 1 when the data does not decrypt with the key, 2 on bad input.
/// </summary>
internal static class ResultCommand
{
    public static Command Create()
    {
        var keyOut = new Option<FileInfo>("--out") { Description = "Where to write the new private key (hex; created with mode 0600).", Required = true };
        var keygen = new Command("keygen", "Create a requester key pair; prints the public key and address as JSON.") { keyOut };
        keygen.SetAction(parse => Run(() => Keygen(parse.GetValue(keyOut)!)));

        var publicKey = new Option<string>("--public-key") { Description = "The requester's public key: hex of 64 bytes X ‖ Y (or 65 with 04).", Required = true };
        var input = new Option<FileInfo>("--in") { Description = "The input file.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The output file.", Required = true };
        var encrypt = new Command("encrypt", "Encrypt a result for a requester's public key.") { publicKey, input, output };
        encrypt.SetAction(parse => Run(() =>
        {
            var key = DecodeHex(parse.GetValue(publicKey)!, "--public-key");
            File.WriteAllBytes(parse.GetValue(output)!.FullName, Ecies.Encrypt(key, File.ReadAllBytes(parse.GetValue(input)!.FullName)));
            return 0;
        }));

        var keyFile = new Option<FileInfo>("--key") { Description = "The requester's private key file (hex, as keygen writes it).", Required = true };
        var decryptIn = new Option<FileInfo>("--in") { Description = "The encrypted result.", Required = true };
        var decryptOut = new Option<FileInfo>("--out") { Description = "Where to write the plaintext.", Required = true };
        var decrypt = new Command("decrypt", "Decrypt a result with the requester's private key.") { keyFile, decryptIn, decryptOut };
        decrypt.SetAction(parse => Run(() =>
        {
            var key = DecodeHex(File.ReadAllText(parse.GetValue(keyFile)!.FullName).Trim(), "--key");
            byte[] plaintext;
            try
            {
                plaintext = Ecies.Decrypt(key, File.ReadAllBytes(parse.GetValue(decryptIn)!.FullName));
            }
            catch (CryptographicException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }

            File.WriteAllBytes(parse.GetValue(decryptOut)!.FullName, plaintext);
            return 0;
        }));

        var command = new Command("result", "Results for the requester: keys, ECIES on secp256k1 with AES-256-GCM, signed downloads.") { keygen, encrypt, decrypt };
        foreach (var download in ResultDownloadCommands.Create())
        {
            command.Subcommands.Add(download);
        }

        command.Subcommands.Add(ResultRegisterKeyCommand.Create());

        return command;
    }

    private static int Keygen(FileInfo output)
    {
        var key = Secp256k1.NewPrivateKey();
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(output.FullName, options))
        {
            writer.WriteLine(Hex.Encode(key, prefix: false));
        }

        Console.WriteLine(JsonSerializer.Serialize(new { publicKey = Hex.Encode(Secp256k1.PublicKeyBytes(key), prefix: false), address = Secp256k1.AddressOf(key).ToChecksumString(), keyFile = output.FullName }));
        CryptographicOperations.ZeroMemory(key);
        return 0;
    }

    private static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or CryptographicException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 2;
        }
    }

    private static byte[] DecodeHex(string text, string what)
        => Hex.TryDecode(text, out var bytes, out var error) ? bytes : throw new FormatException($"{what}: {error}");
}
