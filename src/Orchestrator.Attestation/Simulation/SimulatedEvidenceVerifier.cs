using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Orchestrator.Attestation.Pki;
using Orchestrator.Attestation.Quotes;
using Orchestrator.Attestation.Verification;

namespace Orchestrator.Attestation.Simulation;

/// <summary>
/// Verifies <see cref="SimulatedEvidence"/>: structure, the software signature, optionally that the
/// signer is one of the pinned keys, and that it was not issued after the instant. The result has
/// the same shape as a DCAP result, with <c>Simulated = true</c> and status <c>UpToDate</c>
/// (there is no TCB to judge). Never throws for bad input.
/// </summary>
public sealed class SimulatedEvidenceVerifier
{
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);
    private readonly HashSet<string>? _trustedSigners;

    /// <summary>
    /// Creates the verifier. With <paramref name="trustedSignerPublicKeysHex"/> (raw x‖y hex), only
    /// evidence signed by those keys verifies; without, any self-consistent evidence does (the
    /// policy's AllowSimulated still decides whether simulation is acceptable at all).
    /// </summary>
    public SimulatedEvidenceVerifier(IEnumerable<string>? trustedSignerPublicKeysHex = null) =>
        _trustedSigners = trustedSignerPublicKeysHex?.Select(k => k.Trim().ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);

    /// <summary>Verifies simulated evidence at an instant.</summary>
    public QuoteVerificationResult Verify(ReadOnlySpan<byte> evidence, DateTimeOffset at)
    {
        try
        {
            return VerifyOrThrow(evidence.ToArray(), at);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or CryptographicException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            return Invalid($"simulated evidence cannot be decoded: {ex.Message}", at);
        }
    }

    private QuoteVerificationResult VerifyOrThrow(byte[] evidence, DateTimeOffset at)
    {
        var magicLength = SimulatedEvidence.Magic.Length;
        if (!SimulatedEvidence.IsSimulated(evidence) || evidence.Length < magicLength + 4 + 64)
        {
            return Invalid("not simulated evidence, or truncated", at);
        }

        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(evidence.AsSpan(magicLength));
        if (payloadLength != (uint)(evidence.Length - magicLength - 4 - 64))
        {
            return Invalid("simulated evidence length does not match its payload length", at);
        }

        var signedLength = magicLength + 4 + (int)payloadLength;
        using var document = JsonDocument.Parse(evidence.AsMemory(magicLength + 4, (int)payloadLength));
        var p = document.RootElement;
        var publicKeyHex = p.GetProperty("signerPublicKey").GetString()!;
        using (var key = EcdsaP256.ImportRawPublicKey(Convert.FromHexString(publicKeyHex)))
        {
            if (!EcdsaP256.VerifyRaw(key, evidence.AsSpan(0, signedLength), evidence.AsSpan(signedLength)))
            {
                return Invalid("simulated evidence signature does not verify", at);
            }
        }

        if (_trustedSigners is not null && !_trustedSigners.Contains(publicKeyHex.ToLowerInvariant()))
        {
            return Invalid("simulated evidence is signed by a key that is not trusted", at);
        }

        var issuedAt = DateTimeOffset.Parse(p.GetProperty("issuedAt").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        if (issuedAt > at + Skew)
        {
            return Invalid($"simulated evidence is issued {issuedAt:O}, after the evaluation instant {at:O}", at);
        }

        var tee = p.GetProperty("teeType").GetString() switch
        {
            "SGX" => TeeType.Sgx,
            "TDX" => TeeType.Tdx,
            var other => throw new FormatException($"unknown teeType '{other}'"),
        };
        var reportData = Bytes(p, "reportData", 64);
        var debug = p.GetProperty("debug").GetBoolean();
        return new QuoteVerificationResult
        {
            Status = TcbStatus.UpToDate,
            TeeType = tee,
            Simulated = true,
            EvaluatedAt = at,
            Enclave = tee == TeeType.Sgx ? SgxReport(p, reportData, debug) : null,
            TdReport = tee == TeeType.Tdx ? TdReport(p, reportData, debug) : null,
        };
    }

    private static EnclaveReportBody SgxReport(JsonElement p, byte[] reportData, bool debug)
    {
        var attributes = new byte[16];
        attributes[0] = (byte)(debug ? 0x07 : 0x05); // INIT | MODE64BIT (| DEBUG), as real enclaves report
        return new EnclaveReportBody
        {
            CpuSvn = [.. new byte[16]],
            MiscSelect = 0,
            Attributes = [.. attributes],
            MrEnclave = [.. Bytes(p, "mrEnclave", 32)],
            MrSigner = [.. Bytes(p, "mrSigner", 32)],
            IsvProdId = p.GetProperty("isvProdId").GetUInt16(),
            IsvSvn = p.GetProperty("isvSvn").GetUInt16(),
            ReportData = [.. reportData],
        };
    }

    private static TdReportBody TdReport(JsonElement p, byte[] reportData, bool debug)
    {
        var zero8 = ImmutableArray.Create(new byte[8]);
        var zero48 = ImmutableArray.Create(new byte[48]);
        var attributes = new byte[8];
        attributes[0] = (byte)(debug ? 0x01 : 0x00);
        return new TdReportBody
        {
            IsVersion15 = false,
            TeeTcbSvn = [.. new byte[16]],
            MrSeam = zero48,
            MrSignerSeam = zero48,
            SeamAttributes = zero8,
            TdAttributes = [.. attributes],
            Xfam = zero8,
            MrTd = [.. Bytes(p, "mrTd", 48)],
            MrConfigId = zero48,
            MrOwner = zero48,
            MrOwnerConfig = zero48,
            Rtmrs = [.. Enumerable.Range(0, 4).Select(i => ImmutableArray.Create(Bytes(p, $"rtmr{i}", 48)))],
            ReportData = [.. reportData],
        };
    }

    private static byte[] Bytes(JsonElement p, string name, int length)
    {
        var bytes = Convert.FromHexString(p.GetProperty(name).GetString()!);
        return bytes.Length == length ? bytes : throw new FormatException($"{name} must be {length} bytes");
    }

    private static QuoteVerificationResult Invalid(string message, DateTimeOffset at) =>
        QuoteVerificationResult.Failed(VerificationFailureReason.SimulatedEvidenceInvalid, message, at) with { Simulated = true };
}
