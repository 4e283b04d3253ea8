using System.Formats.Tar;
using System.Text;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.EndToEnd.Tests.Infrastructure;
using Orchestrator.Worker.Execution.Containers;

namespace Orchestrator.EndToEnd.Tests;

/// <summary>A pool whose one app is the test image in the local registry (Orchestrator:Api:AppImages).</summary>
public sealed class ContainerPoolServer : PoolServer
{
    /// <summary>The app's address in deals.</summary>
    public static readonly Address App = Address.Parse("0x00000000000000000000000000000000c0ffee01");

    /// <inheritdoc />
    protected override Dictionary<string, string> AppImages()
        => ContainerRuntime.UnavailableReason is null ? new() { [App.ToLowerHex()] = ContainerRuntime.AppImage } : [];
}

/// <summary>
/// A deal whose tasks run in real containers: the pool names the app's image by digest, the worker (Docker
/// executor on podman, no app list) pulls it from the local registry, runs each task sandboxed and contributes.
/// </summary>
public sealed class ContainerPoolTests(ContainerPoolServer server) : IClassFixture<ContainerPoolServer>
{
    [ContainerFact]
    public async Task A_deals_tasks_run_in_containers_pulled_by_digest_from_the_local_registry()
    {
        using var engine = new DockerEngineClient(ContainerRuntime.SocketPath);
        await engine.RemoveImageAsync(ContainerRuntime.AppImage, CancellationToken.None); // the worker's pull is a real one
        using var worker = await WorkerAgentProcess.StartDockerAuthorizedAsync(server, "container-worker", ContainerRuntime.SocketPath);
        var dealId = await server.SubmitDealAsync(ContainerPoolServer.App, tasks: 3, trust: 1, "echo alpha 'beta gamma'");

        await Eventually.UntilAsync("the deal to finish", async () => (await server.DealAsync(dealId)).Deal.Open == 0, TimeSpan.FromSeconds(120),
            () => $"--- worker\n{worker.Process.Output}\n--- server\n{server.Process.Output}");
        var (deal, tasks) = await server.DealAsync(dealId);

        Assert.True(deal.Completed == 3, $"{deal}\n{worker.Process.Output}");
        foreach (var task in tasks)
        {
            var output = await ResultFileAsync(task.TaskId);
            Assert.Equal($"task {Hash32.Parse(task.TaskId)} index {task.Index}\nargs alpha beta gamma\n", output);
        }

        Assert.NotNull(await engine.InspectImageAsync(ContainerRuntime.AppImage, CancellationToken.None));
        Assert.Empty(await engine.ListContainersAsync(ContainerSpec.AgentLabel, worker.Address.ToLowerHex(), CancellationToken.None));
        worker.Process.Terminate();
    }

    [ContainerFact]
    public async Task An_agent_killed_mid_task_leaves_its_container_and_its_restart_removes_it()
    {
        using var engine = new DockerEngineClient(ContainerRuntime.SocketPath);
        using var worker = await WorkerAgentProcess.StartDockerAuthorizedAsync(server, "killed-worker", ContainerRuntime.SocketPath, slots: 1);
        var label = worker.Address.ToLowerHex();
        var dealId = await server.SubmitDealAsync(ContainerPoolServer.App, tasks: 1, trust: 1, "sleep 600");
        var running = await Eventually.ForAsync("the task's container to run", () => engine.ListContainersAsync(ContainerSpec.AgentLabel, label, CancellationToken.None),
            ids => ids.Count == 1, TimeSpan.FromSeconds(90), describe: _ => worker.Process.Output);
        var leftover = running[0];

        worker.Process.Kill(); // SIGKILL: the agent cannot clean up; its container, a child of the engine, runs on
        Assert.True(await worker.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(leftover, await engine.ListContainersAsync(ContainerSpec.AgentLabel, label, CancellationToken.None));

        using var restarted = worker.Restart();
        await Eventually.UntilAsync("the restarted agent to remove what the killed one left", async () =>
            !(await engine.ListContainersAsync(ContainerSpec.AgentLabel, label, CancellationToken.None)).Contains(leftover), TimeSpan.FromSeconds(60), () => restarted.Process.Output);

        // It may run the resumed task again; drained, it gives it back and removes that container too.
        restarted.Process.Terminate();
        Assert.True(await restarted.Process.WaitForExitAsync(TimeSpan.FromSeconds(60)), restarted.Process.Output);
        Assert.Empty(await engine.ListContainersAsync(ContainerSpec.AgentLabel, label, CancellationToken.None));
    }

    private async Task<string> ResultFileAsync(string taskId)
    {
        using var download = server.Admin.DownloadResult(new DownloadResultRequest { TaskId = taskId }, server.Owner);
        using var bytes = new MemoryStream();
        await foreach (var chunk in download.ResponseStream.ReadAllAsync())
        {
            chunk.Data.WriteTo(bytes);
        }

        bytes.Position = 0;
        using var tar = new TarReader(bytes);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name == "result.txt" && entry.DataStream is { } data)
            {
                using var reader = new StreamReader(data, Encoding.UTF8);
                return await reader.ReadToEndAsync();
            }
        }

        return string.Empty;
    }
}
