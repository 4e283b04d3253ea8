using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Tests;

public sealed class ProcessExecutorTests : IDisposable
{
    private static readonly Hash32 Deal = Hash32.Parse("0x" + new string('d', 64));
    private readonly TempDirectory _dir = new();
    private readonly ProcessExecutor _executor = new(1 << 20, NullLogger<ProcessExecutor>.Instance);

    [Fact]
    public async Task The_app_gets_the_iexec_environment_its_arguments_and_inputs_and_its_output_is_the_result()
    {
        var script = Script("app.sh", """
            #!/bin/sh
            set -e
            printf '%s|' "$@" > "$IEXEC_OUT/args.txt"
            echo "$IEXEC_TASK_ID $IEXEC_TASK_INDEX $IEXEC_INPUT_FILES_NUMBER $IEXEC_INPUT_FILE_NAME_1" > "$IEXEC_OUT/env.txt"
            cat "$IEXEC_IN/$IEXEC_INPUT_FILE_NAME_1" > "$IEXEC_OUT/copy.txt"
            """);
        var request = Request(script, 7, "one 'two words' \"three\"") with { Inputs = [new InputFile("data.csv", "a,b"u8.ToArray())] };
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);

        var result = await _executor.RunAsync(request, workspace, CancellationToken.None);

