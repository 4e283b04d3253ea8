using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Workers;
using Orchestrator.Telemetry;

namespace Orchestrator.Grains.Workers;

/// <summary>The first step of a registration: one pool call (authorization, policy, sighting), then the capabilities against the policy.</summary>
public static class WorkerAdmissionCheck
{
    /// <summary>The pool's policy when the worker is admitted, or the refusal to answer with (counted in <c>orchestrator.workers.registrations</c>).</summary>
    public static async Task<(PoolPolicy? Policy, WorkerRegistration? Refusal)> AdmitAsync(IGrainFactory grains, Address worker, WorkerHello hello, int score)
    {
        if (hello.Worker != worker)
        {
            return (null, Refuse(RegistrationOutcome.NotAuthorized, $"hello for {hello.Worker} sent to worker {worker}", 0, "not_authorized"));
        }

        var admission = await grains.Pool().AdmitAsync(worker);
        if (!admission.Authorized)
        {
            return (null, Refuse(RegistrationOutcome.NotAuthorized, $"worker {worker} is not authorized by this pool", 0, "not_authorized"));
        }

        var errors = WorkerAdmission.Check(hello.Capabilities.ToDomain(), hello.SimulatedTee, admission.Policy.Admission);
        return errors.Count == 0
            ? (admission.Policy, null)
            : (null, Refuse(RegistrationOutcome.InvalidCapabilities, string.Join("; ", errors), score, "invalid_capabilities"));
    }

    private static WorkerRegistration Refuse(RegistrationOutcome outcome, string message, int score, string result)
    {
        GrainsTelemetry.WorkerRegistrations.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Result, result));
        return new WorkerRegistration(outcome, message, [], score);
    }
}
