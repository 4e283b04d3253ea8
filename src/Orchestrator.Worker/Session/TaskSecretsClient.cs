using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Simulation;
using Orchestrator.Api.Secrets.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Session;

/// <summary>The secret service would not (or could not) hand this enclave a TEE task's secrets; the replicate is given back.</summary>
public sealed class TaskSecretsRefusedException(string message) : Exception(message);

/// <summary>What the secret service released for one TEE task, opened inside the enclave session; erased on dispose.</summary>
internal sealed class ReleasedSecrets(byte[] enclaveKey, IReadOnlyList<AppSecret> secrets) : IDisposable
{
    /// <summary>The task's 32-byte enclave challenge private key (signs the TEE result).</summary>
    public byte[] EnclaveKey { get; } = enclaveKey;

    /// <summary>The dataset's, app's and requester's secrets, for the app.</summary>
    public IReadOnlyList<AppSecret> Secrets { get; } = secrets;

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(EnclaveKey);
        foreach (var secret in Secrets)
        {
            if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(secret.Value, out var bytes) && bytes.Array is not null)
            {
                CryptographicOperations.ZeroMemory(bytes.AsSpan());
            }
        }
    }
}

/// <summary>
/// The enclave's side of orchestrator.secrets.v1: <c>EnclaveSecrets.FetchTaskSecrets</c> with the
/// session id the worker was welcomed with and a <see cref="SecretFetchProof"/> by the enclave
/// session key, then opens what was sealed to that key (ECIES, the task id bytes as context) and
/// checks the key is the task's enclave challenge.
/// </summary>
internal sealed class TaskSecretsClient(EnclaveSecrets.EnclaveSecretsClient client, WorkerIdentity identity, TimeProvider time)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Fetches on <paramref name="session"/>. Throws <see cref="SessionLostException"/> when that
    /// session ended meanwhile (fetch again on the next one) and <see cref="TaskSecretsRefusedException"/>
    /// for a refusal or a reply this enclave cannot open.
    /// </summary>
    public async Task<ReleasedSecrets> FetchAsync(LiveSession session, Hash32 taskId, Address enclaveChallenge, CancellationToken cancellationToken)
    {
        var enclave = session.Enclave ?? throw new TaskSecretsRefusedException("a TEE task needs an enclave, and this session has none (Capabilities:Tee and SimulatedEnclave)");
        FetchTaskSecretsReply reply;
        try
        {
            reply = await CallAsync(session, taskId, (sessionId, issuedAt) => Task.FromResult(enclave.SignSecretFetch(identity.Address, taskId, sessionId, issuedAt)), cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            throw new SessionLostException("the enclave session ended (its key is erased) before the secret fetch");
        }

        return Open(enclave, reply, taskId, enclaveChallenge);
    }

    /// <summary>
    /// Fetches on <paramref name="session"/> for its trusted runner: the proof is signed inside the runner
    /// and the reply stays sealed to the runner's session key (the agent relays it unopened).
    /// Throws as <see cref="FetchAsync"/>.
    /// </summary>
    public async Task<FetchTaskSecretsReply> FetchSealedAsync(LiveSession session, Hash32 taskId, CancellationToken cancellationToken)
    {
        var runner = session.Runner ?? throw new TaskSecretsRefusedException("a TEE task needs an enclave, and this session has no trusted runner");
        try
        {
            return await CallAsync(session, taskId, (sessionId, issuedAt) => runner.SignFetchAsync(identity.Address, taskId, sessionId, issuedAt, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Enclave.EnclaveRunnerException ex)
        {
            throw new SessionLostException("the trusted runner could not sign the secret fetch: " + ex.Message);
        }
    }

    private async Task<FetchTaskSecretsReply> CallAsync(LiveSession session, Hash32 taskId, Func<string, DateTimeOffset, Task<byte[]>> sign, CancellationToken cancellationToken)
    {
        var sessionId = session.Welcome.SessionId;
        // Whole seconds: the proof signs the Unix second, and the server rebuilds it from the timestamp sent.
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        try
        {
            var request = new FetchTaskSecretsRequest
            {
                WorkerAddress = identity.Address.ToString(),
                SessionId = sessionId,
                TaskId = taskId.ToString(),
                IssuedAt = Timestamp.FromDateTimeOffset(issuedAt),
                Signature = ByteString.CopyFrom(await sign(sessionId, issuedAt).ConfigureAwait(false)),
            };
            return await client.FetchTaskSecretsAsync(request, deadline: time.GetUtcNow().UtcDateTime + CallTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (RpcException ex) when (session.IsClosed && ex.StatusCode is StatusCode.Unauthenticated or StatusCode.Unavailable)
        {
            throw new SessionLostException($"the session ended during the secret fetch ({ex.StatusCode})");
        }
        catch (RpcException ex)
        {
            throw new TaskSecretsRefusedException($"the secret service refused task {taskId}'s secrets: {ex.StatusCode}: {ex.Status.Detail}");
        }
    }

    private static ReleasedSecrets Open(EnclaveSession enclave, FetchTaskSecretsReply reply, Hash32 taskId, Address enclaveChallenge)
    {
        byte[] key;
        var secrets = new List<AppSecret>(reply.Secrets.Count);
        try
        {
            key = enclave.Open(reply.SealedEnclaveKey.Span, taskId);
            foreach (var sealedSecret in reply.Secrets)
            {
                var owner = sealedSecret.Owner?.Kind switch
                {
                    OwnerKind.Dataset => AppSecretOwner.Dataset,
                    OwnerKind.App => AppSecretOwner.App,
                    OwnerKind.Requester => AppSecretOwner.Requester,
                    var other => throw new TaskSecretsRefusedException($"the secret service released secret '{sealedSecret.Name}' of an unknown owner kind {other}"),
                };
                secrets.Add(new AppSecret(owner, sealedSecret.Name, enclave.Open(sealedSecret.SealedValue.Span, taskId)));
            }
        }
        catch (CryptographicException ex)
        {
            throw new TaskSecretsRefusedException($"task {taskId}'s secrets do not open with this enclave session's key: {ex.Message}");
        }
        catch (ObjectDisposedException)
        {
            throw new SessionLostException("the enclave session ended (its key is erased) before the secrets were opened");
        }

        var released = new ReleasedSecrets(key, secrets);
        if (key.Length != 32 || Secp256k1.AddressOf(key) != enclaveChallenge)
        {
            released.Dispose();
            throw new TaskSecretsRefusedException($"the secret service released a key that is not task {taskId}'s enclave challenge {enclaveChallenge}");
        }

        return released;
    }
}
