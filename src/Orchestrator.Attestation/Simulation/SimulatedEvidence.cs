using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Attestation.Simulation;

/// <summary>The claims a simulated TEE makes: the same measurements and REPORTDATA a real quote carries.</summary>
public sealed record SimulatedEvidenceClaims
{
    /// <summary>SGX or TDX.</summary>
    public required TeeType Tee { get; init; }

    /// <summary>REPORTDATA (64 bytes).</summary>
    public required ImmutableArray<byte> ReportData { get; init; }

    /// <summary>SGX MRENCLAVE (32 bytes; zero when not given).</summary>
    public ImmutableArray<byte> MrEnclave { get; init; } = ImmutableArray.Create(new byte[32]);

    /// <summary>SGX MRSIGNER (32 bytes; zero when not given).</summary>
    public ImmutableArray<byte> MrSigner { get; init; } = ImmutableArray.Create(new byte[32]);

    /// <summary>SGX ISV product id.</summary>
    public ushort IsvProdId { get; init; }

    /// <summary>SGX ISV SVN.</summary>
    public ushort IsvSvn { get; init; }

    /// <summary>TDX MRTD (48 bytes; zero when not given).</summary>
    public ImmutableArray<byte> MrTd { get; init; } = ImmutableArray.Create(new byte[48]);

    /// <summary>TDX RTMR0..3 (48 bytes each; zero when not given).</summary>
    public ImmutableArray<ImmutableArray<byte>> Rtmrs { get; init; } = [.. Enumerable.Range(0, 4).Select(_ => ImmutableArray.Create(new byte[48]))];

    /// <summary>Whether the simulated enclave / TD claims debug mode.</summary>
    public bool Debug { get; init; }
}

/// <summary>
/// A clearly labelled simulated evidence format for development pools without TEE hardware:
/// ASCII magic <c>ORCH-SIMULATED-TEE-v1</c> ‖ u32 LE payload length ‖ UTF-8 JSON payload ‖
/// 64-byte ECDSA P-256 signature (r‖s) over everything before it, by a software key whose raw public
/// key (x‖y hex) is in the payload. It proves nothing about hardware; results are marked
/// <c>Simulated</c> and policies refuse them unless they allow simulation.
/// </summary>
public static class SimulatedEvidence
{
    /// <summary>The ASCII magic every simulated evidence blob starts with.</summary>
    public const string Magic = "ORCH-SIMULATED-TEE-v1";

    private static readonly byte[] MagicBytes = Encoding.ASCII.GetBytes(Magic);

    /// <summary>True when the bytes start with the simulated-evidence magic.</summary>
    public static bool IsSimulated(ReadOnlySpan<byte> evidence) => evidence.StartsWith(MagicBytes);

    /// <summary>Creates signed simulated evidence with a P-256 software key.</summary>
    public static byte[] Create(SimulatedEvidenceClaims claims, ECDsa signingKey, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentNullException.ThrowIfNull(signingKey);
        if (claims.ReportData.Length != 64)
        {
            throw new ArgumentException("REPORTDATA must be 64 bytes", nameof(claims));
        }

        var payload = Encoding.UTF8.GetBytes(PayloadJson(claims, RawPublicKey(signingKey), issuedAt));
        var signed = new byte[MagicBytes.Length + 4 + payload.Length];
        MagicBytes.CopyTo(signed, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(signed.AsSpan(MagicBytes.Length), (uint)payload.Length);
        payload.CopyTo(signed, MagicBytes.Length + 4);
        var signature = signingKey.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return [.. signed, .. signature];
    }

    /// <summary>The raw public key (x‖y, 64 bytes) of a P-256 key, as recorded in simulated evidence.</summary>
    public static byte[] RawPublicKey(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var p = key.ExportParameters(false);
        if (p.Q.X is not { Length: 32 } || p.Q.Y is not { Length: 32 })
        {
            throw new ArgumentException("simulated evidence is signed with P-256 keys", nameof(key));
        }

        return [.. p.Q.X, .. p.Q.Y];
    }

    private static string PayloadJson(SimulatedEvidenceClaims c, byte[] publicKey, DateTimeOffset issuedAt)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("format", Magic);
            w.WriteString("teeType", c.Tee == TeeType.Sgx ? "SGX" : "TDX");
            w.WriteString("issuedAt", issuedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("signerPublicKey", Convert.ToHexStringLower(publicKey));
            w.WriteString("reportData", Hex(c.ReportData));
            w.WriteBoolean("debug", c.Debug);
            if (c.Tee == TeeType.Sgx)
            {
                w.WriteString("mrEnclave", Hex(c.MrEnclave));
                w.WriteString("mrSigner", Hex(c.MrSigner));
                w.WriteNumber("isvProdId", c.IsvProdId);
                w.WriteNumber("isvSvn", c.IsvSvn);
            }
            else
            {
                w.WriteString("mrTd", Hex(c.MrTd));
                for (var i = 0; i < 4; i++)
                {
                    w.WriteString($"rtmr{i}", Hex(c.Rtmrs[i]));
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Hex(ImmutableArray<byte> b) => Convert.ToHexStringLower(b.AsSpan());
}
