using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Orchestrator.Grains.Secrets;

namespace Orchestrator.Grains.Tests.Secrets;

public sealed class SecretEnvelopeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orch-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SecretEnvelope Envelope(SecretsOptions options) => new(new MasterKeyRing(Options.Create(options)));

    private static SecretsOptions TwoKeys(string active, byte[] k1, byte[] k2) => new()
    {
        MasterKeys = { ["k1"] = Convert.ToBase64String(k1), ["k2"] = Convert.ToBase64String(k2) },
        ActiveKeyId = active,
    };

    [Fact]
    public void A_sealed_value_opens_only_in_its_own_slot_and_records_its_master_key()
    {
        var envelope = Envelope(TwoKeys("k1", RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32)));
        var value = RandomNumberGenerator.GetBytes(48);
        var sealedSecret = envelope.Seal(value, "dataset/0xabc/key");
        Assert.Equal("k1", sealedSecret.MasterKeyId);
        Assert.DoesNotContain(Convert.ToHexString(value), Convert.ToHexString(sealedSecret.Ciphertext), StringComparison.Ordinal);
        Assert.Equal(value, envelope.Open(sealedSecret, "dataset/0xabc/key"));
        Assert.Throws<CryptographicException>(() => envelope.Open(sealedSecret, "dataset/0xdef/key"));

        var altered = sealedSecret with { Ciphertext = (byte[])sealedSecret.Ciphertext.Clone() };
        altered.Ciphertext[^1] ^= 1;
        Assert.Throws<CryptographicException>(() => envelope.Open(altered, "dataset/0xabc/key"));
        Assert.Throws<CryptographicException>(() => envelope.Open(sealedSecret with { MasterKeyId = "k2" }, "dataset/0xabc/key"));
        Assert.Contains("'k9' is not configured", Assert.Throws<CryptographicException>(() => envelope.Open(sealedSecret with { MasterKeyId = "k9" }, "dataset/0xabc/key")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rotation_rewraps_the_data_key_under_the_new_master_key_and_the_old_key_can_then_retire()
    {
        var k1 = RandomNumberGenerator.GetBytes(32);
        var k2 = RandomNumberGenerator.GetBytes(32);
        var value = "dataset key"u8.ToArray();
        var old = Envelope(TwoKeys("k1", k1, k2)).Seal(value, "slot");

        var rotated = Envelope(TwoKeys("k2", k1, k2)).Rewrap(old, "slot");
        Assert.Equal("k2", rotated.MasterKeyId);
        Assert.Equal(old.Ciphertext, rotated.Ciphertext); // only the data key is re-wrapped

        var retired = Envelope(new SecretsOptions { MasterKeys = { ["k2"] = Convert.ToBase64String(k2) } });
        Assert.Equal(value, retired.Open(rotated, "slot"));
        Assert.Throws<CryptographicException>(() => retired.Open(old, "slot"));
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
