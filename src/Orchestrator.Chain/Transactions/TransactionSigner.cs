using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Transactions;

/// <summary>Signs transactions with a private key (RFC 6979, low s) and returns the wire form.</summary>
public static class TransactionSigner
{
    /// <summary>Signs any supported transaction.</summary>
    public static SignedTransaction Sign(Transaction transaction, ReadOnlySpan<byte> privateKey)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var signingHash = TransactionEncoder.SigningHash(transaction);
        var signature = Secp256k1.Sign(signingHash.ToArray(), privateKey);
        var raw = TransactionEncoder.EncodeSigned(transaction, signature);
        return new SignedTransaction(
            transaction,
            TransactionEncoder.LegacyV(transaction, signature.RecoveryId),
            signature,
            raw,
            new Hash32(Keccak256.Hash(raw)),
            Secp256k1.AddressOf(privateKey));
    }

    /// <summary>Builds and signs an EIP-1559 transaction: the form the bridge sends.</summary>
    /// <param name="chainId">Chain id (31337 on Anvil).</param>
    /// <param name="nonce">The sender's next nonce.</param>
    /// <param name="maxPriorityFeePerGas">Tip per gas, in wei.</param>
    /// <param name="maxFeePerGas">Fee cap per gas, in wei.</param>
    /// <param name="gasLimit">Gas limit.</param>
    /// <param name="to">Recipient, or null to create a contract.</param>
    /// <param name="value">Wei to transfer.</param>
    /// <param name="data">Call data or init code.</param>
    /// <param name="privateKey">The sender's 32-byte private key.</param>
    /// <returns>The signed transaction; <see cref="SignedTransaction.Raw"/> and <see cref="SignedTransaction.Hash"/> are what callers need.</returns>
    public static SignedTransaction SignEip1559(
        BigInteger chainId,
        BigInteger nonce,
        BigInteger maxPriorityFeePerGas,
        BigInteger maxFeePerGas,
        BigInteger gasLimit,
        Address? to,
        BigInteger value,
        ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> privateKey)
    {
        if (maxPriorityFeePerGas > maxFeePerGas)
        {
            throw new ArgumentException("maxPriorityFeePerGas cannot exceed maxFeePerGas", nameof(maxPriorityFeePerGas));
        }

        return Sign(
            new Transaction
            {
                Type = TransactionType.DynamicFee,
                ChainId = chainId,
                Nonce = nonce,
                MaxPriorityFeePerGas = maxPriorityFeePerGas,
                MaxFeePerGas = maxFeePerGas,
                GasLimit = gasLimit,
                To = to,
                Value = value,
                Data = data.ToArray(),
            },
            privateKey);
    }
}
