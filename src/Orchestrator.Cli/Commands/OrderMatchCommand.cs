using System.CommandLine;
using Orchestrator.Api.Orders;
using Orchestrator.Domain.Crypto;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator order match`: a requester signs a request order with its --key under the hub's domain (read from the
/// server) and has the pool match it against the book's orders; prints the deal (its id, first index, volume and, with
/// the chain on, the matchOrders transaction). No token: the request's signature is the requester's credential.
/// </summary>
internal static class OrderMatchCommand
{
    public static Command Create(AdminApi api, Option<FileInfo> key)
    {
        var app = new Option<string>("--app") { Description = "The app to run.", Required = true };
        var dataset = new Option<string?>("--dataset") { Description = "The dataset (default none)." };
        var pool = new Option<string?>("--workerpool") { Description = "Only this pool (default any: this cluster's)." };
        var appMax = new Option<string?>("--app-max-price") { Description = "The most paid to the app owner per task, wei (default 0)." };
        var datasetMax = new Option<string?>("--dataset-max-price") { Description = "The most paid to the dataset owner per task, wei (default 0)." };
        var poolMax = new Option<string?>("--workerpool-max-price") { Description = "The most paid to the pool per task, wei (default 0)." };
        var volume = new Option<string>("--volume") { Description = "Tasks bought in all (default 1).", DefaultValueFactory = _ => "1" };
        var tag = new Option<string?>("--tag") { Description = "bytes32 TEE tag asked (default 0)." };
        var category = new Option<string?>("--category") { Description = "0 XS .. 4 XL (default 0)." };
        var trust = new Option<string?>("--trust") { Description = "The trust asked (default 0)." };
        var beneficiary = new Option<string?>("--beneficiary") { Description = "Who reads the results (default the requester)." };
        var callback = new Option<string?>("--callback") { Description = "A contract called with each task's callback data (default none)." };
        var parameters = new Option<string?>("--params") { Description = "The tasks' parameters." };
        var salt = new Option<string?>("--salt") { Description = "bytes32 salt (default random: each match signs a new order)." };
        var appOrder = new Option<string?>("--app-order") { Description = "The book's app order by hash (default the first open one of --app)." };
        var datasetOrder = new Option<string?>("--dataset-order") { Description = "The book's dataset order by hash (default the first open one of --dataset)." };
        var poolOrder = new Option<string?>("--workerpool-order") { Description = "The book's workerpool order by hash (default the pool's first open one)." };
        var match = OrderCommand.With(new Command("match", "Sign a request order with the requester's --key and match it against the book's orders into a deal.")
            { key, app, dataset, pool, appMax, datasetMax, poolMax, volume, tag, category, trust, beneficiary, callback, parameters, salt, appOrder, datasetOrder, poolOrder }, api);
        match.SetAction(async (parse, ct) =>
        {
            if (!OrderCommand.TryKey(parse, key, out var signer, out var code)) return code;
            var requester = Secp256k1.AddressOf(signer).ToLowerHex();
            var order = new Proto.RequestOrder
            {
                App = parse.GetValue(app)!,
                AppMaxPrice = parse.GetValue(appMax) ?? string.Empty,
                Dataset = parse.GetValue(dataset) ?? string.Empty,
                DatasetMaxPrice = parse.GetValue(datasetMax) ?? string.Empty,
                Workerpool = parse.GetValue(pool) ?? string.Empty,
                WorkerpoolMaxPrice = parse.GetValue(poolMax) ?? string.Empty,
                Requester = requester,
                Volume = parse.GetValue(volume)!,
                Tag = parse.GetValue(tag) ?? string.Empty,
                Category = parse.GetValue(category) ?? string.Empty,
                Trust = parse.GetValue(trust) ?? string.Empty,
                Beneficiary = parse.GetValue(beneficiary) ?? requester,
                Callback = parse.GetValue(callback) ?? string.Empty,
                Params = parse.GetValue(parameters) ?? string.Empty,
                Salt = parse.GetValue(salt) ?? new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToString(),
            };
            return await OrderCommand.RunAsync(api, parse, withToken: false, async (channel, _) =>
            {
                var book = new Proto.OrderBook.OrderBookClient(channel);
                var domain = await book.GetDomainAsync(new Proto.GetDomainRequest(), cancellationToken: ct);
                return await book.MatchOrdersAsync(new Proto.MatchOrdersRequest
                {
                    Request = OrderSigning.SignRequest(order, signer, domain.ChainId, Address.Parse(domain.VerifyingContract)),
                    AppOrder = parse.GetValue(appOrder) ?? string.Empty,
                    DatasetOrder = parse.GetValue(datasetOrder) ?? string.Empty,
                    WorkerpoolOrder = parse.GetValue(poolOrder) ?? string.Empty,
                }, cancellationToken: ct);
            }, ct);
        });
        return match;
    }
}
