using Grpc.Core;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Api.Registry;

/// <summary>
/// What a deal may use, checked before it is created (so a refused deal creates and stores nothing):
/// the pool runs its app (the pool owner's allow-list); its dataset is registered and its restrictions allow the deal's app (or app owner), requester and
/// this pool; every requester secret it selects exists.
/// </summary>
internal static class DealAssets
{
    public static async Task CheckAsync(IGrainFactory grains, DealSpecMessage spec, Address pool)
    {
        if (await grains.CheckPoolRunsAsync(spec.App) is { } notRun)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"deal refused: {notRun}"));
        }

        if (!spec.Dataset.IsZero && await grains.DatasetRegistry(spec.Dataset).CheckDealAsync(spec.App, spec.Requester, pool) is { } broken)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"deal refused: {broken}"));
        }

        if (await grains.MissingRequesterSecretAsync(spec) is { } missing)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"deal refused: {missing}"));
        }
    }
}
