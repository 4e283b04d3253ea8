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

/// <summary>The allow-list: app address → what to run. A worker never runs a command or image the server sends.</summary>
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

    /// <summary>Every allow-listed app.</summary>
    public IReadOnlyCollection<AllowedApp> All => _apps.Values;
}
