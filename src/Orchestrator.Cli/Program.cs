using System.CommandLine;
using Orchestrator.Cli.Commands;

var root = new RootCommand("Orchestrator: a distributed task orchestrator for confidential computing (PoCo rules on Orleans).");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(AttestCommand.Create());
root.Subcommands.Add(ChainCommand.Create());
root.Subcommands.Add(DbCommand.Create());
root.Subcommands.Add(DealCommand.Create());
root.Subcommands.Add(HealthCommand.Create());
root.Subcommands.Add(ResultCommand.Create());
root.Subcommands.Add(PoolCommand.Create());
root.Subcommands.Add(WorkerCommand.Create());
root.Subcommands.Add(AppCommand.Create());
root.Subcommands.Add(DatasetCommand.Create());
root.Subcommands.Add(OrderCommand.Create());
root.Subcommands.Add(SecretCommand.Create());
return await root.Parse(args).InvokeAsync();
