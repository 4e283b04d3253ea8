using System.CommandLine;
using Orchestrator.Cli.Commands.Attest;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator attest verify`: verifies an Intel DCAP quote against collateral at a given instant.</summary>
internal static class AttestCommand
{
    public static Command Create()
    {
        var quote = new Option<FileInfo>("--quote") { Description = "The quote file (binary, or hex text).", Required = true };
        var collateral = new Option<FileInfo>("--collateral") { Description = "The collateral: one JSON object in the dcap-qvl shape.", Required = true };
        var at = new Option<string>("--at") { Description = "The instant to verify at: ISO-8601 (UTC when no offset), unix seconds, or 'now'.", DefaultValueFactory = _ => "now" };
        var noRevocation = new Option<bool>("--no-revocation") { Description = "Do not require CRLs (for collateral that ships none). Never the default." };
        var testRoot = new Option<FileInfo?>("--test-root") { Description = "Also trust this test root CA (PEM) besides Intel's: for quotes from a test TEE. Never for production evidence." };
        var verify = new Command("verify", "Verify a DCAP quote; prints one JSON object and exits 0 only when verification succeeded.") { quote, collateral, at, noRevocation, testRoot };
        verify.SetAction((parse, _) => AttestVerifyCommand.RunAsync(
            parse.GetValue(quote)!.FullName, parse.GetValue(collateral)!.FullName, parse.GetValue(at)!, parse.GetValue(noRevocation), parse.GetValue(testRoot)?.FullName, Console.Out, Console.Error));
        return new Command("attest", "Remote attestation tools.") { verify };
    }
}
