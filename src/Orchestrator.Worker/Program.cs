using Orchestrator.Worker.Hosting;

return await WorkerProgram.RunAsync(args);
