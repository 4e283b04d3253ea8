using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Orchestrator.Chain.Rpc;
using Orchestrator.Cli.Commands.Account;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator account balance|deposit|withdraw --rpc URL --hub ADDRESS [--key FILE]`: an account's
/// free and frozen balances on the hub, and deposits and withdrawals signed with its key file. Prints
/// one JSON object; exit 0 when done, 2 on bad input, 1 when the hub or the node refuses (one line
/// naming the rule, nothing sent).
/// </summary>
internal static class AccountCommand
{
    public static Command Create()
    {
        var balance = new Command("balance", "Print an account's free balance (withdrawable; stakes come from it) and frozen balance (escrow of its unfinished deals), in wei.");
        var address = new Option<string?>("--address") { Description = "The account to read (default: the --key file's address)." };
        var balanceOptions = new Options(keyRequired: false);
        balanceOptions.AddTo(balance);
        balance.Options.Add(address);
        balance.SetAction((parse, ct) => BalanceAsync(parse, balanceOptions, parse.GetValue(address), ct));

        var deposit = MoveCommand("deposit", "Send AMOUNT from the key's account to its free balance on the hub (deposit()).", isDeposit: true);
        var withdraw = MoveCommand("withdraw", "Take AMOUNT of the key's free balance out of the hub (withdraw(amount)); frozen escrow never leaves.", isDeposit: false);
        return new Command("account", "Your balance on the pool's hub contract: read it, deposit, withdraw.") { balance, deposit, withdraw };
    }

    private static Command MoveCommand(string name, string description, bool isDeposit)
    {
        var amount = new Argument<string>("amount") { Description = "Whole wei (1500, 1500wei) or ether with up to 18 decimals (0.25eth)." };
        var options = new Options(keyRequired: true);
        var command = new Command(name, description) { amount };
        options.AddTo(command);
        command.SetAction((parse, ct) => MoveAsync(parse, options, parse.GetValue(amount)!, isDeposit, ct));
        return command;
    }

    private static async Task<int> BalanceAsync(ParseResult parse, Options options, string? addressText, CancellationToken cancellationToken)
    {
        if (!options.TryRead(parse, out var hub, out var key, out var error)) return Fail(2, error);
        Address account;
        if (addressText is not null)
        {
            if (!Address.TryParse(addressText, out account, out var addressError)) return Fail(2, $"--address: {addressError}");
        }
        else if (key is not null)
        {
            account = Secp256k1.AddressOf(key);
        }
        else
        {
            return Fail(2, "give --address or --key: whose balance?");
        }

        var rpc = options.Client(parse);
        try
        {
            Print(await hub.Account(rpc).BalanceAsync(account, cancellationToken), null);
            return 0;
        }
        catch (Exception ex) when (ex is HubAccountException or JsonRpcException or HttpRequestException)
        {
            return Fail(1, ex.Message);
        }
    }

    private static async Task<int> MoveAsync(ParseResult parse, Options options, string amountText, bool isDeposit, CancellationToken cancellationToken)
    {
        if (!options.TryRead(parse, out var hub, out var key, out var error)) return Fail(2, error);
        if (!WeiAmount.TryParse(amountText, out var amount, out var amountError)) return Fail(2, amountError);
        var rpc = options.Client(parse);
        try
        {
            var account = hub.Account(rpc);
            var move = isDeposit ? await account.DepositAsync(key!, amount, cancellationToken) : await account.WithdrawAsync(key!, amount, cancellationToken);
            Print(move.Balance, move.Transaction);
            return 0;
        }
        catch (Exception ex) when (ex is HubAccountException or JsonRpcException or HttpRequestException)
        {
            return Fail(1, ex.Message);
        }
    }

    private static void Print(HubBalance balance, Hash32? transaction)
    {
        static string Wei(BigInteger v) => v.ToString(CultureInfo.InvariantCulture);
        var output = transaction is { } tx
            ? JsonSerializer.Serialize(new { account = balance.Account.ToChecksumString(), free = Wei(balance.Free), frozen = Wei(balance.Frozen), transaction = tx.ToString() })
            : JsonSerializer.Serialize(new { account = balance.Account.ToChecksumString(), free = Wei(balance.Free), frozen = Wei(balance.Frozen) });
        Console.WriteLine(output);
    }

    internal static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }

    /// <summary>The options every account command shares.</summary>
    internal sealed class Options(bool keyRequired)
    {
        // A string parsed here: System.CommandLine has no converter for Uri and would throw instead of saying what is wrong.
        public Option<string> Rpc { get; } = new("--rpc") { Description = "The chain's JSON-RPC endpoint, e.g. http://127.0.0.1:8545.", Required = true };

        public Option<string> Hub { get; } = new("--hub") { Description = "The OrchestratorHub contract's address.", Required = true };

        public Option<FileInfo?> Key { get; } = new("--key") { Description = "The account's private key file (32 bytes in hex, one line, as `result keygen` writes it).", Required = keyRequired };

        public void AddTo(Command command)
        {
            command.Options.Add(Rpc);
            command.Options.Add(Hub);
            command.Options.Add(Key);
        }

        public bool TryRead(ParseResult parse, out HubTarget hub, out byte[]? key, out string error)
        {
            hub = default;
            key = null;
            error = string.Empty;
            var hubText = parse.GetValue(Hub)!;
            if (!Address.TryParse(hubText, out var address, out _) || address.IsZero)
            {
                error = $"--hub: \"{hubText}\" is not a contract address (20 bytes in hex, not zero)";
                return false;
            }

            var rpcText = parse.GetValue(Rpc)!;
            if (!Uri.TryCreate(rpcText, UriKind.Absolute, out var rpc) || (rpc.Scheme != Uri.UriSchemeHttp && rpc.Scheme != Uri.UriSchemeHttps))
            {
                error = $"--rpc: \"{rpcText}\" is not an http(s) URL";
                return false;
            }

            hub = new HubTarget(address);
            if (parse.GetValue(Key) is { } file)
            {
                if (!RequesterKeyFile.TryRead(file, out var bytes, out error)) return false;
                key = bytes;
            }

            return true;
        }

        public EthereumRpcClient Client(ParseResult parse)
            => new(new HttpClient(), new EthereumRpcClientOptions { Endpoint = new Uri(parse.GetValue(Rpc)!) });
    }

    internal readonly record struct HubTarget(Address Address)
    {
        public HubAccount Account(EthereumRpcClient rpc) => new(rpc, Address);
    }
}
