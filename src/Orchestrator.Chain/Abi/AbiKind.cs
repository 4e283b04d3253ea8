namespace Orchestrator.Chain.Abi;

/// <summary>The Solidity ABI type families.</summary>
public enum AbiKind
{
    /// <summary>uintN, N = 8…256 in steps of 8.</summary>
    UInt,

    /// <summary>intN (two's complement), N = 8…256 in steps of 8.</summary>
    Int,

    /// <summary>address (20 bytes).</summary>
    Address,

    /// <summary>bool.</summary>
    Bool,

    /// <summary>bytesN, N = 1…32.</summary>
    FixedBytes,

    /// <summary>bytes (dynamic).</summary>
    Bytes,

    /// <summary>string (dynamic, UTF-8).</summary>
    String,

    /// <summary>T[] (dynamic length).</summary>
    Array,

    /// <summary>T[k].</summary>
    FixedArray,

    /// <summary>(T1,…,Tn).</summary>
    Tuple,
}
