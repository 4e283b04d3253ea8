using Google.Protobuf;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Proto = Orchestrator.Api.Registry.V1;

namespace Orchestrator.Api.Registry;

/// <summary>
/// The owner's side of orchestrator.registry.v1: fills a request's <c>signed</c> part with a nonce, an
/// expiry and the EIP-712 signature under the pool's domain (from results.v1 GetSigningDomain), and
/// encrypts a pushed value to the push key. Used by the CLI and by tests, so they sign what the server verifies.
/// </summary>
public static class RegistrySigning
{
    /// <summary>Signs an app registration (the request's owner is set to the key's address when empty).</summary>
    public static Proto.RegisterAppRequest Sign(Proto.RegisterAppRequest request, ReadOnlySpan<byte> key, ulong chainId, Address pool, ulong expiry, ulong? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Owner.Length == 0) request.Owner = Secp256k1.AddressOf(key).ToLowerHex();
        request.Signed = new Proto.Signed { Expiry = expiry, Nonce = nonce ?? NewNonce() };
        request.Signed.Signature = SignatureOf(RegistryRequests.App(request), key, chainId, pool);
        return request;
    }

    /// <summary>Signs a dataset registration (the owner is set to the key's address when empty).</summary>
    public static Proto.RegisterDatasetRequest Sign(Proto.RegisterDatasetRequest request, ReadOnlySpan<byte> key, ulong chainId, Address pool, ulong expiry, ulong? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Owner.Length == 0) request.Owner = Secp256k1.AddressOf(key).ToLowerHex();
        request.Signed = new Proto.Signed { Expiry = expiry, Nonce = nonce ?? NewNonce() };
        request.Signed.Signature = SignatureOf(RegistryRequests.Dataset(request), key, chainId, pool);
        return request;
    }

    /// <summary>A signed push of <paramref name="value"/>, encrypted to <paramref name="pushKey"/> (64 bytes X ‖ Y).</summary>
    public static Proto.PushSecretRequest Push(
        Secrets.V1.Owner owner, string name, ReadOnlySpan<byte> value, ReadOnlySpan<byte> pushKey, ReadOnlySpan<byte> key, ulong chainId, Address pool, ulong expiry, ulong? nonce = null)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var request = new Proto.PushSecretRequest
        {
            Owner = owner,
            Name = name,
            EncryptedValue = ByteString.CopyFrom(Ecies.Encrypt(pushKey, value, SecretPush.EciesContext)),
            ValueHash = new Hash32(Keccak256.Hash(value)).ToString(),
            Signer = Secp256k1.AddressOf(key).ToLowerHex(),
            Signed = new Proto.Signed { Expiry = expiry, Nonce = nonce ?? NewNonce() },
        };
        request.Signed.Signature = SignatureOf(RegistryRequests.Push(request), key, chainId, pool);
        return request;
    }

    /// <summary>A signed read of an owner's secrets' names.</summary>
    public static Proto.OwnerQueryRequest ListSecrets(Secrets.V1.Owner owner, ReadOnlySpan<byte> key, ulong chainId, Address pool, ulong expiry)
    {
        var request = new Proto.OwnerQueryRequest { Owner = owner, Signer = Secp256k1.AddressOf(key).ToLowerHex(), Signed = new Proto.Signed { Expiry = expiry } };
        request.Signed.Signature = SignatureOf(RegistryRequests.Query(OwnerQuery.ListSecrets, request), key, chainId, pool);
        return request;
    }

    /// <summary>A signed read of an owner's secrets' audit trail.</summary>
    public static Proto.OwnerQueryRequest Audit(Secrets.V1.Owner owner, ReadOnlySpan<byte> key, ulong chainId, Address pool, ulong expiry)
    {
        var request = new Proto.OwnerQueryRequest { Owner = owner, Signer = Secp256k1.AddressOf(key).ToLowerHex(), Signed = new Proto.Signed { Expiry = expiry } };
        request.Signed.Signature = SignatureOf(RegistryRequests.Query(OwnerQuery.AuditSecrets, request), key, chainId, pool);
        return request;
    }

    private static ByteString SignatureOf(IOwnerSigned request, ReadOnlySpan<byte> key, ulong chainId, Address pool)
        => ByteString.CopyFrom(Secp256k1.Sign(request.SigningDigest(chainId, pool).ToArray(), key).ToBytes65());

    private static ulong NewNonce() => BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
}
