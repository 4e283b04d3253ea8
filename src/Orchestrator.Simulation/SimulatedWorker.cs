using System.Security.Cryptography;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Secrets;

namespace Orchestrator.Simulation;

/// <summary>How a simulated worker behaves.</summary>
public enum WorkerBehavior
{
    /// <summary>Computes the right result.</summary>
    Honest = 0,

    /// <summary>Returns a wrong result on every other task (so it wins some, loses some, and its score drops).</summary>
    Faulty = 1,

    /// <summary>Honest until it has taken <see cref="SimulatedWorker.VanishAfter"/> tasks, then stops without a word, holding its work.</summary>
    Vanishing = 2,
}

/// <summary>
/// An in-process worker that speaks to its worker grain exactly as the gRPC session layer does:
/// register, poll (which heartbeats), run, contribute, reveal. The app is a pure function of the
/// task's id and parameters, so honest workers agree. A TEE worker presents simulated evidence for each
/// session and fetches each TEE task's enclave key from the secret service, as the real agent does.
/// </summary>
public sealed class SimulatedWorker(IGrainFactory grains, WorkerBehavior behavior, TeeKind tee = TeeKind.None, int slots = 2, TimeProvider? time = null)
{
    private readonly byte[] _key = Secp256k1.NewPrivateKey();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private SimulatedEnclave? _enclave;
    private readonly Dictionary<Hash32, Hash32> _digests = [];
    private readonly Dictionary<Hash32, byte[]> _callbackData = [];
    private int _taken;
    private int _sessions;
    private int _faultToggle;

    /// <summary>The worker's address.</summary>
    public Address Address => field == default ? field = Secp256k1.AddressOf(_key) : field;

    /// <summary>Its behaviour.</summary>
    public WorkerBehavior Behavior => behavior;

    /// <summary>A vanishing worker goes silent after taking this many tasks.</summary>
    public int VanishAfter { get; init; } = 5;

    /// <summary>True once a vanishing worker has gone silent.</summary>
    public bool Vanished { get; private set; }

    /// <summary>Contributions accepted by the cluster.</summary>
    public int Contributions { get; private set; }

    /// <summary>Refusals the cluster returned (a correct worker sees none except races it cannot avoid).</summary>
    public int Refusals { get; private set; }

    /// <summary>The expected honest digest of a task: SHA-256 of its id and parameters.</summary>
    public static Hash32 HonestDigest(Hash32 taskId, string parameters)
    {
        var input = new byte[32 + System.Text.Encoding.UTF8.GetByteCount(parameters)];
        taskId.CopyTo(input);
        System.Text.Encoding.UTF8.GetBytes(parameters, input.AsSpan(32));
        return new Hash32(SHA256.HashData(input));
    }

    /// <summary>The measurement its simulated enclave reports (default: the demo enclave's).</summary>
    public string MrEnclave { get; init; } = SimulatedEnclave.DefaultMrEnclave;

    /// <summary>Fetches the secret service refused.</summary>
    public int SecretRefusals { get; private set; }

    /// <summary>Every secret released to this worker's enclave, by "owner/name" (last value seen).</summary>
    public IReadOnlyDictionary<string, byte[]> ReceivedSecrets => _received;

    private readonly Dictionary<string, byte[]> _received = new(StringComparer.Ordinal);
    private string? _session;

    /// <summary>Sessions opened after the first (the cluster lost a silo or the database, or dropped this worker).</summary>
    public int Resumptions { get; private set; }

    /// <summary>
    /// Registers and serves until cancelled (or until it vanishes). A failed call or a dropped session
    /// is not the end: the worker backs off, registers again and gets back what it still holds, as the
    /// real agent does when its stream breaks. Only a refusal (not authorized) stops it.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var grain = grains.Worker(Address);
        string? session = null;
        var idle = 0;
        var failures = 0;
        var running = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                session ??= await OpenSessionAsync(grain);
                var poll = await grain.PollAsync(session, Math.Max(0, slots - running));
                failures = 0;
                if (!poll.Registered)
                {
                    session = null; // dropped (declared lost while we were cut off): open a new session
                    continue;
                }

                if (!await FollowAsync(grain, poll.Commands))
                {
                    return; // vanished, holding a replicate silently
                }

