using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Orchestrator.Chain.Rpc;
using Orchestrator.Cli.Commands.Account;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator pool stake-ratio [PERCENT] --rpc URL --hub ADDRESS --key FILE`: the stake each contributor of the pool's
/// future deals locks, in percent of the pool price (the hub's setWorkerStakeRatio, signed with the pool owner's key; 30 %
/// until set). Without PERCENT it prints the ratio. The hub is called directly, not the silo: the ratio lives on chain.
/// Prints one JSON object; exit 0 when done, 2 on bad input, 1 when the hub or the node refuses (nothing sent).
/// </summary>
internal static class PoolStakeRatioCommand
{
    public static Command Create()
    {
        var percent = new Argument<string?>("percent") { Description = "0 (no stake) .. 100; omit to print the current ratio.", Arity = ArgumentArity.ZeroOrOne };
        var options = new AccountCommand.Options(keyRequired: true);
        var command = new Command("stake-ratio", "Read or set (with the pool owner's --key) the stake each worker locks per contribution, in percent of the pool price, on the hub.") { percent };
        options.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(parse, options, parse.GetValue(percent), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, AccountCommand.Options options, string? percentText, CancellationToken cancellationToken)
    {
        if (!options.TryRead(parse, out var hub, out var key, out var error)) return AccountCommand.Fail(2, error);
        BigInteger? percent = null;
        if (percentText is not null)
        {
            if (!int.TryParse(percentText, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 100)
            {
                return AccountCommand.Fail(2, $"percent: \"{percentText}\" is not a whole percentage 0..100 (rule: a stake is a share of the pool price)");
            }

            percent = value;
        }

        var pool = Secp256k1.AddressOf(key!);
        var account = hub.Account(options.Client(parse));
        try
        {
            var transaction = percent is { } p ? await account.SetWorkerStakeRatioAsync(key!, p, cancellationToken) : (Hash32?)null;
            var ratio = (int)await account.WorkerStakeRatioAsync(pool, cancellationToken);
            Console.WriteLine(transaction is { } tx
                ? JsonSerializer.Serialize(new { pool = pool.ToChecksumString(), workerStakeRatioPercent = ratio, transaction = tx.ToString() })
                : JsonSerializer.Serialize(new { pool = pool.ToChecksumString(), workerStakeRatioPercent = ratio }));
            return 0;
        }
        catch (Exception ex) when (ex is HubAccountException or JsonRpcException or HttpRequestException)
        {
            return AccountCommand.Fail(1, ex.Message);
        }
    }
}
