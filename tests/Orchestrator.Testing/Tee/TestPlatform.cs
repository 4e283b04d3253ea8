using System.Collections.Immutable;

namespace Orchestrator.Testing.Tee;

/// <summary>The platform a test PCK certificate describes (what Intel's PCK certificate's SGX extension carries).</summary>
public sealed record TestPlatform
{
    /// <summary>FMSPC (6 bytes): selects the TCB info; test platforms use a family no Intel part has.</summary>
    public ImmutableArray<byte> Fmspc { get; init; } = [0x7E, 0x57, 0x00, 0x00, 0x00, 0x01];

    /// <summary>PCE id (2 bytes).</summary>
    public ImmutableArray<byte> PceId { get; init; } = [0x00, 0x00];

    /// <summary>CPUSVN, also used as the 16 SGX TCB component SVNs (each below 255, so a newer level can exist).</summary>
    public ImmutableArray<byte> CpuSvn { get; init; } = [.. Enumerable.Repeat((byte)4, 16)];

    /// <summary>PCE SVN.</summary>
    public int PceSvn { get; init; } = 13;

    /// <summary>PPID (16 bytes).</summary>
    public ImmutableArray<byte> Ppid { get; init; } = [.. Enumerable.Repeat((byte)0x5A, 16)];

    /// <summary>FMSPC in upper-case hex, as collateral file names use it.</summary>
    public string FmspcHex => Convert.ToHexString(Fmspc.AsSpan());
}

/// <summary>What an SGX test enclave measures: its identity as the app policy sees it.</summary>
public sealed record TestEnclave
{
    /// <summary>MRENCLAVE (32 bytes).</summary>
    public ImmutableArray<byte> MrEnclave { get; init; } = [.. Enumerable.Repeat((byte)0xE1, 32)];

    /// <summary>MRSIGNER (32 bytes).</summary>
    public ImmutableArray<byte> MrSigner { get; init; } = [.. Enumerable.Repeat((byte)0x51, 32)];

    /// <summary>ISVPRODID.</summary>
    public ushort IsvProdId { get; init; } = 1;

    /// <summary>ISVSVN.</summary>
    public ushort IsvSvn { get; init; } = 1;

    /// <summary>ATTRIBUTES.DEBUG.</summary>
    public bool Debug { get; init; }
}

/// <summary>What a TDX test TD measures.</summary>
public sealed record TestTd
{
    /// <summary>MRTD (48 bytes).</summary>
    public ImmutableArray<byte> MrTd { get; init; } = [.. Enumerable.Repeat((byte)0x7D, 48)];

    /// <summary>RTMR0..3 (48 bytes each).</summary>
    public ImmutableArray<ImmutableArray<byte>> Rtmrs { get; init; } = [.. Enumerable.Range(0, 4).Select(i => ImmutableArray.Create(Enumerable.Repeat((byte)(0xA0 + i), 48).ToArray()))];

    /// <summary>MRCONFIGID (48 bytes; zero when unused).</summary>
    public ImmutableArray<byte> MrConfigId { get; init; } = [.. new byte[48]];

    /// <summary>TDATTRIBUTES.DEBUG.</summary>
    public bool Debug { get; init; }
}
