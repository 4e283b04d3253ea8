using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Apps;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Registry;

/// <summary>
/// The images of registered apps: the version the deal pinned at its creation (so an owner's later
/// version changes no running deal), or the current one for a deal that pinned none; null for an app
/// nobody registered.
/// </summary>
internal sealed class RegistryAppImages(IGrainFactory grains) : IAppImages
{
    public async ValueTask<string?> ImageForAsync(Hash32 dealId, Address app, CancellationToken ct)
        => (await grains.AppRegistry(app).VersionForAsync(dealId).WaitAsync(ct))?.Image;
}
