using Orchestrator.Domain.Results;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Worker.Execution;

/// <summary>An input file the task provides, written into the task's input directory before the app starts.</summary>
/// <param name="Name">A plain file name (no directory part).</param>
/// <param name="Content">Its bytes.</param>
public sealed record InputFile(string Name, ReadOnlyMemory<byte> Content);

/// <summary>One replicate to run: what the assignment says, resolved against the allow-list.</summary>
public sealed record ExecutionRequest
{
    /// <summary>The task id.</summary>
    public required Hash32 TaskId { get; init; }

    /// <summary>The deal id.</summary>
    public required Hash32 DealId { get; init; }

    /// <summary>The task's index in its deal.</summary>
    public required long Index { get; init; }

    /// <summary>The allow-listed app the assignment names.</summary>
    public required AllowedApp App { get; init; }

    /// <summary>The dataset's address (zero: none).</summary>
    public Address Dataset { get; init; }

    /// <summary>The task's parameters: its arguments, split like a shell would but never given to one.</summary>
    public string Params { get; init; } = string.Empty;

    /// <summary>Input files.</summary>
    public IReadOnlyList<InputFile> Inputs { get; init; } = [];

    /// <summary>The longest the app may run (the category's max run time, capped by the app's own limit); it is killed after.</summary>
    public required TimeSpan MaxRunTime { get; init; }

    /// <summary>CPU cores the deal asked for (container limit).</summary>
    public int Cores { get; init; } = 1;

    /// <summary>Memory the deal asked for, MiB (container limit).</summary>
    public int MemoryMb { get; init; } = 512;

    /// <summary>The secrets released for a TEE task (<see cref="IexecEnvironment.Secrets"/>); empty otherwise.</summary>
    public IReadOnlyList<AppSecret> Secrets { get; init; } = [];

    /// <summary>How much of the end of the app's stdout and of its stderr is kept for the requester (bytes each).</summary>
    public int LogTailBytes { get; init; } = LogTail.DefaultBytes;
}

/// <summary>How an execution ended.</summary>
public enum ExecutionOutcome
{
    /// <summary>The app exited 0 and its output was archived.</summary>
    Completed = 0,

    /// <summary>The app exited non-zero, could not start, or produced an output that cannot be archived.</summary>
    Failed = 1,

    /// <summary>The app outlived its max run time and was killed.</summary>
    TimedOut = 2,
}

/// <summary>What an execution produced.</summary>
public sealed record ExecutionResult
{
    /// <summary>How it ended.</summary>
    public required ExecutionOutcome Outcome { get; init; }

    /// <summary>The app's exit code (null when it did not exit by itself).</summary>
    public int? ExitCode { get; init; }

    /// <summary>SHA-256 of the deterministic output (see <see cref="ResultArchive"/>); set when completed.</summary>
    public Hash32? ResultDigest { get; init; }

    /// <summary>The result archive (canonical tar of the output directory); set when completed.</summary>
    public string? ArchivePath { get; init; }

    /// <summary>The "callback-data" the app wrote in its computed.json (Domain's CallbackData), or null; set when completed.</summary>
    public byte[]? CallbackData { get; init; }

    /// <summary>A sentence for logs and for the server when the execution did not complete.</summary>
    public string Message { get; init; } = string.Empty;

    /// <summary>How long the app ran.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>A failed execution.</summary>
    public static ExecutionResult Fail(string message, int? exitCode = null, TimeSpan duration = default) =>
        new() { Outcome = ExecutionOutcome.Failed, Message = message, ExitCode = exitCode, Duration = duration };
}

/// <summary>Runs one replicate of an app and collects its result.</summary>
public interface IExecutor
{
    /// <summary>
    /// Runs the app in <paramref name="workspace"/> and archives its output. Cancelling kills the
    /// app (drain past the grace period, or the task was cancelled) and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    Task<ExecutionResult> RunAsync(ExecutionRequest request, TaskWorkspace workspace, CancellationToken cancellationToken);
}
