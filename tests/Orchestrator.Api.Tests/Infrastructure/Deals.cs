using System.Security.Cryptography;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests.Infrastructure;

/// <summary>Deals and digests for tests.</summary>
public static class Deals
{
    public static Deal Standard(int botSize = 1, int trust = 1) => new()
    {
        DealId = new Hash32(RandomNumberGenerator.GetBytes(32)).ToString(),
        Requester = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToLowerHex(),
        App = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToLowerHex(),
        Category = 0,
        Trust = trust,
        BotSize = botSize,
        Params = "echo hello",
    };

    /// <summary>What an honest worker computes for a task.</summary>
    public static Hash32 Digest(string taskId) => new(SHA256.HashData(Hash32.Parse(taskId).ToArray()));
}
