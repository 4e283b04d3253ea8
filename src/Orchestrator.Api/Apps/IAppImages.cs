using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Apps;

/// <summary>The image a deal's tasks run (Assignment.app_image): <c>registry/name@sha256:&lt;64 hex&gt;</c>, or null when the app has none.</summary>
public interface IAppImages
{
    /// <summary>The image of <paramref name="app"/> for the deal <paramref name="dealId"/>.</summary>
    ValueTask<string?> ImageForAsync(Hash32 dealId, Address app, CancellationToken ct);
}
