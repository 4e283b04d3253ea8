using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Tests;

public sealed class DockerExecutorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void The_run_command_isolates_the_container_and_passes_the_task_after_the_image()
    {
        var request = Request("registry.example/app@sha256:" + new string('a', 64));
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);

        var args = DockerExecutor.BuildRunArguments(request, workspace, "orch-x", ["--n", "3"]);

        Assert.Equal(["run", "--rm", "--name", "orch-x"], args.Take(4));
        AssertPair(args, "--network", "none");
        AssertPair(args, "--memory", "768m");
        AssertPair(args, "--memory-swap", "768m");
        AssertPair(args, "--cpus", "2");
        AssertPair(args, "--cap-drop", "ALL");
        AssertPair(args, "--security-opt", "no-new-privileges");
        Assert.Contains("--read-only", args);
        AssertPair(args, "--mount", $"type=bind,source={workspace.InputDirectory},target=/iexec_in,readonly");
        AssertPair(args, "--mount", $"type=bind,source={workspace.OutputDirectory},target=/iexec_out");
        AssertPair(args, "--env", "IEXEC_OUT=/iexec_out");
        AssertPair(args, "--env", $"IEXEC_TASK_ID={request.TaskId}");
        AssertPair(args, "--env", "IEXEC_DATASET_ADDRESS=" + request.Dataset);

        var image = args.ToList().IndexOf(request.App.Image!);
        Assert.True(image > 0, "the image is in the argv");
        Assert.Equal(["--mode", "fast", "--n", "3"], args.Skip(image + 1));
        Assert.DoesNotContain(args.Take(image), a => a == "--n"); // task arguments never reach docker's own options
    }

    [Fact]
    public void A_tee_tasks_secrets_are_mounted_read_only_and_passed_by_variable_name_never_by_value_in_the_argv()
    {
        var request = Request("img") with { Secrets = [new AppSecret(AppSecretOwner.Dataset, "key", "s3cr3t-dataset-key"u8.ToArray())] };
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);

        var args = DockerExecutor.BuildRunArguments(request, workspace, "orch-x", []);

        AssertPair(args, "--mount", $"type=bind,source={workspace.SecretDirectory},target=/iexec_secrets,readonly");
        AssertPair(args, "--env", "IEXEC_DATASET_KEY");
        AssertPair(args, "--env", "IEXEC_SECRETS_DIR");
        Assert.DoesNotContain(args, a => a.Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Fact]
    public void An_image_that_looks_like_an_option_is_refused()
    {
        var request = Request("--privileged");
        Assert.Throws<ArgumentException>(() => DockerExecutor.BuildRunArguments(request, TaskWorkspace.Create(_dir.Path, request.TaskId), "n", []));
    }

    [Fact]
    public void The_container_name_is_unique_per_task_and_valid_for_docker()
    {
        var name = DockerExecutor.ContainerName(Request("img"));
        Assert.Matches("^orch-[0-9a-f]{24}$", name);
    }

    private static void AssertPair(IReadOnlyList<string> args, string option, string value)
    {
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == option && args[i + 1] == value) return;
        }

        Assert.Fail($"expected {option} {value} in: {string.Join(' ', args)}");
    }

    private static ExecutionRequest Request(string image) => new()
    {
        TaskId = Hash32.Parse("0x" + new string('4', 64)),
        DealId = Hash32.Parse("0x" + new string('d', 64)),
        Index = 3,
        App = new AllowedApp(Address.Parse("0x0000000000000000000000000000000000000001"), null, ["--mode", "fast"], image, null),
        Dataset = Address.Parse("0x00000000000000000000000000000000000000aa"),
        MaxRunTime = TimeSpan.FromMinutes(1),
        Cores = 2,
        MemoryMb = 768,
    };

    public void Dispose() => _dir.Dispose();
}
