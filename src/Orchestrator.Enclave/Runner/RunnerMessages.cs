using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Enclave.Runner;

/// <summary>
/// The agent ↔ trusted runner protocol: one JSON object per line on the runner's stdin (requests) and
/// stdout (responses, matched by <see cref="RunnerRequest.Id"/>, possibly out of order). The agent only
/// relays: what it hands in is either public (challenges, task ids, input files) or sealed to a session
/// key the runner never lets out (the secret service's reply); what comes back is a quote, a public key,
/// signatures, a result digest and a result archive sealed for the beneficiary.
/// </summary>
public static class RunnerProtocol
{
    /// <summary>Opens a session key pair; answers its public key and handle.</summary>
    public const string OpenSession = "open-session";

    /// <summary>A quote whose REPORTDATA binds the session's public key and the server's challenge.</summary>
    public const string Attest = "attest";

    /// <summary>The session key's proof of an orchestrator.secrets.v1 fetch.</summary>
    public const string SignFetch = "sign-fetch";

    /// <summary>Opens the released secrets, runs the app, seals and signs its result.</summary>
    public const string Run = "run";

    /// <summary>Erases a session key.</summary>
    public const string CloseSession = "close-session";

    /// <summary>The serializer settings both sides use (camelCase, base64 bytes, nulls omitted).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>One request to the runner.</summary>
public sealed record RunnerRequest
{
    /// <summary>Chosen by the agent; echoed in the response.</summary>
    public long Id { get; init; }

    /// <summary>One of the <see cref="RunnerProtocol"/> operations.</summary>
    public string Op { get; init; } = "";

    /// <summary>The session handle (all operations but open-session).</summary>
    public string? Session { get; init; }

    /// <summary>attest: the server's 32-byte challenge.</summary>
    public byte[]? Challenge { get; init; }

    /// <summary>sign-fetch and run: the worker's address.</summary>
    public string? Worker { get; init; }

    /// <summary>sign-fetch and run: the task id.</summary>
    public string? TaskId { get; init; }

    /// <summary>sign-fetch: the worker session id the server welcomed the agent with.</summary>
    public string? SessionId { get; init; }

    /// <summary>sign-fetch: the fetch's timestamp, Unix seconds.</summary>
    public long IssuedAt { get; init; }

    /// <summary>run: the task.</summary>
    public RunTask? Task { get; init; }
}

/// <summary>A task for the runner (<see cref="RunnerProtocol.Run"/>).</summary>
public sealed record RunTask
{
    /// <summary>The task's enclave challenge address: the released key must be its private key.</summary>
    public string EnclaveChallenge { get; init; } = "";

    /// <summary>The secret service's FetchTaskSecretsReply.sealed_enclave_key, sealed to the session key.</summary>
    public byte[] SealedEnclaveKey { get; init; } = [];

    /// <summary>The released secrets, still sealed to the session key.</summary>
    public IReadOnlyList<SealedAppSecret> Secrets { get; init; } = [];

    /// <summary>The app's program (what the pool allowed for the task's app).</summary>
    public string Command { get; init; } = "";

    /// <summary>Its arguments.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The app's public environment (IEXEC_TASK_ID, IEXEC_APP_ARGS, …); the runner adds IEXEC_IN, IEXEC_OUT and the secrets.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The agent's copy of the input files (public: fetched from their URLs); copied into the enclave's own input directory.</summary>
    public string? InputDirectory { get; init; }

    /// <summary>Where to write the result archive for upload (sealed for the beneficiary when a key is given).</summary>
    public string ResultPath { get; init; } = "";

    /// <summary>The longest the app may run, in seconds.</summary>
    public double MaxRunSeconds { get; init; }

    /// <summary>The largest result archive, in bytes.</summary>
    public long MaxResultBytes { get; init; } = long.MaxValue;

    /// <summary>The beneficiary's secp256k1 public key (64 bytes X ‖ Y); null: the requester asked for public results.</summary>
    public byte[]? BeneficiaryKey { get; init; }

    /// <summary>True when the deal names a callback (the result digest is then keccak256 of the app's callback data).</summary>
    public bool HasCallback { get; init; }
}

/// <summary>One released secret, sealed to the session key.</summary>
/// <param name="Owner">"dataset", "app" or "requester".</param>
/// <param name="Name">Its name.</param>
/// <param name="Sealed">ECIES to the session key, the task id bytes as context.</param>
public sealed record SealedAppSecret(string Owner, string Name, byte[] Sealed);

/// <summary>One response of the runner.</summary>
public sealed record RunnerResponse
{
    /// <summary>The request's id (0 for the ready line).</summary>
    public long Id { get; init; }

    /// <summary>Why the request failed (one line); null on success.</summary>
    public string? Error { get; init; }

    /// <summary>open-session: the handle.</summary>
    public string? Session { get; init; }

    /// <summary>open-session: the session public key (64 bytes X ‖ Y).</summary>
    public byte[]? PublicKey { get; init; }

    /// <summary>attest: the quote.</summary>
    public byte[]? Quote { get; init; }

    /// <summary>sign-fetch: the 65-byte signature.</summary>
    public byte[]? Signature { get; init; }

    /// <summary>run: the outcome.</summary>
    public RunOutcome? Result { get; init; }

    /// <summary>The ready line: which quote interface answers.</summary>
    public string? Provider { get; init; }
}

/// <summary>What a run produced.</summary>
public sealed record RunOutcome
{
    /// <summary>The app did not complete (exit code, timeout, unarchivable output): why; the other fields are empty.</summary>
    public string? AppFailure { get; init; }

    /// <summary>The result digest (0x + 64 hex).</summary>
    public string ResultDigest { get; init; } = "";

    /// <summary>The enclave challenge key's EIP-191 signature of keccak256(resultHash ‖ resultSeal), 65 bytes.</summary>
    public byte[] EnclaveSignature { get; init; } = [];

    /// <summary>The archive written (RunTask.ResultPath).</summary>
    public string ResultPath { get; init; } = "";

    /// <summary>ResultPrivacy.EciesLabel when sealed for the beneficiary, empty for public results.</summary>
    public string Encryption { get; init; } = "";

    /// <summary>The app's callback data when the deal has a callback.</summary>
    public byte[]? CallbackData { get; init; }
}
