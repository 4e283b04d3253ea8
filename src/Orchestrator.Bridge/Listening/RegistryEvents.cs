using System.Globalization;
using System.Numerics;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Registry;

namespace Orchestrator.Bridge.Listening;

/// <summary>
/// Mirrors the hub's registry events into the cluster's registry grains: an AppRegistered log adds the
/// app's version (its owner is the transaction's sender, so the chain already checked who signs), a
/// DatasetRegistered log the dataset's. The grains refuse what the API would (an image without digest,
/// a measurement of the wrong length, another owner): such a log is skipped with the rule it breaks,
/// and the listener goes on. Chain deals meet the same dataset restrictions as the API's (<see cref="CheckDealAsync"/>).
/// </summary>
public static class RegistryEvents
{
    /// <summary>The topics the listener asks for besides DealCreated.</summary>
    public static IReadOnlyList<Hash32> Topics { get; } = [HubContract.AppRegistered.Topic0, HubContract.DatasetRegistered.Topic0];

    /// <summary>Applies one registry log; null when mirrored, else why it was skipped.</summary>
    public static async Task<string?> ApplyAsync(IGrainFactory grains, LogEntry log)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(log);
        if (log.Topics.Count == 0)
        {
            return "a log without topics";
        }

        try
        {
            return log.Topics[0] == HubContract.AppRegistered.Topic0 ? await AppAsync(grains, log).ConfigureAwait(false)
                : log.Topics[0] == HubContract.DatasetRegistered.Topic0 ? await DatasetAsync(grains, log).ConfigureAwait(false)
                : $"topic {log.Topics[0]} is not a registry event";
        }
        catch (FormatException ex)
        {
            return "malformed registry log: " + ex.Message;
        }
    }

    /// <summary>
    /// Null when a chain deal may be created: the pool runs its app (the pool owner's allow-list), its dataset (if any) is registered and allows the deal's
    /// app, requester and this pool, and every requester secret it selects exists. Otherwise the rule it breaks; the listener then refuses the deal
    /// (logged as an error with the rule; the requester's escrow comes back through the hub's claim
    /// after the final deadline, as for any deal the pool does not run).
    /// </summary>
    public static async Task<string?> CheckDealAsync(IGrainFactory grains, DealSpecMessage spec, Address pool)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(spec);
        if (await grains.CheckPoolRunsAsync(spec.App).ConfigureAwait(false) is { } notRun)
        {
            return notRun;
        }

        if (await grains.MissingRequesterSecretAsync(spec).ConfigureAwait(false) is { } missing)
        {
            return missing;
        }

        return spec.Dataset.IsZero ? null : await grains.DatasetRegistry(spec.Dataset).CheckDealAsync(spec.App, spec.Requester, pool).ConfigureAwait(false);
    }

    private static async Task<string?> AppAsync(IGrainFactory grains, LogEntry log)
    {
        var v = HubContract.AppRegistered.DecodeLog(log.Topics, log.Data);
        var (app, owner, name, image, text, price) = ((Address)v[0]!, (Address)v[1]!, (string)v[3]!, (string)v[4]!, (string)v[5]!, (BigInteger)v[6]!);
        if (!AppPolicyText.TryParse(text, out var parsed, out var error))
        {
            return $"app {app}: {error}";
        }

        if (!Enum.TryParse<TeeKind>(parsed!.Draft.Tee, ignoreCase: true, out var tee))
        {
            return $"app {app}: tee must be sgx or tdx, got {parsed.Draft.Tee}";
        }

        var policy = new AppAttestationPolicy
        {
            App = app,
            Tee = tee,
            MrEnclaves = parsed.Draft.MrEnclaves,
            Signers = [.. parsed.Draft.Signers.Select(s => new SgxSigner(s.MrSigner, s.IsvProdId, s.MinIsvSvn))],
            TdxMeasurements = [.. parsed.Draft.TdxMeasurements.Select(m => new TdxMeasurement(m.MrTd, m.Rtmr0, m.Rtmr1, m.Rtmr2, m.Rtmr3))],
            AcceptedTcbStatuses = [.. parsed.Tcb.Select(t => new TcbStatusAllowance(t.Status, t.Advisories.Count == 0 ? null : t.Advisories))],
            MaxEvidenceAge = parsed.Draft.MaxEvidenceAge,
            AllowDebug = parsed.AllowDebug,
            AllowSimulated = parsed.AllowSimulated,
        };
        if (AssetAddresses.App(owner, name) != app)
        {
            return $"app {app}: not the address of {owner}'s app \"{name}\"";
        }

        var result = await grains.AppRegistry(app).RegisterAsync(owner, name, image, policy, price.ToString(CultureInfo.InvariantCulture), "chain").ConfigureAwait(false);
        return result.Accepted ? null : $"app {app}: {result.Error}";
    }

    private static async Task<string?> DatasetAsync(IGrainFactory grains, LogEntry log)
    {
        var v = HubContract.DatasetRegistered.DecodeLog(log.Topics, log.Data);
        var (dataset, owner, name) = ((Address)v[0]!, (Address)v[1]!, (string)v[3]!);
        if (AssetAddresses.Dataset(owner, name) != dataset)
        {
            return $"dataset {dataset}: not the address of {owner}'s dataset \"{name}\"";
        }

        static IReadOnlyList<Address> Addresses(object? list) => [.. ((object?[])list!).Select(a => (Address)a!)];
        var access = new DatasetAccess(Addresses(v[7]), Addresses(v[8]), Addresses(v[9]), Addresses(v[10]));
        var result = await grains.DatasetRegistry(dataset).RegisterAsync(
            owner, name, new Hash32((byte[])v[4]!), (string)v[5]!, ((BigInteger)v[6]!).ToString(CultureInfo.InvariantCulture), access, "chain").ConfigureAwait(false);
        return result.Accepted ? null : $"dataset {dataset}: {result.Error}";
    }
}
