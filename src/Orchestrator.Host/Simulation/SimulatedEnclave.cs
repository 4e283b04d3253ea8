using System.Collections.Immutable;
using System.Security.Cryptography;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;

namespace Orchestrator.Host.Simulation;

/// <summary>
/// The enclave side of a simulated TEE worker: a session key bound into simulated evidence with the
/// session's challenge, signed secret fetches, and the opening of what the secret service seals to it.
/// It goes through exactly the path real evidence takes; pools accept it only where simulation is allowed.
/// </summary>
public sealed class SimulatedEnclave : IDisposable
{
    /// <summary>The MRENCLAVE the demo's simulated enclaves report (and the demo app's policy accepts).</summary>
    public static readonly string DemoMrEnclave = Convert.ToHexStringLower(SHA256.HashData("orchestrator demo enclave v1"u8));

    private readonly ECDsa _evidenceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private byte[] _sessionKey = Secp256k1.NewPrivateKey();

    /// <summary>Creates an enclave reporting <paramref name="mrEnclave"/> (hex; default <see cref="DemoMrEnclave"/>) for a TEE kind.</summary>
    public SimulatedEnclave(TeeKind tee = TeeKind.Sgx, string? mrEnclave = null)
    {
        Tee = tee;
        MrEnclave = mrEnclave ?? DemoMrEnclave;
    }

    /// <summary>SGX or TDX.</summary>
    public TeeKind Tee { get; }

    /// <summary>The measurement it reports (MRENCLAVE for SGX; for TDX the MRTD is this value padded to 48 bytes).</summary>
    public string MrEnclave { get; }

    /// <summary>The current session public key (64 bytes X ‖ Y).</summary>
    public byte[] SessionPublicKey => Secp256k1.PublicKeyBytes(_sessionKey);

    /// <summary>The MRTD a TDX enclave of this measurement reports.</summary>
    public static string MrTdOf(string mrEnclave) => mrEnclave + new string('0', 32);

    /// <summary>
    /// Starts a new session (a fresh session key) and returns evidence for it, bound to the server's
    /// <paramref name="challenge"/> (in process, the caller plays the server and makes a fresh one).
    /// </summary>
    public WorkerEvidence NewSession(byte[] challenge, DateTimeOffset now)
    {
        _sessionKey = Secp256k1.NewPrivateKey();
        return Evidence(challenge, now);
    }

    /// <summary>Evidence for the current session key and a challenge (re-attestation keeps the key).</summary>
    public WorkerEvidence Evidence(byte[] challenge, DateTimeOffset now)
    {
        var reportData = ReportDataBinding.Compute(SessionPublicKey, challenge);
        var measurement = Convert.FromHexString(MrEnclave);
        var claims = Tee == TeeKind.Tdx
            ? new SimulatedEvidenceClaims { Tee = TeeType.Tdx, ReportData = [.. reportData], MrTd = [.. Convert.FromHexString(MrTdOf(MrEnclave))] }
            : new SimulatedEvidenceClaims { Tee = TeeType.Sgx, ReportData = [.. reportData], MrEnclave = [.. measurement], MrSigner = ImmutableArray.Create(new byte[32]) };
        return new WorkerEvidence(EvidenceFormat.Simulated, SimulatedEvidence.Create(claims, _evidenceKey, now), SessionPublicKey, challenge);
    }

    /// <summary>A fetch of a task's secrets, signed with the session key.</summary>
    public SecretFetchRequest FetchRequest(Address worker, string sessionId, Hash32 taskId, DateTimeOffset now)
        => new(worker, sessionId, taskId, now, SecretFetchProof.Sign(_sessionKey, worker, taskId, sessionId, now));

    /// <summary>Opens something the secret service sealed to this session for a task.</summary>
    public byte[] Open(byte[] sealedValue, Hash32 taskId) => Ecies.Decrypt(_sessionKey, sealedValue, taskId.ToArray());

    /// <summary>Fetches a task's secrets; returns the enclave key and the secrets by "owner/name", or the refusal.</summary>
    public async Task<(byte[]? EnclaveKey, IReadOnlyDictionary<string, byte[]> Secrets, SecretFetchResult Result)> FetchAsync(
        IGrainFactory grains, Address worker, string sessionId, Hash32 taskId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var result = await grains.TaskSecrets(taskId).FetchAsync(FetchRequest(worker, sessionId, taskId, now));
        if (!result.Granted || result.SealedEnclaveKey is null)
        {
            return (null, new Dictionary<string, byte[]>(), result);
        }

        var secrets = result.Secrets.ToDictionary(s => $"{s.Owner.Key}/{s.Name}", s => Open(s.SealedValue, taskId), StringComparer.Ordinal);
        return (Open(result.SealedEnclaveKey, taskId), secrets, result);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _evidenceKey.Dispose();
        CryptographicOperations.ZeroMemory(_sessionKey);
    }
}
