using Orchestrator.Enclave;

return await RunnerProgram.RunAsync(args, Console.In, Console.Out, Console.Error).ConfigureAwait(false);
