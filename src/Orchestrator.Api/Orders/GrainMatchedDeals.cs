using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Abstractions.Orders;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Orders;

namespace Orchestrator.Api.Orders;

/// <summary>
/// Matched deals off chain (no chain bridge): the deal grain creates the deal the match describes, with PoCo's deal id,
/// through the same path as the admin API's SubmitDeal. Nothing here holds money: without a hub there is no escrow.
/// </summary>
internal sealed class GrainMatchedDeals(IGrainFactory grains, SessionRegistry sessions) : IMatchedDeals
{
    public Task<string?> CheckAsync(OrderSet orders, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public async Task<Hash32?> CreateAsync(OrderSet orders, DealSpecMessage spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var result = await grains.Deal(spec.DealId).CreateAsync(spec);
        if (!result.Accepted)
        {
            throw new MatchedDealException($"the deal was refused: {string.Join("; ", result.Errors)}");
        }

        if (result.Created)
        {
            sessions.WakeAll(); // idle workers on this silo look for the new tasks now
        }

        return null;
    }
}
