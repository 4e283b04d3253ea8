using Orchestrator.Domain.Containers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Configuration;

namespace Orchestrator.Worker.Execution;

/// <summary>An app this worker agreed to run: the server names the address, the worker decides what runs.</summary>
/// <param name="Address">The app's address.</param>
/// <param name="Command">Process executor: the command.</param>
/// <param name="Arguments">Arguments before the task's own.</param>
/// <param name="Image">Docker executor: the image.</param>
/// <param name="MaxRunTime">This app's own run-time cap, if any.</param>
public sealed record AllowedApp(Address Address, string? Command, IReadOnlyList<string> Arguments, string? Image, TimeSpan? MaxRunTime);

/// <summary>
/// The allow-list: app address → what to run. A worker never runs a command the server sends; with the Docker
/// executor it runs the app's image by digest the server sends, within the list's restriction (see <see cref="TryChoose"/>).
/// </summary>
public sealed class AppCatalog
{
    private readonly Dictionary<Address, AllowedApp> _apps;

    /// <summary>Builds the catalog from validated options.</summary>
    public AppCatalog(IEnumerable<AppOptions> apps)
    {
        ArgumentNullException.ThrowIfNull(apps);
        _apps = apps.Select(a => new AllowedApp(Address.Parse(a.Address), a.Command, [.. a.Arguments], a.Image, a.MaxRunTime))
            .ToDictionary(a => a.Address);
    }

    /// <summary>The app for an address, if this worker runs it.</summary>
    public bool TryResolve(Address app, out AllowedApp allowed) => _apps.TryGetValue(app, out allowed!);

    /// <summary>
    /// What runs for an assignment of <paramref name="app"/> whose pool sent <paramref name="appImage"/> (empty: none).
    /// Process executor: the allow-listed command, as before. Docker executor: the pool's image by digest; the
    /// list, when not empty, only restricts which apps (and, where an entry names an Image, which image) run.
    /// On refusal <paramref name="reason"/> is one line for the give-back.
    /// </summary>
    public bool TryChoose(Address app, string appImage, ExecutorKind executor, out AllowedApp allowed, out string reason)
    {
        allowed = null!;
        var listed = _apps.TryGetValue(app, out var entry);
        if (executor != ExecutorKind.Docker || (_apps.Count > 0 && !listed))
        {
            reason = $"app {app} is not on this worker's allow-list (OrchestratorWorker:Apps)";
            if (!listed)
            {
                return false;
            }

            allowed = entry!;
            reason = string.Empty;
            return true;
        }

        if (string.IsNullOrEmpty(appImage))
        {
            if (entry?.Image is not { Length: > 0 } own)
            {
                reason = $"app {app} has no image: the pool sent none and OrchestratorWorker:Apps names none";
                return false;
            }

            appImage = own;
        }

        if (!ImageReference.TryParse(appImage, out var image, out var error))
        {
            reason = $"app {app}: {error}";
            return false;
        }

        if (entry?.Image is { Length: > 0 } pinned && ImageReference.TryParse(pinned, out var pinnedImage, out _) && pinnedImage != image)
        {
            reason = $"app {app}: the pool sent image {image} but this worker runs only {pinnedImage} for it (OrchestratorWorker:Apps)";
            return false;
        }

        allowed = new AllowedApp(app, null, entry?.Arguments ?? [], image.ToString(), entry?.MaxRunTime);
        reason = string.Empty;
        return true;
    }

    /// <summary>Every allow-listed app.</summary>
    public IReadOnlyCollection<AllowedApp> All => _apps.Values;
}
