using Orleans.Runtime;
using Orleans.Storage;

namespace Orchestrator.Grains.Workers;

/// <summary>
/// A worker grain's kept evidence (state name "worker-evidence", the same record a persistent-state bridge read and
/// wrote), read from storage the first time it is needed instead of at every activation. Only TEE workers ever have
/// one, yet a bridge cost every worker grain a storage read at activation and a few hundred bytes of heap for as
/// long as its session was held. Writes are fenced by the stored ETag like every state write: a failed write resets
/// the activation (<see cref="Infrastructure.FencedWrites"/>).
/// </summary>
public sealed class KeptEvidence(IGrainStorage storage, GrainId grain)
{
    private const string StateName = "worker-evidence";
    private GrainState<KeptEvidenceState>? _state;

    /// <summary>The state, if it was read already (for synchronous readers that can do without it).</summary>
    public KeptEvidenceState? Loaded => _state?.State;

    /// <summary>The state, read from storage on first use.</summary>
    public async Task<KeptEvidenceState> GetAsync()
    {
        if (_state is null)
        {
            var read = new GrainState<KeptEvidenceState>(new KeptEvidenceState());
            await storage.ReadStateAsync(StateName, grain, read);
            _state ??= read;
        }

        return _state.State ??= new KeptEvidenceState(); // a record that was never written reads as none
    }

    /// <summary>Writes the state (read first if it never was); on failure deactivates <paramref name="owner"/> and rethrows.</summary>
    public async Task WriteAsync(IGrainBase owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        await GetAsync();
        try
        {
            await storage.WriteStateAsync(StateName, grain, _state!);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Infrastructure.FencedWrites.Reset(owner, ex);
            throw;
        }
    }
}
