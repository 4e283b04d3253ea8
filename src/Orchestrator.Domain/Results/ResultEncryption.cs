using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Domain.Results;

/// <summary>
/// Seals a file for the deal's beneficiary before it leaves the worker: ECIES on secp256k1 with
/// AES-256-GCM (<see cref="Ecies"/>, the format `orchestrator result encrypt` writes), labelled
/// <see cref="ResultPrivacy.EciesLabel"/>. The consensus digest stays that of the plaintext (every
/// replica's ciphertext differs: fresh ephemeral key and nonce); only the beneficiary can check it.
/// </summary>
public static class ResultEncryption
{
    /// <summary>
    /// Writes <paramref name="plainPath"/> encrypted for <paramref name="beneficiaryKey"/> to
    /// <c>plainPath + ".ecies"</c> and returns that path. One AES-GCM message: the file is read whole,
    /// which the pool's result size cap bounds.
    /// </summary>
    public static string EncryptFile(string plainPath, ReadOnlySpan<byte> beneficiaryKey)
    {
        var sealedPath = plainPath + ".ecies";
        var temporary = sealedPath + ".tmp";
        File.WriteAllBytes(temporary, Ecies.Encrypt(beneficiaryKey, File.ReadAllBytes(plainPath)));
        File.Move(temporary, sealedPath, overwrite: true);
        return sealedPath;
    }
}
