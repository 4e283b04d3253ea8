using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Orchestrator.Chain.Rpc;
using Orchestrator.Cli.Commands.Account;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator pool stake-ratio [PERCENT] --rpc URL --hub ADDRESS (--key FILE | --pool ADDRESS)`: the stake each
/// contributor of the pool's future deals locks, in percent of the pool price (the hub's setWorkerStakeRatio, signed with
/// the pool owner's key; 30 % until set). Without PERCENT it prints the ratio, which anyone may read: the pool is then named
/// by --pool or by the key's address. The hub is called directly, not the silo: the ratio lives on chain.
/// Prints one JSON object; exit 0 when done, 2 on bad input, 1 when the hub or the node refuses (nothing sent).
/// </summary>
internal static class PoolStakeRatioCommand
{
    public static Command Create()
    {
        var percent = new Argument<string?>("percent") { Description = "0 (no stake) .. 100; omit to print the current ratio.", Arity = ArgumentArity.ZeroOrOne };
        var options = new AccountCommand.Options(keyRequired: false);
        var pool = new Option<string?>("--pool") { Description = "The pool's address, to read its ratio without its key." };
        var command = new Command("stake-ratio", "Read (with --pool or --key) or set (with the pool owner's --key) the stake each worker locks per contribution, in percent of the pool price, on the hub.") { percent };
        options.AddTo(command);
        command.Options.Add(pool);
        command.SetAction((parse, ct) => RunAsync(parse, options, parse.GetValue(percent), parse.GetValue(pool), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, AccountCommand.Options options, string? percentText, string? poolText, CancellationToken cancellationToken)
    {
        if (!options.TryRead(parse, out var hub, out var key, out var error)) return AccountCommand.Fail(2, error);
        if (!TryReadPool(key, poolText, percentText is not null, out var pool, out error)) return AccountCommand.Fail(2, error);
        BigInteger? percent = null;
        if (percentText is not null)
        {
            if (!int.TryParse(percentText, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > 100)
            {
                return AccountCommand.Fail(2, $"percent: \"{percentText}\" is not a whole percentage 0..100 (rule: a stake is a share of the pool price)");
            }

            percent = value;
        }

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

    /// <summary>The pool named: by its key (required to set the ratio), or by --pool to read it; both must agree when both are given.</summary>
    private static bool TryReadPool(byte[]? key, string? poolText, bool setting, out Address pool, out string error)
    {
        pool = key is null ? default : Secp256k1.AddressOf(key);
        error = string.Empty;
        if (setting && key is null)
        {
            error = "--key: setting the ratio needs the pool owner's key (rule: only the pool's owner signs setWorkerStakeRatio)";
            return false;
        }

        if (poolText is null)
        {
            error = key is null ? "--pool or --key: name the pool whose ratio to read" : string.Empty;
            return key is not null;
        }

        if (!Address.TryParse(poolText, out var named, out _) || named.IsZero)
        {
            error = $"--pool: \"{poolText}\" is not an address (20 bytes in hex, not zero)";
            return false;
        }

        if (key is not null && named != pool)
        {
            error = $"--pool: {named.ToChecksumString()} is not the address of --key ({pool.ToChecksumString()})";
            return false;
        }

        pool = named;
        return true;
    }
}
