using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Worker.Tests;

/// <summary>
/// The worked examples of docs/worker-protocol.md (values in docs/golden/worker-protocol-vectors.json)
/// are what our code computes and signs, and the document cites every one of them, so it cannot drift.
/// </summary>
public sealed partial class WorkerProtocolVectorTests
{
    private static readonly JsonElement Vectors = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("docs", "golden", "worker-protocol-vectors.json"))).RootElement;

    [Fact]
    public void The_ids_follow_from_the_deal_index_and_digest()
    {
        var ids = Vectors.GetProperty("ids");
        var worker = Address.Parse(Vectors.GetProperty("keys").GetProperty("worker").GetProperty("address").GetString()!);
        var taskId = ProtocolIds.TaskId(Hash32.Parse(ids.GetProperty("dealId").GetString()!), ids.GetProperty("index").GetUInt64());
        var digest = Hash32.Parse(ids.GetProperty("resultDigest").GetString()!);
        Assert.Equal(ids.GetProperty("taskId").GetString(), taskId.ToString());
        Assert.Equal(ids.GetProperty("resultHash").GetString(), ProtocolIds.ResultHash(taskId, digest).ToString());
        Assert.Equal(ids.GetProperty("resultSeal").GetString(), ProtocolIds.ResultSeal(worker, taskId, digest).ToString());
        foreach (var key in Vectors.GetProperty("keys").EnumerateObject())
        {
            Assert.Equal(key.Value.GetProperty("address").GetString(), Secp256k1.AddressOf(Key(key.Name)).ToChecksumString());
        }
    }

    [Theory]
    [InlineData("session")]
    [InlineData("contribution")]
    [InlineData("tee-contribution")]
    [InlineData("upload")]
    [InlineData("secret-fetch")]
    public void Each_signed_message_has_the_documented_bytes_and_signature(string name)
    {
        var v = Vectors.GetProperty("signatures").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
        var ids = Vectors.GetProperty("ids");
        var taskId = Hash32.Parse(ids.GetProperty("taskId").GetString()!);
        var resultHash = Hash32.Parse(ids.GetProperty("resultHash").GetString()!);
        var resultSeal = Hash32.Parse(ids.GetProperty("resultSeal").GetString()!);
        var worker = Address.Parse(Vectors.GetProperty("keys").GetProperty("worker").GetProperty("address").GetString()!);
        var key = Key(v.GetProperty("signer").GetString()!);

        // What our server verifies and our agent and enclave sign, through the product's own code.
        var (message, signature) = name switch
        {
            "session" => Personal(SignedMessages.Session(Hex.Decode(v.GetProperty("poolAddress").GetString()!), v.GetProperty("chainId").GetUInt64(), Hex.Decode(v.GetProperty("tlsCertificateSha256").GetString()!), Hex.Decode(v.GetProperty("challenge").GetString()!)), key),
            "contribution" => Personal(ProtocolIds.ContributionMessage(taskId, resultHash, resultSeal).ToArray(), key),
            "tee-contribution" => Personal(ProtocolIds.EnclaveMessage(resultHash, resultSeal).ToArray(), key),
            "upload" => Personal(SignedMessages.Upload(taskId.ToArray(), Hex.Decode(v.GetProperty("archiveSha256").GetString()!)), key),
            _ => SecretFetch(v, worker, taskId, key),
        };

        Assert.Equal(v.GetProperty("message").GetString(), Hex.Encode(message));
        var signed = v.GetProperty("scheme").GetString() == "raw" ? message : EthereumMessage.Hash(message);
        Assert.Equal(v.GetProperty("signedDigest").GetString(), Hex.Encode(signed));
        Assert.Equal(v.GetProperty("signature").GetString(), Hex.Encode(signature));
    }

    [Fact]
    public void The_document_cites_every_worked_value()
    {
        var doc = File.ReadAllText(Repository.PathOf("docs", "worker-protocol.md"));
        var values = HexValue().Matches(File.ReadAllText(Repository.PathOf("docs", "golden", "worker-protocol-vectors.json"))).Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(values);
        Assert.All(values, value => Assert.True(doc.Contains(value, StringComparison.OrdinalIgnoreCase), $"docs/worker-protocol.md does not cite {value}"));
    }

    private static (byte[] Message, byte[] Signature) Personal(byte[] message, byte[] key) => (message, EthereumMessage.Sign(message, key).ToBytes65());

    private static (byte[] Message, byte[] Signature) SecretFetch(JsonElement v, Address worker, Hash32 taskId, byte[] key)
    {
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(v.GetProperty("issuedAtUnixSeconds").GetInt64());
        var session = v.GetProperty("sessionId").GetString()!;
        return (SecretFetchProof.Digest(worker, taskId, session, issuedAt), SecretFetchProof.Sign(key, worker, taskId, session, issuedAt));
    }

    private static byte[] Key(string name) => Hex.Decode(Vectors.GetProperty("keys").GetProperty(name).GetProperty("privateKey").GetString()!);

    [GeneratedRegex("0x[0-9a-fA-F]{40,}")]
    private static partial Regex HexValue();
}
