using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Deals;

/// <summary>The kind of trusted execution a task needs or a worker offers.</summary>
public enum TeeKind
{
    /// <summary>No TEE.</summary>
    None = 0,

    /// <summary>Intel SGX (Scone or Gramine framework).</summary>
    Sgx = 1,

    /// <summary>Intel TDX confidential VM.</summary>
    Tdx = 2,
}

/// <summary>The TEE bits of a deal's 32-byte tag (low bits): 0x1 TEE, 0x2 SGX/Scone, 0x4 SGX/Gramine, 0x8 TDX.</summary>
public readonly record struct TeeTag(uint Bits)
{
    /// <summary>TEE required.</summary>
    public const uint Tee = 0x1;

    /// <summary>SGX with the Scone framework.</summary>
    public const uint Scone = 0x2;

    /// <summary>SGX with the Gramine framework.</summary>
    public const uint Gramine = 0x4;

    /// <summary>TDX.</summary>
    public const uint Tdx = 0x8;

    private const uint KnownBits = Tee | Scone | Gramine | Tdx;

    /// <summary>No TEE.</summary>
    public static TeeTag NoTee => new(0);

    /// <summary>True when the deal requires a TEE.</summary>
    public bool RequiresTee => (Bits & Tee) != 0;

    /// <summary>The TEE kind the tag requires.</summary>
    public TeeKind Kind => (Bits & Tdx) != 0 ? TeeKind.Tdx : (Bits & (Scone | Gramine)) != 0 ? TeeKind.Sgx : TeeKind.None;

    /// <summary>Valid deal tags are 0 (no TEE) and exactly 0x3, 0x5, 0x9.</summary>
    public bool IsValidDealTag => Bits is 0 or (Tee | Scone) or (Tee | Gramine) or (Tee | Tdx);

    /// <summary>A deal's tag must be a subset of what the worker offers.</summary>
    public bool IsSatisfiedBy(TeeTag offered) => (Bits & ~offered.Bits) == 0;

    /// <summary>Reads the low bits of a 32-byte tag; other set bits make it invalid for TEE matching.</summary>
    public static bool TryFromBytes32(Hash32 tag, out TeeTag teeTag, out string error)
    {
        var bytes = tag.ToArray();
        teeTag = default;
        if (bytes.AsSpan(0, 28).IndexOfAnyExcept((byte)0) >= 0)
        {
            error = "the tag has bits set beyond the TEE bits this pool understands";
            return false;
        }

        var bits = (uint)((bytes[28] << 24) | (bytes[29] << 16) | (bytes[30] << 8) | bytes[31]);
        if ((bits & ~KnownBits) != 0)
        {
            error = $"the tag 0x{bits:x} has unknown bits";
            return false;
        }

        teeTag = new TeeTag(bits);
        error = string.Empty;
        return true;
    }

    /// <summary>The tag a worker of the given kind offers.</summary>
    public static TeeTag Offered(TeeKind kind) => kind switch
    {
        TeeKind.Sgx => new TeeTag(Tee | Scone | Gramine),
        TeeKind.Tdx => new TeeTag(Tee | Tdx),
        _ => NoTee,
    };

    /// <inheritdoc />
    public override string ToString() => $"0x{Bits:x}";
}
