using System.CommandLine;
using Orchestrator.Cli.Commands.Chain;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator chain tx decode HEX`: prints a raw signed transaction as one JSON object.</summary>
internal static class ChainCommand
{
    public static Command Create()
    {
        var hex = new Argument<string>("hex") { Description = "The raw signed transaction (legacy, EIP-2930 or EIP-1559) as hex, with or without 0x." };
        var decode = new Command("decode", "Decode a raw signed transaction; exits non-zero with the reason when it is malformed.") { hex };
        decode.SetAction(parse => TransactionDecodeCommand.Run(parse.GetValue(hex)!, Console.Out, Console.Error));
        var tx = new Command("tx", "Transaction tools.") { decode };
        return new Command("chain", "Ethereum tools.") { tx };
    }
}
