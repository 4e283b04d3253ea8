namespace Orchestrator.Bridge.Listening;

/// <summary>
/// The chain changed while the listener read a range (a reorganisation in progress): nothing of the
/// range is saved, and the next poll finds the fork from the cursor's kept hashes.
/// </summary>
public sealed class ChainMovedException(string message) : InvalidOperationException(message);
