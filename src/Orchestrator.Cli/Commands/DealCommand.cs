using System.CommandLine;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Host.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator deal submit|status`: off-chain deals against a running cluster.</summary>
internal static class DealCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Create()
    {
        var cluster = new Option<FileInfo?>("--cluster") { Description = "The cluster's configuration file (the silos' own); without it, a silo on this machine's default gateway port." };

        var tasks = new Option<int>("--tasks") { Description = "botSize: tasks in the deal.", DefaultValueFactory = _ => 10 };
        var trust = new Option<int>("--trust") { Description = "Requested trust.", DefaultValueFactory = _ => 1 };
        var category = new Option<string>("--category") { Description = "Category name (XS, S, M, L, XL) or id.", DefaultValueFactory = _ => "XS" };
        var tee = new Option<TeeKind>("--tee") { Description = "TEE kind the tasks need: None, Sgx or Tdx.", DefaultValueFactory = _ => TeeKind.None };
        var price = new Option<string>("--price") { Description = "Workerpool price per task, in wei.", DefaultValueFactory = _ => "0" };
        var parameters = new Option<string>("--params") { Description = "The app's arguments.", DefaultValueFactory = _ => string.Empty };
        var app = new Option<string>("--app") { Description = "The app's address.", DefaultValueFactory = _ => "0x0000000000000000000000000000000000000001" };
        var requester = new Option<string>("--requester") { Description = "The requester's address.", DefaultValueFactory = _ => "0x0000000000000000000000000000000000000002" };
        var submit = new Command("submit", "Submit an off-chain deal; prints its id (dealId = keccak256(requestHash ‖ 0) over a fresh request hash).")
        {
            cluster, tasks, trust, category, tee, price, parameters, app, requester,
        };
        submit.SetAction(async (parse, cancellationToken) =>
        {
            if (!Address.TryParse(parse.GetValue(app), out var appAddress, out var appError)) return Fail($"--app: {appError}");
            if (!Address.TryParse(parse.GetValue(requester), out var requesterAddress, out var requesterError)) return Fail($"--requester: {requesterError}");
            if (!BigInteger.TryParse(parse.GetValue(price), out var wei) || wei.Sign < 0) return Fail("--price must be a non-negative integer number of wei");
            var categoryText = parse.GetValue(category)!;
            var categoryId = int.TryParse(categoryText, out var id) ? id : CategoryCatalog.Default.FindByName(categoryText)?.Id;
            if (categoryId is null) return Fail($"--category: unknown category '{categoryText}'");
            var teeKind = parse.GetValue(tee);
            var tag = teeKind switch
            {
                TeeKind.Sgx => new TeeTag(TeeTag.Tee | TeeTag.Scone),
                TeeKind.Tdx => new TeeTag(TeeTag.Tee | TeeTag.Tdx),
                _ => TeeTag.NoTee,
            };
            var dealId = ProtocolIds.DealId(new Hash32(RandomNumberGenerator.GetBytes(32)), 0);
            var spec = new DealSpecMessage(dealId, requesterAddress, appAddress, Address.Zero, categoryId.Value, parse.GetValue(trust), tag, 0,
                parse.GetValue(tasks), wei, DateTimeOffset.UtcNow, 1, 512, false, parse.GetValue(parameters)!, []);
            return await WithClusterAsync(parse.GetValue(cluster), cancellationToken, async grains =>
            {
                var result = await grains.Deal(dealId).CreateAsync(spec);
                Console.WriteLine(JsonSerializer.Serialize(new { dealId = dealId.ToString(), created = result.Created, errors = result.Errors }, Json));
                return result.Accepted ? 0 : 1;
            });
        });

        var dealIdArgument = new Argument<string>("dealId") { Description = "The deal id (0x + 64 hex digits)." };
        var status = new Command("status", "Print a deal's progress as JSON.") { cluster, dealIdArgument };
        status.SetAction(async (parse, cancellationToken) =>
        {
            if (!Hash32.TryParse(parse.GetValue(dealIdArgument), out var dealId, out var error)) return Fail($"dealId: {error}");
            return await WithClusterAsync(parse.GetValue(cluster), cancellationToken, async grains =>
            {
                var view = await grains.Deal(dealId).GetViewAsync();
                if (!view.Exists) return Fail($"deal {dealId} does not exist in this cluster");
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    dealId = view.DealId.ToString(),
                    botSize = view.BotSize,
                    completed = view.Completed,
                    failed = view.Failed,
                    open = view.Open,
                    finished = view.IsFinished,
                    trust = view.Trust,
                    category = view.CategoryId,
                    teeTag = $"0x{view.TeeTag:x}",
                    startTime = view.StartTime,
                    finalDeadline = view.FinalDeadline,
                    consensusRounds = view.ConsensusRounds,
                }, Json));
                return 0;
            });
        });

        return new Command("deal", "Submit and watch deals on a running cluster.") { submit, status };
    }

    /// <summary>Runs <paramref name="action"/> with a client of the cluster the file names.</summary>
    internal static async Task<int> WithClusterAsync(FileInfo? config, CancellationToken cancellationToken, Func<IGrainFactory, Task<int>> action)
    {
        if (config is { Exists: false }) return Fail($"configuration file {config.FullName} does not exist");
        IHost host;
        try
        {
            host = await ClusterClientHost.StartAsync(config?.FullName, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fail($"could not reach the cluster: {ex.Message}");
        }

        using (host)
        {
            var code = await action(host.Services.GetRequiredService<IClusterClient>());
            await host.StopAsync(CancellationToken.None);
            return code;
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
