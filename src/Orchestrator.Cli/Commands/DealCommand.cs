using System.CommandLine;
using System.Numerics;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using TeeKind = Orchestrator.Domain.Deals.TeeKind;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator deal submit|status`: off-chain deals through the pool owner's gRPC admin API
/// (SubmitDeal, GetDeal), with the owner's token; the CLI is never a client of the cluster itself.
/// </summary>
internal static class DealCommand
{
    public static Command Create()
    {
        var admin = new AdminApi();

        var tasks = new Option<int>("--tasks") { Description = "botSize: tasks in the deal.", DefaultValueFactory = _ => 10 };
        var trust = new Option<int>("--trust") { Description = "Requested trust.", DefaultValueFactory = _ => 1 };
        var category = new Option<string>("--category") { Description = "Category name (XS, S, M, L, XL) or id.", DefaultValueFactory = _ => "XS" };
        var tee = new Option<TeeKind>("--tee") { Description = "TEE kind the tasks need: None, Sgx or Tdx.", DefaultValueFactory = _ => TeeKind.None };
        var price = new Option<string>("--price") { Description = "Workerpool price per task, in wei.", DefaultValueFactory = _ => "0" };
        var parameters = new Option<string>("--params") { Description = "The app's arguments.", DefaultValueFactory = _ => string.Empty };
        var app = new Option<string>("--app") { Description = "The app's address.", DefaultValueFactory = _ => "0x0000000000000000000000000000000000000001" };
        var requester = new Option<string>("--requester") { Description = "The requester's address.", DefaultValueFactory = _ => "0x0000000000000000000000000000000000000002" };
        var beneficiaryKey = new Option<string>("--beneficiary-key") { Description = "The beneficiary's public key (0x + 128 hex digits, as `result keygen` prints it): results and logs are encrypted for it." };
        var publicResults = new Option<bool>("--public-results") { Description = "Results may be stored in clear (a TEE deal needs this or --beneficiary-key)." };
        var submit = new Command("submit", "Submit an off-chain deal; prints the reply (its id) as JSON.")
        {
            tasks, trust, category, tee, price, parameters, app, requester, beneficiaryKey, publicResults,
        };
        submit.SetAction(async (parse, cancellationToken) =>
        {
            if (!Address.TryParse(parse.GetValue(app), out var appAddress, out var appError)) return Fail($"--app: {appError}");
            if (!Address.TryParse(parse.GetValue(requester), out var requesterAddress, out var requesterError)) return Fail($"--requester: {requesterError}");
            if (!BigInteger.TryParse(parse.GetValue(price), out var wei) || wei.Sign < 0) return Fail("--price must be a non-negative integer number of wei");
            var categoryText = parse.GetValue(category)!;
            var categoryId = int.TryParse(categoryText, out var id) ? id : CategoryCatalog.Default.FindByName(categoryText)?.Id;
            if (categoryId is null) return Fail($"--category: unknown category '{categoryText}'");
            var tag = parse.GetValue(tee) switch
            {
                TeeKind.Sgx => TeeTag.Tee | TeeTag.Scone,
                TeeKind.Tdx => TeeTag.Tee | TeeTag.Tdx,
                _ => 0u,
            };
            var key = parse.GetValue(beneficiaryKey) ?? string.Empty;
            if (key.Length > 0 && (!Hex.TryDecode(key, out var keyBytes, out var keyError) || !Secp256k1.IsPublicKey(keyBytes.Length == 65 && keyBytes[0] == 0x04 ? keyBytes[1..] : keyBytes)))
            {
                return Fail("--beneficiary-key: not a secp256k1 public key (64 bytes X ‖ Y on the curve, as `orchestrator result keygen` prints it)");
            }

            var deal = new Deal
            {
                Requester = requesterAddress.ToLowerHex(),
                App = appAddress.ToLowerHex(),
                Category = categoryId.Value,
                Trust = parse.GetValue(trust),
                TeeTag = (uint)tag,
                BotSize = parse.GetValue(tasks),
                TaskPrice = wei.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Cores = 1,
                MemoryMb = 512,
                Params = parse.GetValue(parameters)!,
                BeneficiaryKey = key,
                PublicResults = parse.GetValue(publicResults),
            };
            return await admin.CallAsync(parse, cancellationToken, (client, headers) =>
                client.SubmitDealAsync(new SubmitDealRequest { Deal = deal }, headers, cancellationToken: cancellationToken).ResponseAsync);
        });

        var dealIdArgument = new Argument<string>("dealId") { Description = "The deal id (0x + 64 hex digits)." };
        var status = new Command("status", "Print a deal's progress as JSON.") { dealIdArgument };
        status.SetAction(async (parse, cancellationToken) =>
        {
            if (!Hash32.TryParse(parse.GetValue(dealIdArgument), out var dealId, out var error)) return Fail($"dealId: {error}");
            return await admin.CallAsync(parse, cancellationToken, async (client, headers) =>
                (await client.GetDealAsync(new GetDealRequest { DealId = dealId.ToString(), PageSize = 0 }, headers, cancellationToken: cancellationToken)).Deal);
        });

        var command = new Command("deal", "Submit and watch deals through a silo's admin API.") { submit, status };
        foreach (var option in admin.Options)
        {
            command.Options.Add(option);
        }

        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine(message);
        return 2;
    }
}
