namespace Orchestrator.Chain.Abi;

/// <summary>A named parameter of a function, event or error; <see cref="Indexed"/> only matters for events.</summary>
public sealed record AbiParameter(string Name, AbiType Type, bool Indexed = false);
