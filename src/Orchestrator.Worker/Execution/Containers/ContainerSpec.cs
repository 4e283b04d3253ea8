using System.Globalization;
using System.Text.Json.Nodes;

namespace Orchestrator.Worker.Execution.Containers;

/// <summary>
/// The body of <c>POST /containers/create</c> for one replicate: the sandbox an app runs in. No network,
/// a read-only root, every capability dropped, no new privileges, the task's memory (swap included),
/// CPU and a pids limit, a small noexec /tmp, the input mounted read-only at <c>/iexec_in</c> and the
/// output at <c>/iexec_out</c> (a TEE task's secrets read-only at <c>/iexec_secrets</c>), the iExec
/// variables, and labels naming the agent and the task so the agent can find and remove what it left.
/// </summary>
public static class ContainerSpec
{
    /// <summary>Where the input directory is mounted in the container.</summary>
    public const string ContainerInput = "/iexec_in";

    /// <summary>Where the output directory is mounted in the container.</summary>
    public const string ContainerOutput = "/iexec_out";

    /// <summary>Where a TEE task's secrets directory is mounted (read-only) in the container.</summary>
    public const string ContainerSecrets = "/iexec_secrets";

    /// <summary>The label carrying the agent's id (its worker address): what a restarting agent cleans up.</summary>
    public const string AgentLabel = "orchestrator.agent";

    /// <summary>The label carrying the task id.</summary>
    public const string TaskLabel = "orchestrator.task";

    /// <summary>The create body.</summary>
    /// <param name="request">The replicate.</param>
    /// <param name="workspace">Its workspace (host paths of the mounts).</param>
    /// <param name="image">The pulled image (repository@digest).</param>
    /// <param name="agentId">The agent's id, as a label.</param>
    /// <param name="taskArguments">The task's parameters, split (they follow the app's own arguments).</param>
    /// <param name="pidsLimit">Most processes the app may run at once.</param>
    public static JsonObject Build(ExecutionRequest request, TaskWorkspace workspace, string image, string agentId, IReadOnlyList<string> taskArguments, int pidsLimit)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(taskArguments);
        var env = new JsonArray();
        foreach (var (key, value) in IexecEnvironment.For(request, ContainerInput, ContainerOutput).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            env.Add($"{key}={value}");
        }

        var mounts = new JsonArray
        {
            Bind(workspace.InputDirectory, ContainerInput, readOnly: true),
            Bind(workspace.OutputDirectory, ContainerOutput, readOnly: false),
        };
        if (request.Secrets.Count > 0)
        {
            mounts.Add(Bind(workspace.SecretDirectory, ContainerSecrets, readOnly: true));
            // Over the engine's socket, not a command line: the values are in no argv (ps) and no log.
            foreach (var (key, value) in IexecEnvironment.Secrets(request, ContainerSecrets).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                env.Add($"{key}={value}");
            }
        }

        var memoryBytes = (long)request.MemoryMb * 1024 * 1024;
        var cmd = new JsonArray();
        foreach (var argument in request.App.Arguments.Concat(taskArguments))
        {
            cmd.Add(argument);
        }

        return new JsonObject
        {
            ["Image"] = image,
            // The image's own entrypoint runs; only its arguments come from the app's settings and the task.
            ["Cmd"] = cmd,
            ["Env"] = env,
            ["WorkingDir"] = ContainerOutput,
            ["NetworkDisabled"] = true,
            ["Labels"] = new JsonObject { [AgentLabel] = agentId, [TaskLabel] = request.TaskId.ToString() },
            ["HostConfig"] = new JsonObject
            {
                ["NetworkMode"] = "none",
                ["ReadonlyRootfs"] = true,
                ["CapDrop"] = new JsonArray("ALL"),
                ["SecurityOpt"] = new JsonArray("no-new-privileges"),
                ["Memory"] = memoryBytes,
                ["MemorySwap"] = memoryBytes, // equal to Memory: no swap beyond the limit
                ["NanoCpus"] = (long)request.Cores * 1_000_000_000,
                ["PidsLimit"] = pidsLimit,
                ["Mounts"] = mounts,
                ["Tmpfs"] = new JsonObject { ["/tmp"] = "rw,noexec,nosuid,size=64m" },
                ["AutoRemove"] = false, // removed by the agent after its logs and exit are read
                ["Privileged"] = false,
            },
        };
    }

    /// <summary>The container's name: unique per task, recognisable in <c>podman ps</c>.</summary>
    public static string Name(ExecutionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return "orch-" + request.TaskId.ToString()[2..26] + "-" + Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);
    }

    private static JsonObject Bind(string source, string target, bool readOnly) => new()
    {
        ["Type"] = "bind",
        ["Source"] = source,
        ["Target"] = target,
        ["ReadOnly"] = readOnly,
    };
}
