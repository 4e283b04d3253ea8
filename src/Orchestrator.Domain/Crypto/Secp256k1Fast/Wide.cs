using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Orchestrator.Domain.Crypto.Secp256k1Fast;

/// <summary>
/// 256×256→512-bit products shared by the field (mod p) and scalar (mod n) arithmetic, as straight-line code.
/// <para>
/// Why it looks like this: <see cref="Math.BigMul(ulong, ulong, out ulong)"/> returns the low half through an
/// <c>out</c> local, which the JIT keeps in memory (a store and reload per product, measured at ~2× the cost of the
/// whole multiplication). Taking the high half from <c>mulx</c> (<see cref="Bmi2.X64.MultiplyNoFlags(ulong, ulong)"/>)
/// and the low half from a plain <c>imul</c> keeps everything in registers. Carries are comparisons, which the JIT
/// compiles to setb rather than branches. The code is emitted by a small generator (operand scanning), so the
/// pattern is uniform: each step adds a·b + carry into one limb, which cannot overflow 128 bits.
/// </para>
/// </summary>
internal static class Wide
{
    /// <summary>The high 64 bits of a·b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hi(ulong a, ulong b)
    {
        if (Bmi2.X64.IsSupported)
        {
            return Bmi2.X64.MultiplyNoFlags(a, b);
        }

        if (ArmBase.Arm64.IsSupported)
        {
            return ArmBase.Arm64.MultiplyHigh(a, b);
        }

        return Math.BigMul(a, b, out _);
    }
}
