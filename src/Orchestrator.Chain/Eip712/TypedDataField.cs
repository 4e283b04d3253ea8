namespace Orchestrator.Chain.Eip712;

/// <summary>One member of an EIP-712 struct type: its name and type text (e.g. <c>address</c>, <c>Person[]</c>).</summary>
public sealed record TypedDataField(string Name, string Type);
