using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Registry;

/// <summary>
/// The images of registered apps: the version the deal pinned at its creation (so an owner's later
/// version changes no running deal), or the current one for a deal that pinned none. An app nobody
/// registered falls back to the pool's configuration (<see cref="ConfiguredAppImages"/>), which is how a
/// development pool runs its own images without a registry entry.
/// </summary>
internal sealed class RegistryAppImages(IGrainFactory grains, ConfiguredAppImages configured) : IAppImages
{
    public async ValueTask<string?> ImageForAsync(Hash32 dealId, Address app, CancellationToken ct)
        => (await grains.AppRegistry(app).VersionForAsync(dealId).WaitAsync(ct))?.Image
           ?? await configured.ImageForAsync(dealId, app, ct);
}
