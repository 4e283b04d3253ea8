using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Simulation;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Simulation;

/// <summary>
/// A software stand-in for an SGX enclave or TDX trust domain, for pools without TEE hardware (the
/// pool must allow simulated TEE explicitly). It proves nothing about hardware: its evidence is the
/// project's labelled <see cref="SimulatedEvidence"/> format (magic <c>ORCH-SIMULATED-TEE-v1</c>),
/// signed by a software "platform" key (kept in a file when the agent gives a path, so a pool can pin it).
/// <para>Each session gets a fresh secp256k1 session key pair (<see cref="EnclaveSession"/>); the
/// evidence binds its public key and the server's challenge in REPORTDATA (<see cref="ReportDataBinding"/>),
/// so evidence cannot be replayed for another session. For TEE tasks the enclave signs
/// <c>keccak256(resultHash ‖ resultSeal)</c> (EIP-191) with the task's enclave challenge key, which the
/// secret service releases sealed to that session key only.</para>
/// <para>The worker agent opens sessions explicitly (<see cref="OpenSession"/>); the in-process
/// simulated workers of the demo and the tests use the "current session" members
/// (<see cref="NewSession"/>, <see cref="Evidence"/>, <see cref="FetchAsync"/>), which talk to the grains directly.</para>
/// </summary>
public sealed class SimulatedEnclave : IDisposable
{
    /// <summary>The label whose SHA-256 is the default measurement (README: the simulated enclave's MRENCLAVE).</summary>
    public const string MeasurementLabel = "orchestrator-worker simulated enclave v1";

    /// <summary>The MRENCLAVE (hex) a simulated enclave reports unless given another: SHA-256 of <see cref="MeasurementLabel"/>.</summary>
    public static readonly string DefaultMrEnclave = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(MeasurementLabel)));

    private readonly ECDsa _platformKey;
    private readonly Lock _gate = new();
    private EnclaveSession? _current;

    /// <summary>
    /// Creates an enclave reporting <paramref name="mrEnclave"/> (hex; default <see cref="DefaultMrEnclave"/>)
    /// with its platform key loaded from, or created at, <paramref name="platformKeyPath"/> (null: ephemeral).
    /// </summary>
    public SimulatedEnclave(TeeKind tee = TeeKind.Sgx, string? mrEnclave = null, string? platformKeyPath = null)
    {
        if (tee == TeeKind.None)
        {
            throw new ArgumentException("a simulated enclave simulates SGX or TDX", nameof(tee));
        }

        Tee = tee;
        MrEnclave = mrEnclave ?? DefaultMrEnclave;
        _platformKey = LoadOrCreate(platformKeyPath);
    }

    /// <summary>SGX or TDX.</summary>
    public TeeKind Tee { get; }

    /// <summary>The measurement it reports (MRENCLAVE for SGX; for TDX the MRTD is <see cref="MrTdOf"/> of it).</summary>
    public string MrEnclave { get; }

    /// <summary>The platform key's raw public key (x‖y hex), what a pool pins to accept only this machine's simulated evidence.</summary>
    public string PlatformPublicKeyHex => Convert.ToHexStringLower(SimulatedEvidence.RawPublicKey(_platformKey));

    /// <summary>The current session's public key (64 bytes X ‖ Y); a session is opened on first use.</summary>
    public byte[] SessionPublicKey => Current.PublicKey;

    /// <summary>The MRTD (48 bytes, hex) a TDX enclave of this measurement reports: the measurement padded with zeros.</summary>
    public static string MrTdOf(string mrEnclave) => mrEnclave + new string('0', 32);

    /// <summary>Opens a session: a fresh session key pair, owned by the caller.</summary>
    public EnclaveSession OpenSession() => new(this);

    /// <summary>
    /// Starts a new current session (a fresh session key) and returns evidence for it, bound to the
    /// server's <paramref name="challenge"/> (in process, the caller plays the server and makes a fresh one).
    /// </summary>
    public WorkerEvidence NewSession(byte[] challenge, DateTimeOffset now)
    {
        lock (_gate)
        {
            _current?.Dispose();
            _current = OpenSession();
        }

        return Evidence(challenge, now);
    }

    /// <summary>Evidence for the current session key and a challenge (re-attestation keeps the key).</summary>
    public WorkerEvidence Evidence(byte[] challenge, DateTimeOffset now)
    {
        var session = Current;
        return new WorkerEvidence(EvidenceFormat.Simulated, session.Attest(challenge, now), session.PublicKey, challenge);
    }

    /// <summary>A fetch of a task's secrets, signed with the current session key.</summary>
    public SecretFetchRequest FetchRequest(Address worker, string sessionId, Hash32 taskId, DateTimeOffset now)
        => new(worker, sessionId, taskId, now, Current.SignSecretFetch(worker, taskId, sessionId, now));

    /// <summary>Opens something the secret service sealed to the current session for a task.</summary>
    public byte[] Open(byte[] sealedValue, Hash32 taskId) => Current.Open(sealedValue, taskId);

    /// <summary>Fetches a task's secrets from the grains; returns the enclave key and the secrets by "owner/name", or the refusal.</summary>
    public async Task<(byte[]? EnclaveKey, IReadOnlyDictionary<string, byte[]> Secrets, SecretFetchResult Result)> FetchAsync(
        IGrainFactory grains, Address worker, string sessionId, Hash32 taskId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var result = await grains.TaskSecrets(taskId).FetchAsync(FetchRequest(worker, sessionId, taskId, now)).ConfigureAwait(false);
        if (!result.Granted || result.SealedEnclaveKey is null)
        {
            return (null, new Dictionary<string, byte[]>(), result);
        }

        var secrets = result.Secrets.ToDictionary(s => $"{s.Owner.Key}/{s.Name}", s => Open(s.SealedValue, taskId), StringComparer.Ordinal);
        return (Open(result.SealedEnclaveKey, taskId), secrets, result);
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
    public void Dispose()
    {
        lock (_gate)
        {
            _current?.Dispose();
            _current = null;
        }

        _platformKey.Dispose();
    }

    /// <summary>Evidence binding <paramref name="sessionPublicKey"/> and <paramref name="challenge"/>.</summary>
    internal byte[] Attest(ReadOnlySpan<byte> sessionPublicKey, ReadOnlySpan<byte> challenge, DateTimeOffset now)
    {
        var reportData = ReportDataBinding.Compute(sessionPublicKey, challenge);
        var claims = Tee == TeeKind.Tdx
            ? new SimulatedEvidenceClaims { Tee = TeeType.Tdx, ReportData = [.. reportData], MrTd = [.. Convert.FromHexString(MrTdOf(MrEnclave))] }
            : new SimulatedEvidenceClaims { Tee = TeeType.Sgx, ReportData = [.. reportData], MrEnclave = [.. Convert.FromHexString(MrEnclave)], MrSigner = ImmutableArray.Create(new byte[32]) };
        return SimulatedEvidence.Create(claims, _platformKey, now);
    }

    private EnclaveSession Current
    {
        get
        {
            lock (_gate)
            {
                return _current ??= OpenSession();
            }
        }
    }

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
