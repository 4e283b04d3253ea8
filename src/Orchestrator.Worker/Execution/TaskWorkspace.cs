using Orchestrator.Domain.Crypto;

namespace Orchestrator.Worker.Execution;

/// <summary>
/// A fresh directory per replicate under the scratch directory: <c>in/</c> (input files),
/// <c>out/</c> (what the app writes; archived as the result), <c>logs/</c> (stdout, stderr; not part
/// of the result), <c>secrets/</c> (a TEE task's released secrets, only while the app runs),
/// <c>result.tar</c>. Created empty: leftovers of an earlier attempt are removed.
/// </summary>
public sealed class TaskWorkspace
{
    private TaskWorkspace(string root)
    {
        Root = root;
        InputDirectory = Path.Combine(root, "in");
        OutputDirectory = Path.Combine(root, "out");
        LogDirectory = Path.Combine(root, "logs");
        SecretDirectory = Path.Combine(root, "secrets");
        ArchivePath = Path.Combine(root, "result.tar");
    }

    /// <summary>The replicate's directory.</summary>
    public string Root { get; }

    /// <summary>Input files (read-only for the app by convention; mounted read-only in containers).</summary>
    public string InputDirectory { get; }

    /// <summary>The app's output.</summary>
    public string OutputDirectory { get; }

    /// <summary>stdout and stderr of the app.</summary>
    public string LogDirectory { get; }

    /// <summary>A TEE task's secrets, one file per secret (<see cref="WriteSecrets"/>); removed when the app ends.</summary>
    public string SecretDirectory { get; }

    /// <summary>Where the result archive is written.</summary>
    public string ArchivePath { get; }

    /// <summary>Creates the (empty) workspace of a task under <paramref name="scratchDirectory"/>.</summary>
    public static TaskWorkspace Create(string scratchDirectory, Hash32 taskId)
    {
        var root = Path.Combine(Path.GetFullPath(scratchDirectory), "tasks", taskId.ToString());
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        var workspace = new TaskWorkspace(root);
        Directory.CreateDirectory(workspace.InputDirectory);
        Directory.CreateDirectory(workspace.OutputDirectory);
        Directory.CreateDirectory(workspace.LogDirectory);
        return workspace;
    }

    /// <summary>The workspace of a task, without touching the disk.</summary>
    public static TaskWorkspace At(string scratchDirectory, Hash32 taskId) =>
        new(Path.Combine(Path.GetFullPath(scratchDirectory), "tasks", taskId.ToString()));

    /// <summary>Writes the input files; refuses names that are not plain file names.</summary>
    public void WriteInputs(IReadOnlyList<InputFile> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var input in inputs)
        {
            if (!IsPlainFileName(input.Name))
            {
                throw new ArgumentException($"input file name '{input.Name}' must be a plain file name (no directory, not '.' or '..')");
            }

            File.WriteAllBytes(Path.Combine(InputDirectory, input.Name), input.Content.ToArray());
        }
    }

    /// <summary>
    /// Writes the secrets as <c>secrets/OWNER/NAME</c>, readable by this user only. A name that is not
    /// a plain file name (the service allows "." and "..") gets no file; its variable still carries it.
    /// </summary>
    public void WriteSecrets(IReadOnlyList<AppSecret> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 0)
        {
            return;
        }

        var ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (var secret in secrets)
        {
            var directory = Path.Combine(SecretDirectory, IexecEnvironment.DirectoryOf(secret.Owner));
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
            else Directory.CreateDirectory(directory, ownerOnly);
            if (IsPlainFileName(secret.Name))
            {
                var path = Path.Combine(directory, secret.Name);
                File.WriteAllBytes(path, secret.Value.ToArray());
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(SecretDirectory, ownerOnly);
    }

    /// <summary>Removes the secrets (the app has ended; nothing after it needs them).</summary>
    public void DeleteSecrets()
    {
        if (Directory.Exists(SecretDirectory))
        {
            Directory.Delete(SecretDirectory, recursive: true);
        }
    }

    /// <summary>Removes the workspace.</summary>
    public void Delete()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>True for a name that stays inside its directory.</summary>
    public static bool IsPlainFileName(string name) =>
        !string.IsNullOrEmpty(name) && name is not "." and not ".." && name.Length <= 255
        && name.IndexOfAny(['/', '\\', '\0']) < 0;
}
