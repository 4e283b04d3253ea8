using System.CommandLine;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator pool …`: the workerpool owner's calls over the gRPC admin API of a running silo
/// (authorize, revoke, drain, reattest, workers, policy, apps, watch). Prints each reply as JSON on stdout.
/// </summary>
internal static class PoolCommand
{
    public static Command Create()
    {
        var admin = new AdminApi();
        var addresses = new Argument<string[]>("addresses") { Description = "Worker addresses (0x + 40 hex digits).", Arity = ArgumentArity.OneOrMore };
        var address = new Argument<string>("address") { Description = "A worker address." };
        var dealId = new Argument<string>("deal") { Description = "A deal id (0x + 64 hex digits)." };
        var state = new Option<WorkerState>("--state") { Description = "Only workers in this state: Active, Draining, Lost or Revoked.", DefaultValueFactory = _ => WorkerState.Unspecified };

        var authorize = new Command("authorize", "Let worker addresses join the pool.") { addresses };
        authorize.SetAction((parse, ct) => admin.CallAsync(parse, ct, (client, headers) =>
            client.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { parse.GetValue(addresses)! } }, headers, cancellationToken: ct).ResponseAsync));

        var revoke = new Command("revoke", "Revoke worker addresses (their sessions end, their work goes to others).") { addresses };
        revoke.SetAction((parse, ct) => admin.CallAsync(parse, ct, (client, headers) =>
            client.RevokeWorkersAsync(new RevokeWorkersRequest { Addresses = { parse.GetValue(addresses)! } }, headers, cancellationToken: ct).ResponseAsync));

        var drain = new Command("drain", "Stop giving a worker new work; it finishes what it holds.") { address };
        drain.SetAction((parse, ct) => admin.CallAsync(parse, ct, (client, headers) =>
            client.DrainWorkerAsync(new DrainWorkerRequest { Address = parse.GetValue(address)! }, headers, cancellationToken: ct).ResponseAsync));

        var reattest = Reattest(admin, address);
        var workers = new Command("workers", "List the pool's workers with their state and score (every page).") { state };
        workers.SetAction((parse, ct) => admin.CallAsync(parse, ct, async (client, headers) =>
        {
            var all = new ListWorkersReply();
            var page = new ListWorkersReply();
            do
            {
                page = await client.ListWorkersAsync(new ListWorkersRequest { PageSize = 1000, PageToken = page.NextPageToken, State = parse.GetValue(state) }, headers, cancellationToken: ct);
                all.Workers.AddRange(page.Workers);
                all.Total = page.Total;
            }
            while (page.NextPageToken.Length > 0);
            return all;
        }));

        var policy = new Command("policy", "Show the pool policy.");
        policy.SetAction((parse, ct) => admin.CallAsync(parse, ct, (client, headers) =>
            client.GetPolicyAsync(new GetPolicyRequest(), headers, cancellationToken: ct).ResponseAsync));

        var allowApps = new Option<string[]>("--app") { Description = "An app the pool runs (repeat)." };
        var allowOwners = new Option<string[]>("--app-owner") { Description = "An owner whose registered apps the pool runs (repeat)." };
        var anyApp = new Option<bool>("--any") { Description = "Run any app (clears both lists)." };
        var apps = new Command("apps", "Set which apps the pool runs: deals naming others are refused (the apps' measurements stay their owners').") { allowApps, allowOwners, anyApp };
        apps.SetAction(async (parse, ct) =>
        {
            string[] named = [.. parse.GetValue(allowApps) ?? [], .. parse.GetValue(allowOwners) ?? []];
            if (parse.GetValue(anyApp) == (named.Length > 0))
            {
                await Console.Error.WriteLineAsync("pool apps: name the apps (--app, --app-owner) or pass --any, not both and not neither (rule: an empty allow-list runs any app, so clearing it is asked for by name)");
                return 2;
            }

            return await admin.CallAsync(parse, ct, (client, headers) =>
                client.RestrictAppsAsync(new RestrictAppsRequest { Apps = { parse.GetValue(allowApps) ?? [] }, AppOwners = { parse.GetValue(allowOwners) ?? [] } }, headers, cancellationToken: ct).ResponseAsync);
        });

        var watch = new Command("watch", "Print a deal's task events, one JSON object a line, until every task is final.") { dealId };
        watch.SetAction((parse, ct) => admin.CallAsync<TaskEvent>(parse, ct, async (client, headers) =>
        {
            using var call = client.WatchDeal(new WatchDealRequest { DealId = parse.GetValue(dealId)! }, headers, cancellationToken: ct);
            await foreach (var e in call.ResponseStream.ReadAllAsync(ct))
            {
                Console.WriteLine(AdminApi.Json.Format(e));
            }

            return null;
        }));

        var command = new Command("pool", "The workerpool owner's API of a running silo (gRPC, bearer token).")
        {
            authorize, revoke, drain, reattest, workers, policy, apps, watch, PoolStakeRatioCommand.Create(),
        };
        foreach (var option in admin.Options)
        {
            command.Options.Add(option);
        }

        return command;
    }

    private static Command Reattest(AdminApi admin, Argument<string> address)
    {
        var reattest = new Command("reattest", "Ask a TEE worker for a new quote now; `pool workers` shows the outcome.") { address };
        reattest.SetAction((parse, ct) => admin.CallAsync(parse, ct, (client, headers) =>
            client.ReattestWorkerAsync(new ReattestWorkerRequest { Address = parse.GetValue(address)! }, headers, cancellationToken: ct).ResponseAsync));
        return reattest;
    }
}
