using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orchestrator.Domain.Containers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;
using Orchestrator.Worker.Execution.Containers;

namespace Orchestrator.Worker.Tests;

/// <summary>
/// The Docker executor on a real engine (podman's Docker-compatible API) with images pulled by digest from a
/// real local registry (ContainerRuntime). Each test checks that nothing of its run stays in the engine.
/// </summary>
[Collection(ContainerCollection.Name)]
public sealed class ContainerExecutionTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _agent = "0x" + Guid.NewGuid().ToString("n") + "00000000";
    private readonly DockerEngineClient _engine = new(ContainerRuntime.SocketPath);

    [ContainerFact]
    public async Task The_app_reads_its_input_writes_its_output_and_leaves_nothing_behind()
    {
        var request = Request(ContainerRuntime.AppImage, "echo a b") with { Inputs = [new InputFile("in.txt", "hello input"u8.ToArray())] };

        var result = await RunAsync(request);

        Assert.True(result.Outcome == ExecutionOutcome.Completed, result.Message);
        var output = await File.ReadAllTextAsync(Path.Combine(Workspace(request).OutputDirectory, "result.txt"));
        Assert.Contains($"task {request.TaskId} index 7", output, StringComparison.Ordinal);
        Assert.Contains("args a b", output, StringComparison.Ordinal);
        Assert.Contains("input in.txt\nhello input", output, StringComparison.Ordinal);
        Assert.NotNull(result.ResultDigest);
        Assert.Contains("computed", await File.ReadAllTextAsync(Path.Combine(Workspace(request).LogDirectory, "stdout.log")), StringComparison.Ordinal);
        await AssertNothingLeftAsync();
    }

    [ContainerFact]
    public async Task The_app_has_no_network_a_read_only_root_and_input_and_no_capabilities()
    {
        var request = Request(ContainerRuntime.AppImage, "probe") with { Inputs = [new InputFile("in.txt", "x"u8.ToArray())] };

        var result = await RunAsync(request);

        Assert.True(result.Outcome == ExecutionOutcome.Completed, result.Message);
        var probe = (await File.ReadAllLinesAsync(Path.Combine(Workspace(request).OutputDirectory, "probe.txt"))).Select(l => l.Replace('\t', ' ')).ToList();
        Assert.Contains("CapEff: 0000000000000000", probe);
        Assert.Contains("CapBnd: 0000000000000000", probe);
        Assert.Contains("NoNewPrivs: 1", probe);
        Assert.Contains("interfaces lo ", probe);
        Assert.Contains("root read-only", probe);
        Assert.Contains("input read-only", probe);
        Assert.Contains("network unreachable", probe);
        await AssertNothingLeftAsync();
    }

    [ContainerFact]
    public async Task An_app_over_its_memory_limit_is_killed_and_reported_failed_for_memory()
    {
        var request = Request(ContainerRuntime.AppImage, "alloc 256") with { MemoryMb = 64 };

        var result = await RunAsync(request);

        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Contains("memory limit of 64 MiB", result.Message, StringComparison.Ordinal);
        await AssertNothingLeftAsync();
    }

    [ContainerFact]
    public async Task An_app_that_outlives_its_max_run_time_is_killed_and_reported_timed_out()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var request = Request(ContainerRuntime.AppImage, "sleep 600") with { MaxRunTime = TimeSpan.FromMinutes(5) };
        var run = RunAsync(request, time);

        // Once the container runs, its max run time passes on the injected clock.
        await Eventually.UntilAsync("the app's container is running", async () => (await _engine.ListContainersAsync(ContainerSpec.AgentLabel, _agent, CancellationToken.None)).Count == 1 && !run.IsCompleted);
        await Eventually.UntilAsync("the overrun is noticed", () =>
        {
            time.Advance(TimeSpan.FromMinutes(5));
            return run.IsCompleted;
        });

        var result = await run;
        Assert.Equal(ExecutionOutcome.TimedOut, result.Outcome);
        Assert.Contains("max run time", result.Message, StringComparison.Ordinal);
        await AssertNothingLeftAsync();
    }

    [ContainerFact]
    public async Task A_failing_app_is_reported_with_its_exit_code_and_its_stderr_kept()
    {
        var request = Request(ContainerRuntime.AppImage, "fail 3");

        var result = await RunAsync(request);

        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("failing with 3", await File.ReadAllTextAsync(Path.Combine(Workspace(request).LogDirectory, "stderr.log")), StringComparison.Ordinal);
        await AssertNothingLeftAsync();
    }

    [ContainerFact]
    public async Task An_image_whose_digest_is_not_the_registrys_is_refused_and_nothing_runs()
    {
        var app = ImageReference.Parse(ContainerRuntime.AppImage);
        var wrong = app.Repository + "@sha256:" + new string('0', 64);

        var result = await RunAsync(Request(wrong, "echo"));

        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Contains(wrong, result.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be pulled", result.Message, StringComparison.Ordinal);
        Assert.Null(await _engine.InspectImageAsync(wrong, CancellationToken.None));
        await AssertNothingLeftAsync();
    }

    [ContainerFact]
    public async Task An_image_already_held_by_digest_is_not_pulled_again()
    {
        var image = ImageReference.Parse(ContainerRuntime.AppImage);
        var puller = new ImagePuller(_engine, Pull, TimeProvider.System);
        await _engine.RemoveImageAsync(image.ToString(), CancellationToken.None);

        var cold = await puller.EnsureAsync(image, CancellationToken.None);
        var warm = await puller.EnsureAsync(image, CancellationToken.None);

        Assert.Equal(new ImageFetch(true, 1), cold);
        Assert.Equal(new ImageFetch(false, 0), warm);
    }

    [ContainerFact]
    public async Task A_restarted_agent_removes_the_containers_its_killed_run_left_and_only_those()
    {
        // What a killed agent leaves: its running container, labelled with its id, and another agent's beside it.
        var request = Request(ContainerRuntime.AppImage, "sleep 600");
        await new ImagePuller(_engine, Pull, TimeProvider.System).EnsureAsync(ImageReference.Parse(ContainerRuntime.AppImage), CancellationToken.None);
        var other = "0x" + Guid.NewGuid().ToString("n") + "11111111";
        var mine = await StartLeftoverAsync(request, _agent);
        var theirs = await StartLeftoverAsync(request, other);
        try
        {
            var removed = await Executor(TimeProvider.System).RemoveLeftoversAsync(CancellationToken.None);

            Assert.Equal(1, removed);
            await AssertNothingLeftAsync();
            Assert.Equal([theirs], await _engine.ListContainersAsync(ContainerSpec.AgentLabel, other, CancellationToken.None));
        }
        finally
        {
            await _engine.RemoveContainerAsync(mine, CancellationToken.None);
            await _engine.RemoveContainerAsync(theirs, CancellationToken.None);
        }
    }

    public void Dispose()
    {
        _engine.Dispose();
        _dir.Dispose();
    }

    private static readonly PullPolicy Pull = new(TimeSpan.FromMinutes(2), 2, 1L << 30, TimeSpan.FromMilliseconds(100));

    private DockerExecutor Executor(TimeProvider time)
        => new(_engine, new DockerExecutorSettings(_agent, Pull, 64, 16L << 20), time, NullLogger<DockerExecutor>.Instance);

    private Task<ExecutionResult> RunAsync(ExecutionRequest request, TimeProvider? time = null)
        => Executor(time ?? TimeProvider.System).RunAsync(request, TaskWorkspace.Create(_dir.Path, request.TaskId), CancellationToken.None);

    private TaskWorkspace Workspace(ExecutionRequest request) => TaskWorkspace.At(_dir.Path, request.TaskId);

    private async Task<string> StartLeftoverAsync(ExecutionRequest request, string agent)
    {
        var workspace = TaskWorkspace.Create(_dir.Path, new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var body = ContainerSpec.Build(request, workspace, request.App.Image!, agent, ["sleep", "600"], 64);
        body["Cmd"] = new System.Text.Json.Nodes.JsonArray("sleep", "600");
        var id = await _engine.CreateContainerAsync(ContainerSpec.Name(request), body, CancellationToken.None);
        await _engine.StartContainerAsync(id, CancellationToken.None);
        return id;
    }

    private async Task AssertNothingLeftAsync()
    {
        Assert.Empty(await _engine.ListContainersAsync(ContainerSpec.AgentLabel, _agent, CancellationToken.None));
        Assert.Empty(await _engine.ListVolumesAsync(ContainerSpec.AgentLabel, _agent, CancellationToken.None));
    }

    private static ExecutionRequest Request(string image, string parameters) => new()
    {
        TaskId = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        DealId = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
        Index = 7,
        App = new AllowedApp(Address.Parse("0x0000000000000000000000000000000000000001"), null, [], image, null),
        Params = parameters,
        MaxRunTime = TimeSpan.FromMinutes(2),
        Cores = 1,
        MemoryMb = 128,
    };
}

/// <summary>The container tests share one engine and remove images the others use: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ContainerCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "containers";
}
