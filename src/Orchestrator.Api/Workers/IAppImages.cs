using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Workers;

/// <summary>
/// The container image a deal's app runs from, sent to workers as Assignment.app_image
/// (<c>registry/name@sha256:&lt;64 hex&gt;</c>). The default reads the pool's configuration; an app registry
/// replaces it (a deal pins its app's version, and so its image), registered before the API's services.
/// </summary>
public interface IAppImages
{
    /// <summary>The image of <paramref name="app"/> for <paramref name="dealId"/>, or null when the app has none.</summary>
    ValueTask<string?> ImageForAsync(Hash32 dealId, Address app, CancellationToken ct);
}

/// <summary>
/// Images from configuration, <c>Orchestrator:Api:AppImages:{appAddress} = registry/name@sha256:…</c>, the same for
/// every deal of the app (ApiOptionsValidator refuses a reference without a digest at start).
/// </summary>
public sealed class ConfiguredAppImages(IOptions<ApiOptions> options) : IAppImages
{
    /// <inheritdoc />
    public ValueTask<string?> ImageForAsync(Hash32 dealId, Address app, CancellationToken ct)
        => ValueTask.FromResult(options.Value.AppImages.TryGetValue(app.ToLowerHex(), out var image) ? image : null);
}
