using System.Runtime.CompilerServices;
using Orchestrator.Chain.Rpc;

namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>One JSON-RPC client per test node, without retries: a test sees the node's failures as they are.</summary>
public static class AnvilRpc
{
    private static readonly ConditionalWeakTable<AnvilNode, EthereumRpcClient> Clients = [];

    /// <summary>The node's client.</summary>
    public static EthereumRpcClient Client(this AnvilNode node)
        => Clients.GetValue(node, n => new EthereumRpcClient(new HttpClient(), new EthereumRpcClientOptions { Endpoint = n.Endpoint, RequestTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 1 }));
}
