using System.Numerics;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Bridge.Listening;

/// <summary>
/// Maps a <c>DealCreated</c> log to the cluster's deal spec. The chain carries no resource needs, so
/// tasks get the cluster's defaults (1 core, 512 MiB, no GPU); the category index, trust, TEE tag,
/// bag of tasks, price, start time, params and callback contract are the chain's. The requester secrets
/// the deal selects are read from its params' <c>iexec_secrets</c> (<see cref="RequesterSecretParams"/>),
/// the one place a chain deal can name them.
/// </summary>
public static class DealCreatedMapping
{
    /// <summary>The spec, or the reason the log cannot be a deal here.</summary>
    public static bool TryMap(LogEntry log, out DealSpecMessage? spec, out string error)
    {
        ArgumentNullException.ThrowIfNull(log);
        spec = null;
        object?[] v;
        try
        {
            v = HubContract.DealCreated.DecodeLog(log.Topics, log.Data);
        }
        catch (FormatException ex)
        {
            error = "not a DealCreated log: " + ex.Message;
            return false;
        }

        var dealId = new Hash32((byte[])v[0]!);
        var botSize = (BigInteger)v[9]!;
        var botFirst = (BigInteger)v[8]!;
        var trust = (BigInteger)v[6]!;
        if (botSize < 1 || botSize > DealSpec.MaxBotSize || botFirst < 0 || botFirst > long.MaxValue - botSize || trust > 1_000)
        {
            error = $"deal {dealId}: botFirst {botFirst}, botSize {botSize} or trust {trust} is out of what this cluster runs";
            return false;
        }

        if (!TeeTag.TryFromBytes32(new Hash32((byte[])v[7]!), out var tag, out var tagError))
        {
            error = $"deal {dealId}: {tagError}";
            return false;
        }

        var parameters = (string)v[12]!;
        if (!RequesterSecretParams.TryRead(parameters, out var selection, out var selectionError))
        {
            error = $"deal {dealId}: {selectionError}";
            return false;
        }

        spec = new DealSpecMessage(
            dealId,
            (Address)v[1]!,
            (Address)v[3]!,
            (Address)v[4]!,
            (int)(BigInteger)v[5]!,
            (int)trust,
            tag,
            (long)botFirst,
            (int)botSize,
            (BigInteger)v[10]!,
            DateTimeOffset.FromUnixTimeSeconds((long)(BigInteger)v[11]!),
            1,
            512,
            false,
            parameters,
            [])
        {
            Callback = (Address)v[13]!,
            RequesterSecrets = selection,
        };
        error = string.Empty;
        return true;
    }
}
