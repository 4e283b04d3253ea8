using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Orchestrator.Grains.Secrets;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>The silo's master keys from configuration: the rules and the messages naming the key to set.</summary>
public sealed class MasterKeyRingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_key_retired_too_early_is_named_with_its_configuration_key()
    {
        var ring = new MasterKeyRing(Options.Create(new SecretsOptions { MasterKeys = { ["k1"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) } }));
        Assert.Equal("k1", ring.ActiveKeyId);
        var error = Assert.Throws<CryptographicException>(() => ring.Get("k9"));
        Assert.Contains("'k9' is not configured", error.Message, StringComparison.Ordinal);
        Assert.Contains("Orchestrator:Secrets:MasterKeys:k9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_load_from_a_kubernetes_secret_directory_and_bad_configuration_names_the_key()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        File.WriteAllText(Path.Combine(_dir, "2026-11"), Convert.ToBase64String(key) + "\n");
        File.WriteAllBytes(Path.Combine(_dir, "2026-12"), RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(Path.Combine(_dir, "..data"), "kubernetes bookkeeping");
        var (active, keys) = MasterKeyRing.Load(new SecretsOptions { MasterKeyDirectory = _dir });
        Assert.Equal("2026-12", active);
        Assert.Equal(key, keys["2026-11"]);
        Assert.Equal(2, keys.Count);

        Assert.Contains("Orchestrator:Secrets:MasterKeys", Assert.Throws<InvalidOperationException>(() => MasterKeyRing.Load(new SecretsOptions())).Message, StringComparison.Ordinal);
        Assert.Contains("32 bytes", Assert.Throws<InvalidOperationException>(() => MasterKeyRing.Load(new SecretsOptions { MasterKeys = { ["a"] = Convert.ToBase64String(new byte[16]) } })).Message, StringComparison.Ordinal);
        Assert.Contains("not base64", Assert.Throws<InvalidOperationException>(() => MasterKeyRing.Load(new SecretsOptions { MasterKeys = { ["a"] = "%%%" } })).Message, StringComparison.Ordinal);
        Assert.Contains("ActiveKeyId 'b'", Assert.Throws<InvalidOperationException>(() => MasterKeyRing.Load(new SecretsOptions { MasterKeys = { ["a"] = Convert.ToBase64String(key) }, ActiveKeyId = "b" })).Message, StringComparison.Ordinal);
        Assert.Equal("ephemeral", MasterKeyRing.Load(new SecretsOptions { AllowEphemeralMasterKey = true }).ActiveId);
    }
}
