using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Reorgs;

/// <summary>Something a listener acted on (a deal it created), by id, and the block its log was in.</summary>
/// <param name="Id">The item's id (a deal id).</param>
/// <param name="Block">The block of the log it came from.</param>
public sealed record SeenLog(Hash32 Id, long Block);
