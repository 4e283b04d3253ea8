using System.CommandLine;
using Grpc.Core;
using Orchestrator.Api.Orders;
using Orchestrator.Domain.Crypto;
using Proto = Orchestrator.Api.Orders.V1;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator order publish|cancel|list|match`: signed orders in the pool's off-chain order book. An app or dataset owner
/// signs with their key; the pool owner signs its workerpool orders with the pool's key and sends them with the token.
/// Exit codes as the other API commands: 0 done, 1 refused for the input, 2 bad arguments, 3 refused for the caller or unreachable.
/// </summary>
internal static class OrderCommand
{
    public static Command Create()
    {
        var api = new AdminApi();
        var key = new Option<FileInfo>("--key") { Description = "The signer's private key file (hex, as `result keygen` writes it): the asset's owner, or the pool's key for a workerpool order." };
        return new Command("order", "Signed app, dataset and workerpool orders in the pool's order book (PoCo v5's, README \"Orders\").")
        {
            Publish(api, key), Cancel(api, key), List(api), OrderMatchCommand.Create(api, key),
        };
    }

    private static Command Publish(AdminApi api, Option<FileInfo> key)
    {
        var kind = new Option<string>("--kind") { Description = "app, dataset or workerpool.", Required = true };
        kind.AcceptOnlyFromAmong("app", "dataset", "workerpool");
        var asset = new Option<string?>("--asset") { Description = "The app or dataset address (a workerpool order: default the key's address, the pool)." };
        var price = new Option<string?>("--price") { Description = "Price per task in wei (default 0)." };
        var volume = new Option<string>("--volume") { Description = "Tasks the order sells (default 1).", DefaultValueFactory = _ => "1" };
        var tag = new Option<string?>("--tag") { Description = "bytes32 TEE tag (default 0)." };
        var category = new Option<string?>("--category") { Description = "Workerpool orders: the category sold, 0 XS .. 4 XL (default 0)." };
        var trust = new Option<string?>("--trust") { Description = "Workerpool orders: the highest trust accepted (default 0)." };
        var appRestrict = new Option<string?>("--app-restrict") { Description = "Only this app (dataset and workerpool orders)." };
        var datasetRestrict = new Option<string?>("--dataset-restrict") { Description = "Only this dataset (app and workerpool orders)." };
        var poolRestrict = new Option<string?>("--workerpool-restrict") { Description = "Only this pool (app and dataset orders)." };
        var requesterRestrict = new Option<string?>("--requester-restrict") { Description = "Only this requester." };
        var salt = new Option<string?>("--salt") { Description = "bytes32 salt (default random: each publish is a new order)." };
        var expiresAt = new Option<DateTimeOffset?>("--expires-at") { Description = "When the book stops listing and matching the order (ISO 8601; default never). The hub knows no expiry: cancel the order there." };
        var publish = With(new Command("publish", "Sign an order and publish it to the pool's order book.")
            { key, kind, asset, price, volume, tag, category, trust, appRestrict, datasetRestrict, poolRestrict, requesterRestrict, salt, expiresAt }, api);
        publish.SetAction(async (parse, ct) =>
        {
            if (!TryKey(parse, key, out var signer, out var code)) return code;
            var orderKind = parse.GetValue(kind) switch
            {
                "app" => Proto.OrderKind.App,
                "dataset" => Proto.OrderKind.Dataset,
                _ => Proto.OrderKind.Workerpool,
            };
            var order = new Proto.Order
            {
                Kind = orderKind,
                Asset = parse.GetValue(asset) ?? (orderKind == Proto.OrderKind.Workerpool ? Secp256k1.AddressOf(signer).ToLowerHex() : string.Empty),
                Price = parse.GetValue(price) ?? string.Empty,
                Volume = parse.GetValue(volume)!,
                Tag = parse.GetValue(tag) ?? string.Empty,
                Category = parse.GetValue(category) ?? string.Empty,
                Trust = parse.GetValue(trust) ?? string.Empty,
                AppRestrict = parse.GetValue(appRestrict) ?? string.Empty,
                DatasetRestrict = parse.GetValue(datasetRestrict) ?? string.Empty,
                WorkerpoolRestrict = parse.GetValue(poolRestrict) ?? string.Empty,
                RequesterRestrict = parse.GetValue(requesterRestrict) ?? string.Empty,
                Salt = parse.GetValue(salt) ?? new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToString(),
            };
            return await RunAsync(api, parse, withToken: orderKind == Proto.OrderKind.Workerpool, async (channel, headers) =>
            {
                var domain = await new Proto.OrderBook.OrderBookClient(channel).GetDomainAsync(new Proto.GetDomainRequest(), cancellationToken: ct);
                var request = new Proto.PublishOrderRequest
                {
                    Order = OrderSigning.Sign(order, signer, domain.ChainId, Address.Parse(domain.VerifyingContract)),
                    ExpiresAt = parse.GetValue(expiresAt) is { } expiry ? Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(expiry) : null,
                };
                return orderKind == Proto.OrderKind.Workerpool
                    ? await new Proto.OrderBookAdmin.OrderBookAdminClient(channel).PublishPoolOrderAsync(request, headers, cancellationToken: ct)
                    : await new Proto.OrderBook.OrderBookClient(channel).PublishOrderAsync(request, cancellationToken: ct);
            }, ct);
        });
        return publish;
    }

    private static Command Cancel(AdminApi api, Option<FileInfo> key)
    {
        var hash = new Argument<string>("hash") { Description = "The order's hash (as publish and list print it)." };
        var cancel = With(new Command("cancel", "Cancel an order: an app or dataset order with its owner's --key, a workerpool order with the pool's token.") { hash, key }, api);
        cancel.SetAction(async (parse, ct) =>
        {
            byte[]? signer = null;
            if (parse.GetValue(key) is not null && !TryKey(parse, key, out signer, out var code)) return code;
            if (!Hash32.TryParse(parse.GetValue(hash), out var digest, out var hashError)) return OwnerCall.Fail(2, $"hash: {hashError}");
            return await RunAsync(api, parse, withToken: signer is null, async (channel, headers) =>
            {
                if (signer is null)
                {
                    return await new Proto.OrderBookAdmin.OrderBookAdminClient(channel).CancelPoolOrderAsync(new Proto.CancelPoolOrderRequest { Hash = digest.ToString() }, headers, cancellationToken: ct);
                }

                var book = new Proto.OrderBook.OrderBookClient(channel);
                var domain = await book.GetDomainAsync(new Proto.GetDomainRequest(), cancellationToken: ct);
                var signature = OrderSigning.Cancellation(digest, signer, domain.ChainId, Address.Parse(domain.VerifyingContract));
                return await book.CancelOrderAsync(new Proto.CancelOrderRequest { Hash = digest.ToString(), Signature = signature }, cancellationToken: ct);
            }, ct);
        });
        return cancel;
    }

    private static Command List(AdminApi api)
    {
        var listKind = new Option<string?>("--kind") { Description = "Only app, dataset or workerpool orders." };
        listKind.AcceptOnlyFromAmong("app", "dataset", "workerpool");
        var listAsset = new Option<string?>("--asset") { Description = "Only the orders of this app, dataset or pool." };
        var pageSize = new Option<int>("--page-size") { Description = "Orders per page, 1..100 (default 50)." };
        var pageToken = new Option<string?>("--page-token") { Description = "The previous page's nextPageToken." };
        var list = With(new Command("list", "List the open orders a page at a time (public: no key, no token).") { listKind, listAsset, pageSize, pageToken }, api);
        list.SetAction((parse, ct) => RunAsync(api, parse, withToken: false, async (channel, _) =>
            await new Proto.OrderBook.OrderBookClient(channel).ListOrdersAsync(new Proto.ListOrdersRequest
            {
                Kind = parse.GetValue(listKind) switch { "app" => Proto.OrderKind.App, "dataset" => Proto.OrderKind.Dataset, "workerpool" => Proto.OrderKind.Workerpool, _ => Proto.OrderKind.Unspecified },
                Asset = parse.GetValue(listAsset) ?? string.Empty,
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? string.Empty,
            }, cancellationToken: ct), ct));
        return list;
    }

    internal static Command With(Command command, AdminApi api)
    {
        foreach (var option in api.Options) command.Options.Add(option);
        return command;
    }

    internal static bool TryKey(ParseResult parse, Option<FileInfo> key, out byte[] signer, out int code)
    {
        code = 0;
        if (parse.GetValue(key) is not { } file)
        {
            signer = [];
            code = OwnerCall.Fail(2, "--key: the signer's key file is required");
            return false;
        }

        if (!RequesterKeyFile.TryRead(file, out signer, out var error))
        {
            code = OwnerCall.Fail(2, error);
            return false;
        }

        return true;
    }

    internal static async Task<int> RunAsync(AdminApi api, ParseResult parse, bool withToken, Func<Grpc.Net.Client.GrpcChannel, Metadata, Task<Google.Protobuf.IMessage>> call, CancellationToken ct)
    {
        var (connection, error) = withToken ? api.Open(parse) : api.OpenWithoutToken(parse);
        if (connection is null) return OwnerCall.Fail(2, error!);
        using (connection)
        {
            try
            {
                Console.WriteLine(AdminApi.Json.Format(await call(connection.Channel, connection.Headers)));
                return 0;
            }
            catch (RpcException ex)
            {
                return OwnerCall.Fail(AdminApi.ExitCode(ex), $"{ex.StatusCode}: {ex.Status.Detail}");
            }
            catch (FormatException ex)
            {
                return OwnerCall.Fail(2, ex.Message);
            }
        }
    }
}
