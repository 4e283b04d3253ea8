using Orchestrator.Domain.Crypto;

namespace Orchestrator.Worker.Configuration;

/// <summary>
/// The worker's secp256k1 key and address. The key never leaves this object: it signs, and its
/// <see cref="ToString"/> shows only the address, so logging the identity cannot leak it.
/// </summary>
public sealed class WorkerIdentity
{
    private readonly byte[] _key;

    private WorkerIdentity(byte[] key)
    {
        _key = key;
        Address = Secp256k1.AddressOf(key);
    }

    /// <summary>The worker's Ethereum address.</summary>
    public Address Address { get; }

    /// <summary>An identity from a raw 32-byte key (tests, tools).</summary>
    public static WorkerIdentity FromKey(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length != 32) throw new ArgumentException("a secp256k1 private key is 32 bytes", nameof(key));
        return new WorkerIdentity((byte[])key.Clone());
    }

    /// <summary>Loads the key from <see cref="WorkerOptions.PrivateKey"/> or <see cref="WorkerOptions.PrivateKeyFile"/>.</summary>
    public static bool TryLoad(WorkerOptions options, out WorkerIdentity? identity, out string error)
    {
        ArgumentNullException.ThrowIfNull(options);
        identity = null;
        string text;
        string source;
        if (!string.IsNullOrWhiteSpace(options.PrivateKeyFile))
        {
            source = $"{WorkerOptions.Section}:PrivateKeyFile ({options.PrivateKeyFile})";
            try
            {
                text = File.ReadAllText(options.PrivateKeyFile).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = $"{source} cannot be read: {ex.Message}";
                return false;
            }
        }
        else
        {
            source = $"{WorkerOptions.Section}:PrivateKey";
            text = (options.PrivateKey ?? string.Empty).Trim();
        }

        if (!Hex.TryDecode(text, out var bytes, out _) || bytes.Length != 32)
        {
            error = $"{source} must be a 32-byte secp256k1 private key as 0x + 64 hex digits";
            return false;
        }

        var scalar = new System.Numerics.BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var order = new System.Numerics.BigInteger(Secp256k1.N.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);
        if (scalar.IsZero || scalar >= order)
        {
            error = $"{source} is not a valid secp256k1 private key (zero or not below the curve order)";
            return false;
        }

        identity = new WorkerIdentity(bytes);

        error = string.Empty;
        return true;
    }

    /// <summary>EIP-191 personal_sign of <paramref name="message"/>, as r ‖ s ‖ v (65 bytes).</summary>
    public byte[] SignPersonal(ReadOnlySpan<byte> message) => EthereumMessage.Sign(message, _key).ToBytes65();

    /// <inheritdoc />
    public override string ToString() => $"worker {Address}";
}
