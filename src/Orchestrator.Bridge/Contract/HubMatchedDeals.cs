using System.Numerics;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Abstractions.Orders;
using Orchestrator.Bridge.Sending;
using Orchestrator.Bridge.Storage;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Bridge.Contract;

/// <summary>
/// Matched deals on chain: the scheduler's account sends the four orders to the hub's <c>matchOrders</c>, which checks
/// every signature, rule, volume and the requester's balance again (nothing here is trusted), locks the escrow and
/// logs DealCreated, from which the listener creates the deal as for any chain deal. The match is simulated first
/// (<c>eth_call</c>), so a refusal names the hub's rule and sends nothing.
/// </summary>
public sealed class HubMatchedDeals(EthereumRpcClient rpc, AccountSender sender, BridgeOptions options) : IMatchedDeals
{
    /// <summary>Gas headroom over the node's estimate: state may move between the estimate and the block.</summary>
    private const int HeadroomPercent = 30;

    /// <inheritdoc />
    public async Task<string?> CheckAsync(OrderSet orders, CancellationToken cancellationToken)
    {
        try
        {
            await rpc.CallAsync(Call(orders), BlockParameter.Latest, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (JsonRpcException ex) when (ex.RevertData.Length >= 4)
        {
            return Refusal(ex.RevertData);
        }
    }

    /// <inheritdoc />
    public async Task<Hash32?> CreateAsync(OrderSet orders, DealSpecMessage spec, CancellationToken cancellationToken)
    {
        if (!sender.Leads)
        {
            throw new MatchedDealException("this silo does not hold the scheduler account's lease, so it cannot send the match now");
        }

        TransactionResult result;
        try
        {
            var estimate = await rpc.EstimateGasAsync(Call(orders), cancellationToken).ConfigureAwait(false);
            result = await sender.SendAsync("matchOrders", HubOrders.EncodeMatch(orders), estimate * (100 + HeadroomPercent) / 100, [], cancellationToken).ConfigureAwait(false);
        }
        catch (JsonRpcException ex)
        {
            throw new MatchedDealException(ex.RevertData.Length >= 4 ? "the hub refused it: " + Refusal(ex.RevertData) : "the node refused it: " + ex.RpcMessage, ex);
        }
        catch (Exception ex) when (ex is TransactionRefusedException or BroadcastDeferredException or Leadership.LeadershipLostException || AccountSender.IsTransient(ex))
        {
            throw new MatchedDealException("the matchOrders transaction was not sent: " + ex.Message, ex);
        }

        return result.Status == TrackedStatus.Confirmed
            ? result.Hash
            : throw new MatchedDealException($"the matchOrders transaction {result.Hash} ended {result.Status}");
    }

    private CallRequest Call(OrderSet orders) => new() { From = sender.Account, To = options.Hub, Data = HubOrders.EncodeMatch(orders) };

    private static string Refusal(byte[] revertData)
    {
        var described = HubOrders.Describe(revertData) ?? "0x" + Convert.ToHexString(revertData.AsSpan(0, 4)).ToLowerInvariant();
        var rule = HubOrders.TryDecodeRefusal(revertData)?.Rule.ToString() ?? described.Split('(')[0];
        return $"{rule}: the hub refused the match with {described} (rule: the hub re-checks every order, volume and the requester's free balance)";
    }
}
