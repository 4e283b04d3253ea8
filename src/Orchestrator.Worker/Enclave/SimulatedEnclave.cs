using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Worker.Enclave;

/// <summary>
/// A software stand-in for an SGX enclave or TDX trust domain, for pools without TEE hardware (the
/// pool must allow simulated TEE explicitly). It proves nothing about hardware: its evidence is the
/// project's labelled <see cref="SimulatedEvidence"/> format (magic <c>ORCH-SIMULATED-TEE-v1</c>),
/// signed by a software "platform" key kept in the scratch directory so a pool can pin it.
/// <para>Each session gets a fresh secp256k1 session key pair; the evidence binds its public key and the
/// server's challenge in REPORTDATA (<see cref="ReportDataBinding"/>), so evidence cannot be replayed
/// for another session. For TEE tasks the enclave signs <c>keccak256(resultHash ‖ resultSeal)</c>
/// (EIP-191) with the task's enclave challenge key, which the secret service (orchestrator.secrets.v1
/// EnclaveSecrets) releases sealed to that session key only (<see cref="EnclaveSession"/> opens it).</para>
/// </summary>
public sealed class SimulatedEnclave : IDisposable
{
    /// <summary>The measurement simulated evidence reports (MRENCLAVE for SGX, MRTD for TDX): SHA-256/SHA-384 of this label.</summary>
    public const string MeasurementLabel = "orchestrator-worker simulated enclave v1";

    private readonly ECDsa _platformKey;
    private readonly TeeKind _tee;

    /// <summary>Creates the enclave with its platform key (loaded from, or created at, <paramref name="platformKeyPath"/>; null: ephemeral).</summary>
    public SimulatedEnclave(TeeKind tee, string? platformKeyPath)
    {
        if (tee == TeeKind.None)
        {
            throw new ArgumentException("a simulated enclave simulates SGX or TDX", nameof(tee));
        }

        _tee = tee;
        _platformKey = LoadOrCreate(platformKeyPath);
    }

    /// <summary>The platform key's raw public key (x‖y hex), what a pool pins to accept only this machine's simulated evidence.</summary>
    public string PlatformPublicKeyHex => Convert.ToHexStringLower(SimulatedEvidence.RawPublicKey(_platformKey));

    /// <summary>Opens a session: a fresh session key pair.</summary>
    public EnclaveSession OpenSession() => new(this);

    /// <summary>Evidence binding <paramref name="sessionPublicKey"/> and <paramref name="challenge"/>.</summary>
    internal byte[] Attest(ReadOnlySpan<byte> sessionPublicKey, ReadOnlySpan<byte> challenge, DateTimeOffset now)
    {
        var reportData = ReportDataBinding.Compute(sessionPublicKey, challenge);
        var label = Encoding.ASCII.GetBytes(MeasurementLabel);
        var claims = _tee == TeeKind.Sgx
            ? new SimulatedEvidenceClaims { Tee = TeeType.Sgx, ReportData = [.. reportData], MrEnclave = [.. SHA256.HashData(label)] }
            : new SimulatedEvidenceClaims
            {
                Tee = TeeType.Tdx,
                ReportData = [.. reportData],
                MrTd = [.. SHA384.HashData(label)],
                Rtmrs = [.. Enumerable.Range(0, 4).Select(_ => ImmutableArray.Create(new byte[48]))],
            };
        return SimulatedEvidence.Create(claims, _platformKey, now);
    }

    /// <summary>
    /// The enclave's signature of a TEE result: EIP-191 over <c>keccak256(resultHash ‖ resultSeal)</c>
    /// with the task's enclave challenge key (65 bytes r ‖ s ‖ v).
    /// </summary>
    public static byte[] SignResult(Hash32 resultHash, Hash32 resultSeal, ReadOnlySpan<byte> enclaveChallengeKey)
    {
        if (enclaveChallengeKey.Length != 32)
        {
            throw new ArgumentException("the enclave challenge key is a 32-byte secp256k1 key", nameof(enclaveChallengeKey));
        }

        return EthereumMessage.Sign(ProtocolIds.EnclaveMessage(resultHash, resultSeal).ToArray(), enclaveChallengeKey).ToBytes65();
    }

    /// <inheritdoc />
    public void Dispose() => _platformKey.Dispose();

    private static ECDsa LoadOrCreate(string? path)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (path is null)
        {
            return key;
        }

        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, key.ExportECPrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }
}
