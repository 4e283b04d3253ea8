using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Transactions;

/// <summary>One EIP-2930 access-list entry: an address and the storage slots the transaction pre-declares.</summary>
public sealed record AccessListEntry(Address Address, IReadOnlyList<Hash32> StorageKeys);
