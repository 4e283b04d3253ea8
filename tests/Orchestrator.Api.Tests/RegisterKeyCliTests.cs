using System.Text.Json;
using Orchestrator.Api.Results.V1;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using ResultsService = Orchestrator.Api.Results.V1.Results;

namespace Orchestrator.Api.Tests;

/// <summary>`orchestrator result register-key` as a real process against the silo, then a TEE deal naming no key.</summary>
[Collection("api")]
public sealed class RegisterKeyCliTests(ApiHost host) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-register-key-cli-").FullName;

    private string Api => $"http://127.0.0.1:{host.GrpcPort}";

    [Fact]
    public async Task Register_key_signs_with_the_key_file_and_a_tee_deal_of_that_requester_then_needs_no_key()
    {
        var keyFile = Path.Combine(_dir, "requester.key");
        var (code, stdout, stderr) = await RunAsync("result", "keygen", "--out", keyFile);
        Assert.True(code == 0, stderr);
        var address = JsonDocument.Parse(stdout).RootElement.GetProperty("address").GetString()!;
        var key = Hex.Decode(File.ReadAllText(keyFile).Trim());

        (code, _, stderr) = await RunAsync("deal", "submit", "--api", Api, "--tee", "Sgx", "--tasks", "1", "--requester", address);
        Assert.Equal(1, code);
        Assert.Contains("register-key", stderr, StringComparison.Ordinal);

        (code, stdout, stderr) = await RunAsync("result", "register-key", "--api", Api, "--key", keyFile);
        Assert.True(code == 0, stderr);
        var registered = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(address.ToLowerInvariant(), registered.GetProperty("requester").GetString());
        Assert.Equal(Hex.Encode(Secp256k1.PublicKeyBytes(key)), registered.GetProperty("publicKey").GetString()); // default: the key file's own
        Assert.True(registered.GetProperty("changed").GetBoolean());

        (code, _, stderr) = await RunAsync("deal", "submit", "--api", Api, "--tee", "Sgx", "--tasks", "1", "--requester", address);
        Assert.True(code == 0, stderr);

        // Another requester names a key that is not its own (iExec lets a requester name any key).
        var secondFile = Path.Combine(_dir, "second.key");
        var second = Secp256k1.NewPrivateKey();
        File.WriteAllText(secondFile, Hex.Encode(second, prefix: false));
        var other = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        (code, _, stderr) = await RunAsync("result", "register-key", "--api", Api, "--key", secondFile, "--public-key", Hex.Encode(other));
        Assert.True(code == 0, stderr);
        var read = await new ResultsService.ResultsClient(host.Channel).GetBeneficiaryKeyAsync(new GetBeneficiaryKeyRequest { Requester = Secp256k1.AddressOf(second).ToLowerHex() });
        Assert.Equal(Hex.Encode(other), read.PublicKey);

        (code, _, stderr) = await RunAsync("result", "register-key", "--api", Api, "--key", keyFile, "--public-key", "0x" + new string('1', 128));
        Assert.Equal(2, code);
        Assert.Contains("--public-key", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        => BuiltCli.RunAsync(args, new Dictionary<string, string> { ["ORCHESTRATOR_ADMIN_TOKEN"] = ApiHost.Token });
}
