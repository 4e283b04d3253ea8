namespace Orchestrator.Chain.Transactions;

/// <summary>The transaction envelope types this library reads and writes (EIP-2718 type numbers).</summary>
public enum TransactionType : byte
{
    /// <summary>Untyped legacy transaction, with or without EIP-155 replay protection.</summary>
    Legacy = 0,

    /// <summary>EIP-2930: legacy gas price plus an access list.</summary>
    AccessList = 1,

    /// <summary>EIP-1559: priority fee and fee cap.</summary>
    DynamicFee = 2,
}
