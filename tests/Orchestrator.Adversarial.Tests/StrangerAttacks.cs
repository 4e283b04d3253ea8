using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Adversarial.Tests.Infrastructure;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Session;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Adversarial.Tests;

/// <summary>Strangers (any key, no authorization) calling the unauthenticated worker endpoints: no activation, no row, no file.</summary>
[Collection("pools")]
public sealed class StrangerAttacks(TwoPools pools)
{
    [Fact]
    public async Task A_stranger_upload_signed_with_a_throwaway_key_is_refused_before_any_grain_activates()
    {
        var pool = pools.A;
        var key = Secp256k1.NewPrivateKey();
        var taskId = new Hash32(RandomNumberGenerator.GetBytes(32));
        var rows = await pool.CountStateRowsAsync();

        var refused = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(pool, key, taskId));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("not an authorized worker", refused.Status.Detail, StringComparison.Ordinal);
        Assert.False(await pool.IsAnyGrainActiveAsync(taskId.ToString()));
        Assert.Equal(rows, await pool.CountStateRowsAsync());
        Assert.Equal(0, await pool.StoredResultObjectsAsync());

        // The control: a registered, authorized worker passes the gate and reaches the task (unknown: NOT_FOUND).
        var workerKey = Secp256k1.NewPrivateKey();
        await RegisterAsync(pool, workerKey);
        var known = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(pool, workerKey, taskId));
        Assert.Equal(StatusCode.NotFound, known.StatusCode);
    }

    [Fact]
    public async Task A_stranger_secret_fetch_is_refused_before_the_secret_service_or_a_worker_grain_activates()
    {
        var pool = pools.A;
        var stranger = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
        var taskId = new Hash32(RandomNumberGenerator.GetBytes(32));
        var rows = await pool.CountStateRowsAsync();
        var client = new SecretsProto.EnclaveSecrets.EnclaveSecretsClient(pool.Channel);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await client.FetchTaskSecretsAsync(new SecretsProto.FetchTaskSecretsRequest
        {
            WorkerAddress = stranger.ToLowerHex(),
            SessionId = "guessed-session",
            TaskId = taskId.ToString(),
            IssuedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
            Signature = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(65)),
        }));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.False(await pool.IsAnyGrainActiveAsync(taskId.ToString()));
        Assert.False(await pool.IsAnyGrainActiveAsync(stranger.ToLowerHex()));
        Assert.Equal(rows, await pool.CountStateRowsAsync());
    }

    [Fact]
    public async Task A_known_workers_address_with_a_made_up_signature_is_refused_before_the_secret_service_activates()
    {
        var pool = pools.A;
        var workerKey = Secp256k1.NewPrivateKey();
        await RegisterAsync(pool, workerKey);
        var worker = Secp256k1.AddressOf(workerKey);
        var taskId = new Hash32(RandomNumberGenerator.GetBytes(32));
        var rows = await pool.CountStateRowsAsync();
        var client = new SecretsProto.EnclaveSecrets.EnclaveSecretsClient(pool.Channel);

        // Signed by the worker's own key, not an attested enclave session key: still not a proof.
        var issuedAt = DateTimeOffset.UtcNow;
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await client.FetchTaskSecretsAsync(new SecretsProto.FetchTaskSecretsRequest
        {
            WorkerAddress = worker.ToLowerHex(),
            SessionId = "guessed-session",
            TaskId = taskId.ToString(),
            IssuedAt = Timestamp.FromDateTimeOffset(issuedAt),
            Signature = ByteString.CopyFrom(SecretFetchProof.Sign(workerKey, worker, taskId, "guessed-session", issuedAt)),
        }));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.False(await pool.IsAnyGrainActiveAsync(taskId.ToString()));
        Assert.Equal(rows, await pool.CountStateRowsAsync());
    }

    private static async Task UploadAsync(AttackedPool pool, byte[] key, Hash32 taskId)
    {
        var content = "stolen result"u8.ToArray();
        var sha = SHA256.HashData(content);
        using var call = pool.Workers.UploadResult();
        await call.RequestStream.WriteAsync(new ResultChunk
        {
            Header = new UploadHeader
            {
                TaskId = taskId.ToString(),
                WorkerAddress = Secp256k1.AddressOf(key).ToLowerHex(),
                Size = content.Length,
                Sha256 = new Hash32(sha).ToString(),
                ContentType = "application/zip",
                Signature = ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Upload(taskId.ToArray(), sha), key).ToBytes65()),
            },
        });
        await call.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(content) });
        await call.RequestStream.CompleteAsync();
        await call;
    }

    /// <summary>Authorizes and registers a worker through a real session (then closes it).</summary>
    internal static async Task RegisterAsync(AttackedPool pool, byte[] key)
    {
        var worker = Secp256k1.AddressOf(key);
        await pool.Grains.Pool().AuthorizeAsync([worker]);
        using var session = await RawSession.HelloAsync(pool.Workers, worker);
        var options = new WorkerOptions { PoolAddress = pool.PoolAddress.ToLowerHex(), ChainId = 31337 };
        await session.ProveAsync(EthereumMessage.Sign(SessionProofMessage.For(options, session.Challenge, [], tls: false).Message, key).ToBytes65());
    }
}
