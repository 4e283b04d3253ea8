using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace Orchestrator.Crypto.Tests;

/// <summary>System.Numerics.BigInteger helpers and the curve's constants.</summary>
internal static class Big
{
    public static readonly BigInteger P = BigInteger.Pow(2, 256) - BigInteger.Pow(2, 32) - 977;
    public static readonly BigInteger N = Hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
    public static readonly BigInteger Two256 = BigInteger.Pow(2, 256);

    public static BigInteger Hex(string hex) =>
        BigInteger.Parse("0" + (hex.StartsWith("0x", StringComparison.Ordinal) ? hex[2..] : hex), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public static BigInteger Mod(BigInteger a, BigInteger m)
    {
        var r = a % m;
        return r.Sign < 0 ? r + m : r;
    }

    public static byte[] To32(BigInteger v)
    {
        var b = new byte[32];
        _ = v.TryWriteBytes(b.AsSpan(32 - v.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return b;
    }

    public static BigInteger RandomBelow(Random rng, BigInteger bound)
    {
        var bytes = new byte[33];
        rng.NextBytes(bytes);
        return Mod(new BigInteger(bytes, isUnsigned: true), bound);
    }

    /// <summary>Values around every boundary the representations have: 0, 1, p, n, 2^255, 2^256 and the limb edges.</summary>
    public static IEnumerable<BigInteger> EdgeValues()
    {
        BigInteger[] anchors = [0, P, N, BigInteger.Pow(2, 255), Two256 - 1, BigInteger.Pow(2, 64), BigInteger.Pow(2, 128), BigInteger.Pow(2, 192), N / 2, 0x1000003D1];
        foreach (var a in anchors)
        {
            for (var d = -2; d <= 2; d++)
            {
                var v = a + d;
                if (v.Sign >= 0 && v < Two256)
                {
                    yield return v;
                }
            }
        }
    }
}

/// <summary>Locates shared/chain-vectors: ORCHESTRATOR_SHARED_DIR (the shared folder or chain-vectors itself), else walks up.</summary>
internal static class ChainVectors
{
    private static readonly Lazy<string> Folder = new(Locate);

    public static JsonElement Load(string relative)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder.Value, relative)));
        return document.RootElement.Clone();
    }

    private static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable("ORCHESTRATOR_SHARED_DIR");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            foreach (var candidate in new[] { Path.Combine(fromEnv, "chain-vectors"), fromEnv })
            {
                if (Directory.Exists(Path.Combine(candidate, "ethers-v6")))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"ORCHESTRATOR_SHARED_DIR={fromEnv} holds no chain-vectors folder");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "chain-vectors");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("shared/chain-vectors not found above " + AppContext.BaseDirectory + "; set ORCHESTRATOR_SHARED_DIR");
    }
}
