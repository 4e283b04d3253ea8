using Orchestrator.Domain.Deals;

namespace Orchestrator.Domain.Workers;

/// <summary>What a pool lets in, as far as a worker's declared machine is concerned.</summary>
/// <param name="AcceptedTeeKinds">The TEE kinds (None included) the pool takes.</param>
/// <param name="AllowSimulatedTee">Whether simulated TEE (a software key, proving nothing) is allowed.</param>
public sealed record AdmissionPolicy(IReadOnlyCollection<TeeKind> AcceptedTeeKinds, bool AllowSimulatedTee)
{
    /// <summary>
    /// The pool's one simulated-TEE rule: simulated evidence, a simulated session and a simulated verdict
    /// are accepted only where the pool allows simulation. Registration asks it of the worker's evidence;
    /// dispatch and secret release ask it again of the pool's current policy (<see cref="AdmitsSimulated"/>)
    /// before the TEE admission rule weighs the app's own policy, so a pool that stops allowing
    /// simulation stops it without waiting for workers to re-register.
    /// </summary>
    public string? RefuseSimulated(bool simulated)
        => simulated && !AllowSimulatedTee ? "the pool does not allow simulated TEE" : null;

    /// <summary>True when <see cref="RefuseSimulated"/> lets simulated evidence through.</summary>
    public bool AdmitsSimulated => RefuseSimulated(simulated: true) is null;
}

/// <summary>Registration rules: a worker's declared capabilities against the pool's policy.</summary>
public static class WorkerAdmission
{
    /// <summary>Every reason to refuse the declared capabilities (empty: admitted).</summary>
    public static IReadOnlyList<string> Check(WorkerCapabilities capabilities, bool simulatedTee, AdmissionPolicy policy)
    {
        var errors = capabilities.Validate().ToList();
        if (!policy.AcceptedTeeKinds.Contains(capabilities.Tee))
        {
            errors.Add($"the pool does not accept {capabilities.Tee} workers");
        }

        if (policy.RefuseSimulated(simulatedTee) is { } refusal)
        {
            errors.Add(refusal);
        }

        return errors;
    }
}
