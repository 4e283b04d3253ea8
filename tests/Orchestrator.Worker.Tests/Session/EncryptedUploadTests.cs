using System.Security.Cryptography;
using Google.Protobuf;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>A deal with a beneficiary key: the agent uploads the archive encrypted for it, over real gRPC.</summary>
public sealed class EncryptedUploadTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly AgentHarness _agent = new();

    [Fact]
    public async Task The_archive_leaves_the_worker_encrypted_for_the_beneficiary_and_the_contribution_keeps_the_plaintext_digest()
    {
        var beneficiary = Secp256k1.NewPrivateKey();
        var task = AgentHarness.Assignment(11);
        task.BeneficiaryKey = ByteString.CopyFrom(Secp256k1.PublicKeyBytes(beneficiary));
        Contribution? contribution = null;
        await using var pool = await FakePool.StartAsync(async (_, s) =>
        {
            await s.HandshakeAsync();
            await s.SendAsync(new ServerMessage { Assignment = task });
            var call = await s.NextAsync(WorkerMessage.BodyOneofCase.Contribution);
            contribution = call.Contribution;
            await s.AnswerAsync(call, revealNow: true);
            await s.AnswerAsync(await s.NextAsync(WorkerMessage.BodyOneofCase.Reveal));
            await s.HoldAsync();
        });

        var run = _agent.RunAsync(_agent.Options(pool.Url));
        await Eventually.UntilAsync("the result upload", () => pool.Uploads.ContainsKey(task.TaskId), Deadline);
        await _agent.StopAsync();
        Assert.Equal(0, await run.WaitAsync(Deadline));

        var taskId = Hash32.Parse(task.TaskId);
        var digest = _agent.ExpectedDigest(11);
        Assert.Equal(ProtocolIds.ResultHash(taskId, digest).ToString(), contribution!.ResultHash);

        var (header, bytes) = pool.Uploads[task.TaskId];
        Assert.Equal(ResultPrivacy.EciesLabel, header.Encryption);
        Assert.Equal(digest.ToString(), header.ResultDigest);
        Assert.Equal(Hex.Encode(SHA256.HashData(bytes)), header.Sha256);
        Assert.NotEqual(digest.ToArray(), SHA256.HashData(bytes));
        Assert.True(Signature.TryFromBytes65(header.Signature.Span, out var signature, out _));
        Assert.True(EthereumMessage.TryRecover(SignedMessages.Upload(taskId.ToArray(), SHA256.HashData(bytes)), signature!, out var signer));
        Assert.Equal(_agent.Identity.Address, signer);

        // Only the beneficiary reads it, and what it reads is the archive the consensus agreed on.
        var plaintext = Ecies.Decrypt(beneficiary, bytes);
        Assert.Equal(digest.ToArray(), SHA256.HashData(plaintext));
        Assert.Throws<CryptographicException>(() => Ecies.Decrypt(Secp256k1.NewPrivateKey(), bytes));
    }

    public void Dispose() => _agent.Dispose();
}
