using System.Globalization;
using System.Numerics;

namespace Orchestrator.Cli.Commands.Account;

/// <summary>
/// An amount of the chain's native currency as a user types it: whole wei (`1500`, `1500wei`) or
/// ether with up to 18 decimals (`0.25eth`, `1ether`). Never a float: `0.1eth` is exactly 10^17 wei.
/// </summary>
public static class WeiAmount
{
    private static readonly BigInteger WeiPerEther = BigInteger.Pow(10, 18);

    /// <summary>The amount in wei, or false with a one-line reason naming the rule.</summary>
    public static bool TryParse(string? text, out BigInteger wei, out string error)
    {
        wei = BigInteger.Zero;
        error = string.Empty;
        var t = (text ?? string.Empty).Trim().ToLowerInvariant();
        var ether = false;
        if (t.EndsWith("ether", StringComparison.Ordinal)) (t, ether) = (t[..^5], true);
        else if (t.EndsWith("eth", StringComparison.Ordinal)) (t, ether) = (t[..^3], true);
        else if (t.EndsWith("wei", StringComparison.Ordinal)) t = t[..^3];

        var parts = t.Split('.');
        if (t.Length == 0 || parts.Length > 2 || parts.Any(p => p.Length == 0 || !p.All(char.IsAsciiDigit)))
        {
            error = $"amount \"{text}\" is not a whole number of wei (1500, 1500wei) or of ether with up to 18 decimals (0.25eth)";
            return false;
        }

        if (parts.Length == 2 && !ether)
        {
            error = $"amount \"{text}\": wei has no fractions (write 0.25eth for ether)";
            return false;
        }

        if (parts.Length == 2 && parts[1].Length > 18)
        {
            error = $"amount \"{text}\": ether has at most 18 decimals (1 wei = 0.000000000000000001eth)";
            return false;
        }

        var whole = BigInteger.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture);
        var fraction = parts.Length == 2 ? BigInteger.Parse(parts[1].PadRight(18, '0'), NumberStyles.None, CultureInfo.InvariantCulture) : BigInteger.Zero;
        wei = ether ? (whole * WeiPerEther) + fraction : whole;
        if (wei.IsZero)
        {
            error = $"amount \"{text}\" is zero: nothing to move";
            return false;
        }

        return true;
    }
}
