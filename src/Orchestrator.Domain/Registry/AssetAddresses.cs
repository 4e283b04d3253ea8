using System.Text;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// The address of a registered app or dataset: the last 20 bytes of
/// keccak256(kind ‖ owner (20 bytes) ‖ keccak256(name)), as the hub contract's registerApp and
/// registerDataset compute it. Bound to the owner, so only the owner's key can ever reach (and update)
/// an asset at that address, and the same name under two owners is two assets.
/// </summary>
public static class AssetAddresses
{
    /// <summary>The app registered by <paramref name="owner"/> under <paramref name="name"/>.</summary>
    public static Address App(Address owner, string name) => Derive("orchestrator.app", owner, name);

    /// <summary>The dataset registered by <paramref name="owner"/> under <paramref name="name"/>.</summary>
    public static Address Dataset(Address owner, string name) => Derive("orchestrator.dataset", owner, name);

    private static Address Derive(string kind, Address owner, string name)
    {
        var hash = Keccak256.HashConcat(Encoding.ASCII.GetBytes(kind), owner.Bytes.ToArray(), Keccak256.Hash(Encoding.UTF8.GetBytes(name)));
        return new Address(hash.AsSpan(12));
    }
}
