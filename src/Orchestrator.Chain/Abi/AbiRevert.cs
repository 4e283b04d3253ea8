using System.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Abi;

/// <summary>Reads Solidity revert data: <c>Error(string)</c> reasons and <c>Panic(uint256)</c> codes.</summary>
public static class AbiRevert
{
    private static readonly AbiFunction ErrorString = AbiFunction.Parse("Error(string)");
    private static readonly AbiFunction Panic = AbiFunction.Parse("Panic(uint256)");

    /// <summary>A readable reason for revert data, or false when it is a custom error or empty.</summary>
    public static bool TryDecodeReason(ReadOnlySpan<byte> revertData, out string reason)
    {
        reason = string.Empty;
        try
        {
            if (revertData.Length >= 4 && revertData[..4].SequenceEqual(ErrorString.Selector))
            {
                reason = (string)ErrorString.DecodeCall(revertData)[0]!;
                return true;
            }

            if (revertData.Length >= 4 && revertData[..4].SequenceEqual(Panic.Selector))
            {
                var code = (BigInteger)Panic.DecodeCall(revertData)[0]!;
                reason = $"panic 0x{code:x2}";
                return true;
            }
        }
        catch (AbiException)
        {
            reason = "malformed revert data " + Hex.Encode(revertData);
            return false;
        }

        return false;
    }
}
