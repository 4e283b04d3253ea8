using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Enclave.Runner;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Session;

/// <summary>
/// What the agent hands the trusted runner for one TEE task: the secret service's reply as it came
/// (sealed to the runner's session key), the allowed app's command, the public environment and input
/// files, where to put the result, and the beneficiary's key. Nothing in it is secret to the agent.
/// </summary>
internal static class EnclaveRun
{
    /// <summary>The runner's task for <paramref name="request"/>, whose inputs are in <paramref name="workspace"/>.</summary>
    public static RunTask For(Assignment assignment, ExecutionRequest request, IReadOnlyList<string> taskArguments, TaskWorkspace workspace,
        Api.Secrets.V1.FetchTaskSecretsReply released, long maxResultBytes) => new()
    {
        EnclaveChallenge = assignment.EnclaveChallenge,
        SealedEnclaveKey = released.SealedEnclaveKey.ToByteArray(),
        Secrets = [.. released.Secrets.Select(s => new SealedAppSecret(OwnerOf(s.Owner?.Kind), s.Name, s.SealedValue.ToByteArray()))],
        Command = request.App.Command ?? string.Empty,
        Arguments = [.. request.App.Arguments, .. taskArguments],
        // IEXEC_IN and IEXEC_OUT are the runner's own directories; it replaces these placeholders.
        Environment = IexecEnvironment.For(request, string.Empty, string.Empty),
        InputDirectory = workspace.InputDirectory,
        ResultPath = workspace.ArchivePath + ".enclave",
        MaxRunSeconds = request.MaxRunTime.TotalSeconds,
        MaxResultBytes = maxResultBytes,
        BeneficiaryKey = assignment.BeneficiaryKey.IsEmpty ? null : assignment.BeneficiaryKey.ToByteArray(),
        HasCallback = ReplicatePipeline.HasCallback(assignment),
    };

    private static string OwnerOf(Api.Secrets.V1.OwnerKind? kind) => kind switch
    {
        Api.Secrets.V1.OwnerKind.Dataset => SecretVariables.Dataset,
        Api.Secrets.V1.OwnerKind.App => SecretVariables.App,
        Api.Secrets.V1.OwnerKind.Requester => SecretVariables.Requester,
        _ => "unknown", // the runner refuses it, naming the owner
    };

    /// <summary>The runner's signature, or null when it is not the 65 bytes the contribution needs.</summary>
    public static byte[]? SignatureOf(RunOutcome outcome) => outcome.EnclaveSignature is { Length: 65 } signature ? signature : null;

    /// <summary>The outcome's digest, parsed.</summary>
    public static bool TryDigest(RunOutcome outcome, out Hash32 digest) => Hash32.TryParse(outcome.ResultDigest, out digest, out _);
}
