using Orchestrator.Domain.Crypto;

namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>What a worker agent process needs of the pool it joins: where to connect, scratch space, and the owner's authorization.</summary>
public interface IWorkerPool
{
    /// <summary>The gRPC endpoint workers connect to.</summary>
    string Url { get; }

    /// <summary>Scratch space for the pool's processes.</summary>
    string Directory { get; }

    /// <summary>Authorizes worker addresses (as the pool owner).</summary>
    Task AuthorizeAsync(params Address[] workers);
}