                if (poll.Commands.Count == 0)
                {
                    idle = Math.Min(idle + 1, 6);
                    await Task.Delay(TimeSpan.FromMilliseconds(2 << idle), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    idle = 0;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("was refused", StringComparison.Ordinal))
            {
                throw;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The cluster is recovering: back off with jitter, then resume with a new session.
                session = null;
                failures = Math.Min(failures + 1, 5);
                var delay = TimeSpan.FromMilliseconds((100 << failures) * (0.5 + Random.Shared.NextDouble()));
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Registers with a fresh session (and fresh evidence) and runs what the worker still holds.</summary>
    private async Task<string> OpenSessionAsync(IWorkerGrain grain)
    {
        var session = Guid.NewGuid().ToString("n");
        _session = session;
        WorkerEvidence? evidence = null;
        if (tee != TeeKind.None)
        {
            // In process this worker is its own session layer: it makes the fresh challenge a server would.
            _enclave ??= new SimulatedEnclave(tee, MrEnclave);
            evidence = _enclave.NewSession(RandomNumberGenerator.GetBytes(32), _time.GetUtcNow());
        }

        var hello = new WorkerHello(Address, new CapabilitiesMessage(tee, 4, 8192, false, slots, []), session, tee != TeeKind.None, evidence);
        var registration = await grain.RegisterAsync(hello);
        if (registration.Outcome != RegistrationOutcome.Accepted)
        {
            throw new InvalidOperationException($"worker {Address} was refused: {registration.Message}");
        }

        if (_sessions++ > 0)
        {
            Resumptions++;
        }

        // Run what we still hold; a contribution whose answer was lost is sent again with the
        // journaled digest (the task refuses a duplicate, so this is safe).
        foreach (var held in registration.Held)
        {
            await RunAssignmentAsync(grain, held);
        }

        return session;
    }

    /// <summary>Follows the commands of one poll; false when the worker vanished.</summary>
    private async Task<bool> FollowAsync(IWorkerGrain grain, IReadOnlyList<WorkerCommand> commands)
    {
        foreach (var command in commands)
        {
            switch (command)
            {
                case AssignCommand assign:
                    _taken++;
                    if (behavior == WorkerBehavior.Vanishing && _taken > VanishAfter)
                    {
                        Vanished = true;
                        return false; // holding this replicate, silently
                    }

                    await RunAssignmentAsync(grain, assign);
                    break;
                case RevealCommand reveal when _digests.TryGetValue(reveal.TaskId, out var digest):
                    Count(await grain.RevealAsync(reveal.TaskId, digest, _callbackData.GetValueOrDefault(reveal.TaskId)));
                    break;
                case CancelCommand cancel:
                    _digests.Remove(cancel.TaskId);
                    _callbackData.Remove(cancel.TaskId);
                    break;
            }
        }

        return true;
    }

    private async Task RunAssignmentAsync(IWorkerGrain grain, AssignCommand assign)
    {
        var a = assign.Assignment;
        if (!_digests.TryGetValue(a.TaskId, out var digest))
        {
            digest = HonestDigest(a.TaskId, a.Params);
            if (behavior == WorkerBehavior.Faulty && (_faultToggle++ & 1) == 1)
            {
                digest = new Hash32(SHA256.HashData([.. Address.Bytes, .. a.TaskId.ToArray()]));
            }

            if (!a.Callback.IsZero)
            {
                // The simulated app of a callback deal writes its output's 32 bytes as callback-data;
                // the digest is then keccak256 of them (DESIGN §6), as a real worker computes it.
                var callbackData = digest.ToArray();
                _callbackData[a.TaskId] = callbackData;
                digest = Orchestrator.Domain.Results.CallbackData.Digest(callbackData);
            }
        }

        var resultHash = ProtocolIds.ResultHash(a.TaskId, digest);
        var resultSeal = ProtocolIds.ResultSeal(Address, a.TaskId, digest);
        if (a.TeeFastPath)
        {
            // The enclave fetches the task's key (and the dataset, app and requester secrets its deal
            // entitles it to) from the secret service, which checks its attestation and this holding.
            var (enclaveKey, secrets, _) = _enclave is null || _session is null
                ? (null, new Dictionary<string, byte[]>(), null)
                : await _enclave.FetchAsync(grains, Address, _session, a.TaskId, _time.GetUtcNow());
            if (enclaveKey is null)
            {
                SecretRefusals++;
                await grain.GiveBackAsync(a.TaskId);
                return;
            }

            foreach (var (name, value) in secrets)
            {
                _received[name] = value;
            }

            var enclaveSignature = EthereumMessage.Sign(ProtocolIds.EnclaveMessage(resultHash, resultSeal).ToArray(), enclaveKey);
            Count(await grain.ContributeAndFinalizeAsync(a.TaskId, digest, enclaveSignature.ToBytes65(), _callbackData.GetValueOrDefault(a.TaskId)));
            return;
        }

        var signature = EthereumMessage.Sign(ProtocolIds.ContributionMessage(a.TaskId, resultHash, resultSeal).ToArray(), _key);
        _digests[a.TaskId] = digest;
        var result = await grain.ContributeAsync(a.TaskId, resultHash, resultSeal, signature.ToBytes65());
        Count(result);
        if (result.Accepted && result.RevealNow)
        {
            Count(await grain.RevealAsync(a.TaskId, digest, _callbackData.GetValueOrDefault(a.TaskId)));
        }
    }

    private void Count(TaskCallResult result)
    {
        if (result.Accepted) Contributions++;
        else Refusals++;
    }
}
