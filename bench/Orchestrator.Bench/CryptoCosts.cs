using System.Diagnostics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bench;

/// <summary>
/// What each piece of the task path's cryptography costs on this machine, through the same calls the silo makes
/// (libsecp256k1 behind <see cref="Secp256k1"/>, <see cref="Ecies"/>): each warmed up, then timed over 500 runs.
/// </summary>
internal sealed record CryptoCosts(double SignUs, double RecoverUs, double EciesUs, double KeyPairUs)
{
    private const int Runs = 500;

    /// <summary>A TEE lifecycle's own: two recoveries, the enclave challenge's key pair, the secrets sealed to the enclave.</summary>
    public double TeeUs => 2 * RecoverUs + KeyPairUs + EciesUs;

    public static CryptoCosts Measure()
    {
        var key = Secp256k1.NewPrivateKey();
        var recipient = Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey());
        var hash = new byte[32];
        var secret = new byte[32];
        var signature = Secp256k1.Sign(hash, key);
        for (var i = 0; i < 3000; i++)
        {
            Secp256k1.TryRecoverAddress(hash, Secp256k1.Sign(hash, key), out _);
            Ecies.Encrypt(recipient, secret);
        }

        var sign = Time(i => { hash[0] = (byte)i; signature = Secp256k1.Sign(hash, key); });
        var recover = Time(i => Secp256k1.TryRecoverAddress(hash, signature, out _));
        var ecies = Time(i => Ecies.Encrypt(recipient, secret));
        var keyPair = Time(i => Secp256k1.PublicKeyBytes(Secp256k1.NewPrivateKey()));
        return new CryptoCosts(sign, recover, ecies, keyPair);
    }

    private static double Time(Action<int> run)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Runs; i++)
        {
            run(i);
        }

        return clock.Elapsed.TotalMicroseconds / Runs;
    }
}
