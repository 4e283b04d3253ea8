using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Results;

namespace Orchestrator.Api.Tests;

/// <summary>
/// The requester's side as real processes against the silo: `result keygen`, `deal submit
/// --beneficiary-key`, and `result get`, which signs, downloads, decrypts and checks the digest.
/// </summary>
[Collection("api")]
public sealed class RequesterCliTests(ApiHost host) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-requester-cli-").FullName;

    private string Api => $"http://127.0.0.1:{host.GrpcPort}";

    [Fact]
    public async Task Keygen_submit_with_the_key_then_result_get_writes_the_verified_plaintext_and_a_stranger_gets_nothing()
    {
        var keyFile = Path.Combine(_dir, "requester.key");
        var (code, stdout, _) = await RunAsync("result", "keygen", "--out", keyFile);
        Assert.Equal(0, code);
        var printed = JsonDocument.Parse(stdout).RootElement;
        var key = Hex.Decode(File.ReadAllText(keyFile).Trim());
        Assert.Equal(Secp256k1.AddressOf(key).ToChecksumString(), printed.GetProperty("address").GetString());
        Assert.Equal(Hex.Encode(Secp256k1.PublicKeyBytes(key), prefix: false), printed.GetProperty("publicKey").GetString());

        var plaintext = RandomNumberGenerator.GetBytes(80_000);
        var (taskId, worker) = await RequesterDownloadTests.WinAsync(host, () => SubmitAsync(printed), plaintext);
        await using var workerSession = worker;
        await ResultUploads.UploadAsync(host.Workers, worker, taskId, Ecies.Encrypt(Secp256k1.PublicKeyBytes(key), plaintext), ResultPrivacy.EciesLabel);

        var output = Path.Combine(_dir, "result.tar");
        (code, stdout, var stderr) = await RunAsync("result", "get", taskId, "--api", Api, "--key", keyFile, "--out", output);
        Assert.True(code == 0, stderr);
        Assert.Equal(plaintext, File.ReadAllBytes(output));
        Assert.True(JsonDocument.Parse(stdout).RootElement.GetProperty("encrypted").GetBoolean());

        await ResultUploads.UploadLogsAsync(host.Workers, worker, taskId,
            Ecies.Encrypt(Secp256k1.PublicKeyBytes(key), LogsPackage.Pack("the app's last words\n"u8, "and a warning\n"u8)), ResultPrivacy.EciesLabel);
        (code, stdout, stderr) = await RunAsync("result", "logs", taskId, "--api", Api, "--key", keyFile);
        Assert.True(code == 0, stderr);
        Assert.Contains("the app's last words", stdout, StringComparison.Ordinal);
        Assert.Contains("and a warning", stdout, StringComparison.Ordinal);

        var strangerFile = Path.Combine(_dir, "stranger.key");
        File.WriteAllText(strangerFile, Hex.Encode(Secp256k1.NewPrivateKey()));
        var strangers = Path.Combine(_dir, "stranger.tar");
        (code, _, stderr) = await RunAsync("result", "get", taskId, "--api", Api, "--key", strangerFile, "--out", strangers);
        Assert.Equal(3, code);
        Assert.Contains("PermissionDenied", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(strangers));

        (code, _, stderr) = await RunAsync("result", "get", "0x1234", "--api", Api, "--key", keyFile, "--out", strangers);
        Assert.Equal(2, code);
        Assert.Contains("taskId", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_result_whose_plaintext_is_not_the_consensus_digest_is_not_written_and_exits_1()
    {
        var key = Secp256k1.NewPrivateKey();
        var keyFile = Path.Combine(_dir, "requester.key");
        File.WriteAllText(keyFile, Hex.Encode(key, prefix: false));
        var agreed = RandomNumberGenerator.GetBytes(10_000);
        var deal = Deals.Standard();
        deal.Requester = Secp256k1.AddressOf(key).ToLowerHex();
        deal.BeneficiaryKey = Hex.Encode(Secp256k1.PublicKeyBytes(key));
        var (taskId, worker) = await RequesterDownloadTests.WinAsync(host, async () => (await host.Admin.SubmitDealAsync(new() { Deal = deal })).DealId, agreed);
        await using var workerSession = worker;

        // The pool cannot read a ciphertext, so a lying winner can store another plaintext: the requester's check is what catches it.
        await ResultUploads.UploadAsync(host.Workers, worker, taskId, Ecies.Encrypt(Secp256k1.PublicKeyBytes(key), RandomNumberGenerator.GetBytes(10_000)), ResultPrivacy.EciesLabel);
        var output = Path.Combine(_dir, "forged.tar");
        var (code, _, stderr) = await RunAsync("result", "get", taskId, "--api", Api, "--key", keyFile, "--out", output);
        Assert.Equal(1, code);
        Assert.Contains("not the task's consensus digest", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_tee_deal_without_a_key_is_refused_naming_the_rule_and_a_bad_key_is_bad_input()
    {
        var (code, _, stderr) = await RunAsync("deal", "submit", "--api", Api, "--tee", "Sgx", "--tasks", "1");
        Assert.Equal(1, code);
        Assert.Contains("a TEE deal needs a beneficiaryKey", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync("deal", "submit", "--api", Api, "--beneficiary-key", "0x" + new string('1', 128));
        Assert.Equal(2, code);
        Assert.Contains("--beneficiary-key", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> SubmitAsync(JsonElement keygen)
    {
        var (code, stdout, stderr) = await RunAsync("deal", "submit", "--api", Api, "--tasks", "1",
            "--requester", keygen.GetProperty("address").GetString()!, "--beneficiary-key", keygen.GetProperty("publicKey").GetString()!);
        Assert.True(code == 0, stderr);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("dealId").GetString()!;
    }

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
        => BuiltCli.RunAsync(args, new Dictionary<string, string> { ["ORCHESTRATOR_ADMIN_TOKEN"] = ApiHost.Token });
}
