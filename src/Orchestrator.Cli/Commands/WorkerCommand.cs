using System.CommandLine;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Cli.Commands;

/// <summary>`orchestrator worker ...`: the worker agent (the same program as `orchestrator-worker`), every argument passed through.</summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var command = new Command("worker", "Run the worker agent (same as orchestrator-worker; `orchestrator worker help` lists its options).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (parse, _) => await WorkerProgram.RunAsync([.. parse.UnmatchedTokens]));
        return command;
    }
}
