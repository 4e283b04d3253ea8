namespace Orchestrator.Testing;

/// <summary>
/// The container tests' engine and registry: podman's Docker-compatible API on a Unix socket
/// (scripts/services/podman.sh), a local OCI registry on 127.0.0.1 (scripts/services/registry.sh) and the
/// test images built from busybox-static and pushed to it (scripts/test-images.sh). Prepared once per test
/// run by running those idempotent scripts (seconds when everything is up); tests then pull by digest for real.
/// </summary>
public static class ContainerRuntime
{
    private static readonly Lazy<(string? Reason, IReadOnlyDictionary<string, string> Images)> Prepared = new(Prepare);

    /// <summary>Where the scripts keep their configuration, socket, registry storage and images.env.</summary>
    public static string RunDirectory => Environment.GetEnvironmentVariable("ORCHESTRATOR_CONTAINERS_DIR") is { Length: > 0 } dir ? dir : "/var/tmp/orchestrator-containers";

    /// <summary>Why containers cannot run here (podman absent and not installable), or null when they can.</summary>
    public static string? UnavailableReason => Prepared.Value.Reason;

    /// <summary>The engine's Unix socket (Docker Engine API v1.41).</summary>
    public static string SocketPath => Path.Combine(RunDirectory, "podman.sock");

    /// <summary>The local registry, host:port.</summary>
    public static string RegistryAddress => Environment.GetEnvironmentVariable("ORCHESTRATOR_REGISTRY") is { Length: > 0 } address ? address : "127.0.0.1:5123";

    /// <summary>
    /// The test app, <c>registry/orchestrator-test/app@sha256:…</c>: its entrypoint's first argument picks what it does
    /// (echo, tee, probe, alloc MiB, sleep SECONDS, fail CODE; see scripts/test-images.sh).
    /// </summary>
    public static string AppImage => Image("app");

    /// <summary>The same app with 50 MiB more (incompressible), for the pull figure.</summary>
    public static string BigImage => Image("big");

    private static string Image(string name)
    {
        var prepared = Prepared.Value;
        if (prepared.Reason is { } reason)
        {
            throw new InvalidOperationException("containers are unavailable: " + reason);
        }

        return prepared.Images.TryGetValue(name, out var reference) ? reference : throw new InvalidOperationException($"scripts/test-images.sh made no image '{name}'");
    }

    private static (string?, IReadOnlyDictionary<string, string>) Prepare()
    {
        if (!File.Exists("/usr/bin/podman") && !File.Exists("/usr/bin/apt-get"))
        {
            return ("podman is not installed and apt-get is not available to install it (scripts/services/podman.sh)", new Dictionary<string, string>());
        }

        Commands.RunServiceScript("podman");
        Commands.RunServiceScript("registry");
        var lines = Commands.Run("bash", [Repository.PathOf("scripts", "test-images.sh")], TimeSpan.FromMinutes(5));
        var images = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                images[line[..equals]] = line[(equals + 1)..];
            }
        }

        return (null, images);
    }
}

/// <summary>A fact that runs real containers (podman, the local registry and the test images).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ContainerFactAttribute : FactAttribute
{
    /// <summary>Checks, and if needed starts, the engine and the registry.</summary>
    public ContainerFactAttribute() => Skip = ContainerRuntime.UnavailableReason;
}
