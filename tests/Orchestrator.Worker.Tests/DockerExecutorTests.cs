using System.Text;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Execution;
using Orchestrator.Worker.Execution.Containers;
using Orchestrator.Domain.Containers;

namespace Orchestrator.Worker.Tests;

/// <summary>The Docker executor's pure parts: the container it asks for, the app it picks, the logs it reads, the digest it checks.</summary>
public sealed class DockerExecutorTests : IDisposable
{
    private static readonly string Digest = "sha256:" + new string('a', 64);
    private static readonly Address App = Address.Parse("0x0000000000000000000000000000000000000001");
    private readonly TempDirectory _dir = new();

    [Fact]
    public void The_container_has_no_network_a_read_only_root_no_capabilities_the_tasks_limits_and_its_input_read_only()
    {
        var request = Request("registry.example/app@" + Digest);
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);

        var body = ContainerSpec.Build(request, workspace, request.App.Image!, "0xagent", ["--n", "3"], pidsLimit: 64);
        var host = body["HostConfig"]!;

        Assert.Equal("none", (string?)host["NetworkMode"]);
        Assert.True((bool)body["NetworkDisabled"]!);
        Assert.True((bool)host["ReadonlyRootfs"]!);
        Assert.Equal(["ALL"], host["CapDrop"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(["no-new-privileges"], host["SecurityOpt"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(768L * 1024 * 1024, (long)host["Memory"]!);
        Assert.Equal(768L * 1024 * 1024, (long)host["MemorySwap"]!);
        Assert.Equal(2_000_000_000L, (long)host["NanoCpus"]!);
        Assert.Equal(64, (int)host["PidsLimit"]!);
        var mounts = host["Mounts"]!.AsArray();
        Assert.Contains(mounts, m => (string?)m!["Source"] == workspace.InputDirectory && (string?)m["Target"] == "/iexec_in" && (bool)m["ReadOnly"]!);
        Assert.Contains(mounts, m => (string?)m!["Source"] == workspace.OutputDirectory && (string?)m["Target"] == "/iexec_out" && !(bool)m["ReadOnly"]!);
        Assert.Equal("0xagent", (string?)body["Labels"]![ContainerSpec.AgentLabel]);
        Assert.Equal(request.TaskId.ToString(), (string?)body["Labels"]![ContainerSpec.TaskLabel]);
        var env = body["Env"]!.AsArray().Select(e => (string?)e).ToList();
        Assert.Contains("IEXEC_OUT=/iexec_out", env);
        Assert.Contains($"IEXEC_TASK_ID={request.TaskId}", env);
        // The app's configured arguments, then the task's: never options of the engine.
        Assert.Equal(["--mode", "fast", "--n", "3"], body["Cmd"]!.AsArray().Select(c => (string?)c));
    }

    [Fact]
    public void A_tee_tasks_secrets_are_mounted_read_only_and_given_in_the_environment()
    {
        var request = Request("registry.example/app@" + Digest) with { Secrets = [new AppSecret(AppSecretOwner.Dataset, "key", "s3cr3t"u8.ToArray())] };
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);

        var body = ContainerSpec.Build(request, workspace, request.App.Image!, "0xagent", [], 64);

        Assert.Contains(body["HostConfig"]!["Mounts"]!.AsArray(), m => (string?)m!["Target"] == "/iexec_secrets" && (bool)m["ReadOnly"]!);
        Assert.Contains("IEXEC_DATASET_KEY=s3cr3t", body["Env"]!.AsArray().Select(e => (string?)e));
    }

    [Fact]
    public void With_docker_the_pools_image_runs_and_a_non_empty_app_list_only_restricts_it()
    {
        var image = "registry.example/app@" + Digest;
        var open = new AppCatalog([]);
        Assert.True(open.TryChoose(App, image, ExecutorKind.Docker, out var chosen, out _));
        Assert.Equal(image, chosen.Image);

        Assert.False(open.TryChoose(App, "registry.example/app:latest", ExecutorKind.Docker, out _, out var noDigest));
        Assert.Contains("pinned by digest", noDigest, StringComparison.Ordinal);
        Assert.False(open.TryChoose(App, string.Empty, ExecutorKind.Docker, out _, out var none));
        Assert.Contains("has no image", none, StringComparison.Ordinal);

        var other = Address.Parse("0x0000000000000000000000000000000000000002");
        var restricted = new AppCatalog([new AppOptions { Address = other.ToString(), Arguments = ["--x"] }]);
        Assert.False(restricted.TryChoose(App, image, ExecutorKind.Docker, out _, out var outside));
        Assert.Contains("not on this worker's allow-list", outside, StringComparison.Ordinal);
        Assert.True(restricted.TryChoose(other, image, ExecutorKind.Docker, out var listed, out _));
        Assert.Equal(["--x"], listed.Arguments);

        var pinned = new AppCatalog([new AppOptions { Address = App.ToString(), Image = "registry.example/app@sha256:" + new string('b', 64) }]);
        Assert.False(pinned.TryChoose(App, image, ExecutorKind.Docker, out _, out var otherImage));
        Assert.Contains("runs only", otherImage, StringComparison.Ordinal);

        // The process executor still needs the allow-listed command.
        Assert.False(open.TryChoose(App, image, ExecutorKind.Process, out _, out _));
    }

    [Fact]
    public async Task The_engines_multiplexed_logs_are_split_into_stdout_and_stderr_lines()
    {
        using var stream = new MemoryStream([.. Frame(1, "hello "), .. Frame(2, "oops\n"), .. Frame(1, "world\nlast")]);
        var stdout = new LogTail(1024);
        var stderr = new LogTail(1024);

        await EngineLogStream.CopyAsync(stream, stdout, stderr, CancellationToken.None);

        Assert.Equal("hello world\nlast\n", Encoding.UTF8.GetString(stdout.ToArray()));
        Assert.Equal("oops\n", Encoding.UTF8.GetString(stderr.ToArray()));
    }

    [Fact]
    public void An_image_held_under_another_digest_is_refused_and_one_over_the_size_cap_too()
    {
        var reference = ImageReference.Parse("registry.example/app@" + Digest);
        var puller = new ImagePuller(null!, new PullPolicy(TimeSpan.FromMinutes(1), 1, 1000, TimeSpan.Zero), TimeProvider.System);

        puller.Check(reference, new EngineImage("id", [reference.ToString()], 1000));
        var mismatch = Assert.Throws<ImageRefusedException>(() => puller.Check(reference, new EngineImage("id", ["registry.example/app@sha256:" + new string('c', 64)], 10)));
        Assert.Contains("digest mismatch", mismatch.Message, StringComparison.Ordinal);
        var big = Assert.Throws<ImageRefusedException>(() => puller.Check(reference, new EngineImage("id", [reference.ToString()], 1001)));
        Assert.Contains("size cap", big.Message, StringComparison.Ordinal);
    }

    private static byte[] Frame(byte stream, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var frame = new byte[8 + payload.Length];
        frame[0] = stream;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)payload.Length);
        payload.CopyTo(frame, 8);
        return frame;
    }

    private static ExecutionRequest Request(string image) => new()
    {
        TaskId = Hash32.Parse("0x" + new string('4', 64)),
        DealId = Hash32.Parse("0x" + new string('d', 64)),
        Index = 3,
        App = new AllowedApp(App, null, ["--mode", "fast"], image, null),
        Dataset = Address.Parse("0x00000000000000000000000000000000000000aa"),
        MaxRunTime = TimeSpan.FromMinutes(1),
        Cores = 2,
        MemoryMb = 768,
    };

    public void Dispose() => _dir.Dispose();
}
