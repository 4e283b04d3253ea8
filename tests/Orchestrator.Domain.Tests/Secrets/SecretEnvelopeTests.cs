using System.Security.Cryptography;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Domain.Tests.Secrets;

/// <summary>Envelope encryption over in-memory master keys: no silo, no configuration.</summary>
public sealed class SecretEnvelopeTests
{
    private sealed class Keys(string active, Dictionary<string, byte[]> keys) : IMasterKeys
    {
        public string ActiveKeyId => active;

        public byte[] Active => keys[active];

        public byte[] Get(string keyId) => keys.TryGetValue(keyId, out var key) ? key : throw new CryptographicException($"master key '{keyId}' is not configured");
    }

    private static SecretEnvelope TwoKeys(string active, byte[] k1, byte[] k2) => new(new Keys(active, new() { ["k1"] = k1, ["k2"] = k2 }));

    [Fact]
    public void A_sealed_value_opens_only_in_its_own_slot_and_records_its_master_key()
    {
        var envelope = TwoKeys("k1", RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        var value = RandomNumberGenerator.GetBytes(48);
        var sealedValue = envelope.Seal(value, "dataset/0xabc/key");
        Assert.Equal("k1", sealedValue.MasterKeyId);
        Assert.DoesNotContain(Convert.ToHexString(value), Convert.ToHexString(sealedValue.Ciphertext), StringComparison.Ordinal);
        Assert.Equal(value, envelope.Open(sealedValue, "dataset/0xabc/key"));
        Assert.Throws<CryptographicException>(() => envelope.Open(sealedValue, "dataset/0xdef/key"));

        var altered = sealedValue with { Ciphertext = (byte[])sealedValue.Ciphertext.Clone() };
        altered.Ciphertext[^1] ^= 1;
        Assert.Throws<CryptographicException>(() => envelope.Open(altered, "dataset/0xabc/key"));
        Assert.Throws<CryptographicException>(() => envelope.Open(sealedValue with { MasterKeyId = "k2" }, "dataset/0xabc/key"));
        Assert.Contains("truncated", Assert.Throws<CryptographicException>(() => envelope.Open(sealedValue with { Ciphertext = new byte[27] }, "dataset/0xabc/key")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rotation_rewraps_the_data_key_under_the_new_master_key_and_the_old_key_can_then_retire()
    {
        var k1 = RandomNumberGenerator.GetBytes(32);
        var k2 = RandomNumberGenerator.GetBytes(32);
        var value = "dataset key"u8.ToArray();
        var old = TwoKeys("k1", k1, k2).Seal(value, "slot");

        var current = TwoKeys("k2", k1, k2);
        var rotated = current.Rewrap(old, "slot");
        Assert.Equal("k2", rotated.MasterKeyId);
        Assert.Equal(old.Ciphertext, rotated.Ciphertext); // only the data key is re-wrapped
        Assert.Same(rotated, current.Rewrap(rotated, "slot")); // already under the active key: unchanged

        var retired = new SecretEnvelope(new Keys("k2", new() { ["k2"] = k2 }));
        Assert.Equal(value, retired.Open(rotated, "slot"));
        Assert.Throws<CryptographicException>(() => retired.Open(old, "slot"));
    }
}
