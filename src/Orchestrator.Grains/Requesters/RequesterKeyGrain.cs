using Microsoft.Extensions.Logging;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;
using Orchestrator.Grains.Infrastructure;
using Orleans.Runtime;

namespace Orchestrator.Grains.Requesters;

/// <summary>A requester's registered key as persisted (state name "requester-key").</summary>
[GenerateSerializer, Alias("orch.state.requester-key.v1")]
public sealed class RequesterKeyState
{
    [Id(0)] public int SchemaVersion { get; set; } = 1;

    /// <summary>The key, 64 bytes X ‖ Y; null before the first registration.</summary>
    [Id(1)] public byte[]? PublicKey { get; set; }

    /// <summary>The last accepted registration's expiry: the replay fence (only a later one is accepted).</summary>
    [Id(2)] public ulong Expiry { get; set; }

    [Id(3)] public DateTimeOffset SetAt { get; set; }
}

/// <summary>
/// One requester's result-encryption key. Its own grain rather than a secret in the requester's
/// secret store: a public key is no secret (the store seals values and never hands them out in clear,
/// while every deal and worker needs this one in clear), the store is written with the pool owner's
/// token while this is written by the requester's own signature, and the replay fence is per requester.
/// The API has checked the signature, the curve and the expiry before this grain is called.
/// </summary>
public sealed partial class RequesterKeyGrain(
    [PersistentState("requester-key", StorageNames.Default)] IPersistentState<RequesterKeyState> state,
    OrchestratorClock clock,
    ILogger<RequesterKeyGrain> logger) : Grain, IRequesterKeyGrain
{
    private Address Requester => field.IsZero ? field = Address.Parse(this.GetPrimaryKeyString()) : field;

    public async Task<RequesterKeySetResult> SetAsync(byte[] publicKey, ulong expiry)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var s = state.State;
        if (!Secp256k1.IsPublicKey(publicKey))
        {
            return new(Current(), false, $"publicKey: {publicKey.Length} bytes that are not a secp256k1 public key (rule: 64 bytes X ‖ Y of a point on the curve)");
        }

        var refusal = BeneficiaryKeyRules.CheckNewer(new BeneficiaryKeyRegistration(publicKey, expiry), s.Expiry, s.PublicKey, out var isRepeat);
        if (refusal is not null)
        {
            return new(Current(), false, refusal.Message);
        }

        if (isRepeat)
        {
            return new(Current(), false, string.Empty);
        }

        s.PublicKey = [.. publicKey];
        s.Expiry = expiry;
        s.SetAt = clock.UtcNow;
        await state.WriteOrResetAsync(this);
        LogRegistered(logger, Requester.ToLowerHex(), Address.FromPublicKey(publicKey).ToLowerHex(), expiry);
        return new(Current(), true, string.Empty);
    }

    public Task<RequesterKey?> GetAsync() => Task.FromResult(Current());

    private RequesterKey? Current() => state.State.PublicKey is { } key ? new RequesterKey(Requester, [.. key], state.State.Expiry, state.State.SetAt) : null;

    // The key's address only: a public key is not secret, but logs need no more than who it is.
    [LoggerMessage(Level = LogLevel.Information, Message = "Requester {Requester} registered the result key of {KeyAddress} (registration expiry {Expiry})")]
    private static partial void LogRegistered(ILogger logger, string requester, string keyAddress, ulong expiry);
}
