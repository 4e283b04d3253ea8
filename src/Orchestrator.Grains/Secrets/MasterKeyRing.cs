using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Grains.Secrets;

/// <summary>The master keys of the silo, loaded once from <see cref="SecretsOptions"/>; fails with a message naming the keys to set.</summary>
public sealed class MasterKeyRing : IMasterKeys
{
    private readonly Lazy<(string ActiveId, Dictionary<string, byte[]> Keys)> _keys;

    /// <summary>Creates the ring (keys load at first use, so a silo without TEE work needs none).</summary>
    public MasterKeyRing(IOptions<SecretsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = new(() => Load(options.Value), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The id of the key that wraps new secrets.</summary>
    public string ActiveKeyId => _keys.Value.ActiveId;

    /// <summary>The active key.</summary>
    public byte[] Active => _keys.Value.Keys[ActiveKeyId];

    /// <summary>A key by id; throws <see cref="CryptographicException"/> when it is not configured (retired too early).</summary>
    public byte[] Get(string keyId) => _keys.Value.Keys.TryGetValue(keyId, out var key) ? key
        : throw new CryptographicException($"master key '{keyId}' is not configured (Orchestrator:Secrets:MasterKeys:{keyId}); it wrapped secrets that are still stored");

    /// <summary>Reads the keys; the rules, so tests can check them without a silo.</summary>
    public static (string ActiveId, Dictionary<string, byte[]> Keys) Load(SecretsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, text) in options.MasterKeys)
        {
            keys[id] = Decode(text.Trim(), $"Orchestrator:Secrets:MasterKeys:{id}");
        }

        if (!string.IsNullOrWhiteSpace(options.MasterKeyDirectory))
        {
            if (!Directory.Exists(options.MasterKeyDirectory))
            {
                throw new InvalidOperationException($"Orchestrator:Secrets:MasterKeyDirectory '{options.MasterKeyDirectory}' does not exist");
            }

            foreach (var file in Directory.EnumerateFiles(options.MasterKeyDirectory).Where(f => !Path.GetFileName(f).StartsWith('.')))
            {
                var bytes = File.ReadAllBytes(file);
                keys[Path.GetFileName(file)] = bytes.Length == 32 ? bytes : Decode(System.Text.Encoding.UTF8.GetString(bytes).Trim(), file);
            }
        }

        if (keys.Count == 0)
        {
            if (!options.AllowEphemeralMasterKey)
            {
                throw new InvalidOperationException(
                    "the secret service has no master key: set Orchestrator:Secrets:MasterKeys:<id> to the base64 of 32 random bytes (e.g. `openssl rand -base64 32`) " +
                    "or mount a Kubernetes secret and set Orchestrator:Secrets:MasterKeyDirectory");
            }

            keys["ephemeral"] = RandomNumberGenerator.GetBytes(32);
        }

        var active = options.ActiveKeyId ?? keys.Keys.Order(StringComparer.Ordinal).Last();
        if (!keys.ContainsKey(active))
        {
            throw new InvalidOperationException($"Orchestrator:Secrets:ActiveKeyId '{active}' is not among the configured keys ({string.Join(", ", keys.Keys)})");
        }

        return (active, keys);
    }

    private static byte[] Decode(string base64, string where)
    {
        byte[] key;
        try
        {
            key = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{where} is not base64");
        }

        return key.Length == 32 ? key : throw new InvalidOperationException($"{where} must be 32 bytes (AES-256), got {key.Length}");
    }
}
