using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Tests.Crypto;

public sealed class EciesTests
{
    private static readonly byte[] Key = Secp256k1.NewPrivateKey();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    public void What_is_encrypted_for_a_public_key_decrypts_only_with_its_private_key(int length)
    {
        var plaintext = RandomNumberGenerator.GetBytes(length);
        var sealedData = Ecies.Encrypt(Secp256k1.PublicKeyBytes(Key), plaintext);
        Assert.Equal(Ecies.Overhead + length, sealedData.Length);
        Assert.Equal(plaintext, Ecies.Decrypt(Key, sealedData));
        Assert.Throws<CryptographicException>(() => Ecies.Decrypt(Secp256k1.NewPrivateKey(), sealedData));
    }

    [Fact]
    public void Two_encryptions_of_one_message_differ_and_the_65_byte_key_form_is_accepted()
    {
        var message = Encoding.UTF8.GetBytes("result.zip");
        byte[] prefixed = [0x04, .. Secp256k1.PublicKeyBytes(Key)];
        var a = Ecies.Encrypt(prefixed, message);
        var b = Ecies.Encrypt(prefixed, message);
        Assert.NotEqual(a, b);
        Assert.Equal(message, Ecies.Decrypt(Key, b));
    }

    [Fact]
    public void Altered_data_another_context_or_another_version_does_not_decrypt()
    {
        var context = "task-1"u8.ToArray();
        var sealedData = Ecies.Encrypt(Secp256k1.PublicKeyBytes(Key), "secret"u8, context);
        Assert.Equal("secret"u8.ToArray(), Ecies.Decrypt(Key, sealedData, context));
        Assert.Throws<CryptographicException>(() => Ecies.Decrypt(Key, sealedData, "task-2"u8));
        foreach (var index in new[] { 1, 70, 80, sealedData.Length - 1 })
        {
            var altered = (byte[])sealedData.Clone();
            altered[index] ^= 1;
            Assert.Throws<CryptographicException>(() => Ecies.Decrypt(Key, altered, context));
        }

        var versioned = (byte[])sealedData.Clone();
        versioned[0] = 2;
        Assert.Contains("version", Assert.Throws<CryptographicException>(() => Ecies.Decrypt(Key, versioned, context)).Message, StringComparison.Ordinal);
        Assert.Throws<CryptographicException>(() => Ecies.Decrypt(Key, sealedData.AsSpan(0, 20), context));
    }

    [Fact]
    public void A_key_that_is_not_a_curve_point_is_refused()
    {
        Assert.Throws<CryptographicException>(() => Ecies.Encrypt(new byte[64], "x"u8));
        Assert.Throws<CryptographicException>(() => Ecies.Encrypt(new byte[10], "x"u8));
    }

    [Fact]
    public void A_fetch_proof_verifies_only_for_its_key_worker_task_session_and_time()
    {
        var worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        var task = new Hash32(RandomNumberGenerator.GetBytes(32));
        var at = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
        var signature = SecretFetchProof.Sign(Key, worker, task, "s1", at);
        var publicKey = Secp256k1.PublicKeyBytes(Key);
        Assert.True(SecretFetchProof.Verify(publicKey, signature, worker, task, "s1", at));
        Assert.False(SecretFetchProof.Verify(publicKey, signature, worker, task, "s2", at));
        Assert.False(SecretFetchProof.Verify(publicKey, signature, worker, task, "s1", at.AddSeconds(1)));
        Assert.False(SecretFetchProof.Verify(publicKey, signature, Secp256k1.AddressOf(Key), task, "s1", at));
        Assert.False(SecretFetchProof.Verify(Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey()), signature, worker, task, "s1", at));
        Assert.False(SecretFetchProof.Verify(publicKey, signature.AsSpan(0, 64), worker, task, "s1", at));
    }
}