        Assert.Equal(ExecutionOutcome.Completed, result.Outcome);
        Assert.Equal("fixed|one|two words|three|", File.ReadAllText(Path.Combine(workspace.OutputDirectory, "args.txt")));
        Assert.Equal($"{request.TaskId} 7 1 data.csv\n", File.ReadAllText(Path.Combine(workspace.OutputDirectory, "env.txt")));
        Assert.Equal("a,b", File.ReadAllText(Path.Combine(workspace.OutputDirectory, "copy.txt")));
        Assert.Equal(ResultArchive.DigestOf(workspace.OutputDirectory), result.ResultDigest);
        Assert.True(File.Exists(result.ArchivePath));
    }

    [Fact]
    public async Task The_apps_callback_data_is_read_from_computed_json_and_malformed_callback_data_fails_the_run()
    {
        var good = Script("cb.sh", "#!/bin/sh\nprintf '{\"callback-data\":\"0x0a0b\"}' > \"$IEXEC_OUT/computed.json\"\n");
        var request = Request(good, 1);
        var result = await _executor.RunAsync(request, TaskWorkspace.Create(_dir.Path, request.TaskId), CancellationToken.None);
        Assert.Equal(ExecutionOutcome.Completed, result.Outcome);
        Assert.Equal(new byte[] { 0x0a, 0x0b }, result.CallbackData);

        var none = Script("none.sh", "#!/bin/sh\necho x > \"$IEXEC_OUT/r.txt\"\n");
        request = Request(none, 2);
        Assert.Null((await _executor.RunAsync(request, TaskWorkspace.Create(_dir.Path, request.TaskId), CancellationToken.None)).CallbackData);

        var bad = Script("bad.sh", "#!/bin/sh\nprintf '{\"callback-data\":\"0xzz\"}' > \"$IEXEC_OUT/computed.json\"\n");
        request = Request(bad, 3);
        var failed = await _executor.RunAsync(request, TaskWorkspace.Create(_dir.Path, request.TaskId), CancellationToken.None);
        Assert.Equal(ExecutionOutcome.Failed, failed.Outcome);
        Assert.Contains("callback-data must be 0x-hex", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_app_never_sees_the_agents_own_environment()
    {
        Environment.SetEnvironmentVariable("OrchestratorWorker__PrivateKey", "0xsecret");
        try
        {
            var script = Script("env.sh", "#!/bin/sh\nenv > \"$IEXEC_OUT/env.txt\"\n");
            var request = Request(script, 0);
            var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);
            var result = await _executor.RunAsync(request, workspace, CancellationToken.None);
            Assert.Equal(ExecutionOutcome.Completed, result.Outcome);
            var env = File.ReadAllText(Path.Combine(workspace.OutputDirectory, "env.txt"));
            Assert.DoesNotContain("secret", env, StringComparison.Ordinal);
            Assert.DoesNotContain("OrchestratorWorker", env, StringComparison.Ordinal);
            Assert.Contains("IEXEC_OUT=", env, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OrchestratorWorker__PrivateKey", null);
        }
    }

    [Fact]
    public async Task An_app_past_its_max_run_time_is_killed_with_its_children()
    {
        var pidFile = _dir.Combine("child.pid");
        var script = Script("slow.sh", $"#!/bin/sh\nsleep 30 &\necho $! > {pidFile}\nwait\n");
        var request = Request(script, 0) with { MaxRunTime = TimeSpan.FromMilliseconds(500) };
        var clock = Stopwatch.StartNew();

        var result = await _executor.RunAsync(request, TaskWorkspace.Create(_dir.Path, request.TaskId), CancellationToken.None);

        Assert.Equal(ExecutionOutcome.TimedOut, result.Outcome);
        Assert.Contains("max run time", result.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Null(result.ResultDigest);
        var child = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await Eventually.UntilAsync($"the app's child {child} to die with it", () => !IsAlive(child), TimeSpan.FromSeconds(10));
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            // A killed child not yet reaped is a zombie ("Z"): it no longer runs.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Cancellation_kills_the_app_and_throws()
    {
        var script = Script("slow.sh", "#!/bin/sh\nsleep 30\n");
        var request = Request(script, 0);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _executor.RunAsync(request, TaskWorkspace.Create(_dir.Path, request.TaskId), cancel.Token));
    }

    [Fact]
    public async Task A_failing_or_missing_app_fails_with_a_reason_and_no_digest()
    {
        var failing = Script("fail.sh", "#!/bin/sh\necho boom >&2\nexit 3\n");
        var request = Request(failing, 0);
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);
        var result = await _executor.RunAsync(request, workspace, CancellationToken.None);
        Assert.Equal(ExecutionOutcome.Failed, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("exited with code 3", result.Message, StringComparison.Ordinal);
        Assert.Equal("boom\n", File.ReadAllText(Path.Combine(workspace.LogDirectory, "stderr.log")));

        var missing = await _executor.RunAsync(Request(_dir.Combine("nope.sh"), 1), TaskWorkspace.Create(_dir.Path, TaskId(1)), CancellationToken.None);
        Assert.Equal(ExecutionOutcome.Failed, missing.Outcome);
        Assert.Contains("cannot be started", missing.Message, StringComparison.Ordinal);

        var badArgs = await _executor.RunAsync(Request(failing, 2, "'unterminated"), TaskWorkspace.Create(_dir.Path, TaskId(2)), CancellationToken.None);
        Assert.Contains("unterminated", badArgs.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chatty_app_cannot_fill_the_disk_with_its_log_and_its_last_words_are_kept()
    {
        var script = Script("chatty.sh", "#!/bin/sh\nseq 1 400000\n"); // about 2.6 MB
        var request = Request(script, 0);
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);
        var result = await _executor.RunAsync(request, workspace, CancellationToken.None);
        Assert.Equal(ExecutionOutcome.Completed, result.Outcome);
        var log = new FileInfo(Path.Combine(workspace.LogDirectory, "stdout.log"));
        Assert.InRange(log.Length, LogTail.DefaultBytes - 8, LogTail.DefaultBytes);
        Assert.EndsWith("399999\n400000\n", File.ReadAllText(log.FullName), StringComparison.Ordinal);
    }

    [Fact]
    public void Input_names_that_leave_the_input_directory_are_refused()
    {
        var workspace = TaskWorkspace.Create(_dir.Path, TaskId(0));
        Assert.Throws<ArgumentException>(() => workspace.WriteInputs([new InputFile("../evil", new byte[1])]));
        Assert.Throws<ArgumentException>(() => workspace.WriteInputs([new InputFile("..", new byte[1])]));
        Assert.False(File.Exists(_dir.Combine("tasks", "evil")));
    }

    [Fact]
    public void A_fresh_workspace_removes_what_an_earlier_attempt_left()
    {
        var first = TaskWorkspace.Create(_dir.Path, TaskId(0));
        File.WriteAllText(Path.Combine(first.OutputDirectory, "stale.txt"), "old");
        var second = TaskWorkspace.Create(_dir.Path, TaskId(0));
        Assert.Empty(Directory.EnumerateFileSystemEntries(second.OutputDirectory));
    }

    private static Hash32 TaskId(long index) => ProtocolIds.TaskId(Deal, (ulong)index);

    private static ExecutionRequest Request(string command, long index, string parameters = "") => new()
    {
        TaskId = TaskId(index),
        DealId = Deal,
        Index = index,
        App = new AllowedApp(Address.Parse("0x0000000000000000000000000000000000000001"), command, ["fixed"], null, null),
        Params = parameters,
        MaxRunTime = TimeSpan.FromSeconds(30),
    };

    private string Script(string name, string body)
    {
        var path = _dir.Write(name, body.Replace("\r", string.Empty, StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
