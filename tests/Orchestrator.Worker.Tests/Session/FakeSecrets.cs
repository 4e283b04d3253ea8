using System.Collections.Concurrent;
using Grpc.Core;
using Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>A scripted orchestrator.secrets.v1 EnclaveSecrets, served beside the <see cref="FakePool"/>.</summary>
public sealed class FakeSecrets : EnclaveSecrets.EnclaveSecretsBase
{
    /// <summary>Answers a fetch (throw an <see cref="RpcException"/> to refuse).</summary>
    public Func<FetchTaskSecretsRequest, Task<FetchTaskSecretsReply>> Handler { get; set; } =
        _ => throw new RpcException(new Status(StatusCode.Unimplemented, "no script"));

    /// <summary>Every fetch received.</summary>
    public ConcurrentQueue<FetchTaskSecretsRequest> Requests { get; } = new();

    /// <inheritdoc />
    public override Task<FetchTaskSecretsReply> FetchTaskSecrets(FetchTaskSecretsRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        return Handler(request);
    }
}
