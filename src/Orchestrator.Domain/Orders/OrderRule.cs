namespace Orchestrator.Domain.Orders;

/// <summary>
/// The rule a refused match breaks. The hub contract reverts with the custom error of the same name, checked in the
/// same order (declaration order here), so the first broken rule is the same on chain and off chain.
/// </summary>
public enum OrderRule
{
    /// <summary>The request's category is not the pool order's.</summary>
    CategoryMismatch,

    /// <summary>The category is not one the hub knows (0 XS .. 4 XL).</summary>
    UnknownCategory,

    /// <summary>The request asks for more trust than the pool order offers.</summary>
    TrustAboveOffer,

    /// <summary>A price (app, dataset or pool) is above the request's max price for it.</summary>
    PriceAboveMax,

    /// <summary>The request, app or dataset asks for a tag bit the pool order does not offer.</summary>
    TagNotOffered,

    /// <summary>A TEE deal needs the app order to carry the TEE bit itself.</summary>
    TeeAppRequired,

    /// <summary>The deal's tag is not a valid TEE tag (0x0, 0x3, 0x5 or 0x9 in the low bits).</summary>
    InvalidTag,

    /// <summary>A TEE deal accepts only trust 0 or 1.</summary>
    InvalidTrust,

    /// <summary>The request names another app or dataset than the orders offered.</summary>
    AssetMismatch,

    /// <summary>A restriction (zero or the one allowed address) excludes a party.</summary>
    Restricted,

    /// <summary>The app, dataset or pool is not registered on the hub.</summary>
    UnknownAsset,

    /// <summary>An order's signature does not recover to its signer under the hub's domain.</summary>
    BadOrderSignature,

    /// <summary>An order has no volume left (consumed, cancelled or replayed).</summary>
    VolumeExhausted,

    /// <summary>The deal's task indices would not fit the 8 bytes a finalization batch names them by.</summary>
    BotOutOfRange,
}

/// <summary>Which order or party a refusal is about (the custom error's argument on chain).</summary>
public enum OrderParty
{
    /// <summary>The app order (or the app).</summary>
    App,

    /// <summary>The dataset order (or the dataset).</summary>
    Dataset,

    /// <summary>The workerpool order (or the pool).</summary>
    Workerpool,

    /// <summary>The request order (or the requester).</summary>
    Request,
}

/// <summary>A refused match: the rule, the order it is about, and a one-line message naming the rule.</summary>
public sealed record OrderRefusal(OrderRule Rule, OrderParty Party, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
