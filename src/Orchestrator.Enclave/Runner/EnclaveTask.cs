using System.Diagnostics;
using System.Security.Cryptography;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Results;

namespace Orchestrator.Enclave.Runner;

/// <summary>
/// One TEE task inside the enclave: open the task's enclave challenge key and secrets (sealed to the
/// session key), check the key is the task's challenge, run the app with the secrets in its own
/// private directory, archive its output, compute the result digest, seal the archive for the
/// beneficiary and sign <c>keccak256(resultHash ‖ resultSeal)</c> (EIP-191) with the challenge key.
/// The plaintext output, the secrets and the key stay in <paramref name="privateRoot"/> (on Gramine an
/// encrypted or in-enclave tmpfs mount; in a TD its own memory-backed disk) and are deleted after the run.
/// </summary>
internal sealed class EnclaveTask(SessionKeys keys, string privateRoot, TimeProvider time)
{
    /// <summary>Runs <paramref name="task"/> for <paramref name="taskId"/> on the session <paramref name="session"/>.</summary>
    public async Task<RunOutcome> RunAsync(string? session, Address worker, Hash32 taskId, RunTask task, CancellationToken cancellationToken)
    {
        if (!Address.TryParse(task.EnclaveChallenge, out var challenge, out var challengeError))
        {
            throw new RunnerException($"run: enclaveChallenge: {challengeError}");
        }

        if (string.IsNullOrWhiteSpace(task.Command) || string.IsNullOrWhiteSpace(task.ResultPath))
        {
            throw new RunnerException("run: command and resultPath are required");
        }

        var key = Open(session, task.SealedEnclaveKey, taskId, "the enclave key");
        var directory = Path.Combine(privateRoot, taskId.ToString() + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        try
        {
            if (key.Length != 32 || Secp256k1.AddressOf(key) != challenge)
            {
                throw new RunnerException($"run: the released key is not task {taskId}'s enclave challenge {challenge}");
            }

            var input = Path.Combine(directory, "in");
            var output = Path.Combine(directory, "out");
            var secrets = Path.Combine(directory, "secrets");
            Directory.CreateDirectory(input);
            Directory.CreateDirectory(output);
            CopyInputs(task.InputDirectory, input);
            var environment = new Dictionary<string, string>(task.Environment, StringComparer.Ordinal)
            {
                ["IEXEC_IN"] = input,
                ["IEXEC_OUT"] = output,
                ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
                ["HOME"] = directory,
                ["TMPDIR"] = directory,
                ["LANG"] = "C.UTF-8",
            };
            WriteSecrets(session, task.Secrets, taskId, secrets, environment);

            var failure = await RunAppAsync(task, environment, directory, cancellationToken).ConfigureAwait(false);
            if (failure is not null)
            {
                return new RunOutcome { AppFailure = failure };
            }

            return Seal(task, worker, taskId, key, output, Path.Combine(directory, "result.tar"));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            TryDelete(directory);
        }
    }

    private RunOutcome Seal(RunTask task, Address worker, Hash32 taskId, byte[] key, string output, string archive)
    {
        Hash32 digest;
        byte[]? callbackData;
        try
        {
            var archiveDigest = ResultArchive.Build(output, archive, task.MaxResultBytes);
            callbackData = task.HasCallback ? ResultArchive.CallbackDataOf(output) : null;
            digest = CallbackData.ResultDigest(task.HasCallback, callbackData, archiveDigest);
        }
        catch (Exception ex) when (ex is ResultArchiveException or InvalidDataException)
        {
            return new RunOutcome { AppFailure = ex.Message };
        }

        var encryption = string.Empty;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(task.ResultPath))!);
        if (task.BeneficiaryKey is { Length: > 0 } beneficiary)
        {
            File.WriteAllBytes(task.ResultPath, Ecies.Encrypt(beneficiary, File.ReadAllBytes(archive)));
            encryption = ResultPrivacy.EciesLabel;
        }
        else
        {
            File.Copy(archive, task.ResultPath, overwrite: true); // public results: the requester asked for them in clear
        }

        var resultHash = ProtocolIds.ResultHash(taskId, digest);
        var resultSeal = ProtocolIds.ResultSeal(worker, taskId, digest);
        var signature = EthereumMessage.Sign(ProtocolIds.EnclaveMessage(resultHash, resultSeal).ToArray(), key).ToBytes65();
        return new RunOutcome
        {
            ResultDigest = digest.ToString(),
            EnclaveSignature = signature,
            ResultPath = task.ResultPath,
            Encryption = encryption,
            CallbackData = callbackData,
        };
    }

    private async Task<string?> RunAppAsync(RunTask task, Dictionary<string, string> environment, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(task.Command)
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in task.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return $"the app {task.Command} did not start: {ex.Message}";
        }

        // The app's logs stay in the enclave (they may print secrets); drained so the app never blocks on a full pipe.
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(cancellationToken), process.StandardError.ReadToEndAsync(cancellationToken));
        var maxRun = TimeSpan.FromSeconds(task.MaxRunSeconds > 0 ? task.MaxRunSeconds : 300);
        using var limit = new CancellationTokenSource(maxRun, time);
        using var both = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken);
        try
        {
            await process.WaitForExitAsync(both.Token).ConfigureAwait(false);
            await drain.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            return $"the app ran longer than its max run time ({maxRun}) and was killed";
        }

        return process.ExitCode == 0 ? null : $"the app exited with code {process.ExitCode}";
    }

    private void WriteSecrets(string? session, IReadOnlyList<SealedAppSecret> sealedSecrets, Hash32 taskId, string directory, Dictionary<string, string> environment)
    {
        if (sealedSecrets.Count == 0)
        {
            return;
        }

        environment["IEXEC_SECRETS_DIR"] = directory;
        foreach (var secret in sealedSecrets.OrderBy(s => OwnerOrder(s.Owner)).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            if (OwnerOrder(secret.Owner) == int.MaxValue || !IsName(secret.Name))
            {
                throw new RunnerException($"run: a secret of owner '{secret.Owner}' named '{secret.Name}': owners are dataset, app, requester and names 1..128 of [A-Za-z0-9._-]");
            }

            var value = Open(session, secret.Sealed, taskId, $"secret {secret.Owner}/{secret.Name}");
            var ownerDirectory = Path.Combine(directory, secret.Owner);
            Directory.CreateDirectory(ownerDirectory);
            File.WriteAllBytes(Path.Combine(ownerDirectory, secret.Name), value);
            if (SecretVariables.TryText(value, out var text))
            {
                environment.TryAdd(SecretVariables.NameOf(secret.Owner, secret.Name), text);
            }

            CryptographicOperations.ZeroMemory(value);
        }
    }

    private byte[] Open(string? session, byte[] sealedValue, Hash32 taskId, string what)
    {
        try
        {
            return keys.Open(session, sealedValue, taskId);
        }
        catch (CryptographicException)
        {
            throw new RunnerException($"run: {what} of task {taskId} does not open with this session's key (sealed to another session or task, or altered)");
        }
    }

    private static void CopyInputs(string? from, string to)
    {
        if (from is null || !Directory.Exists(from))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    // The order the agent's simulated enclave gives them (dataset, app, requester): the first of two names mapping to one variable wins.
    private static int OwnerOrder(string owner) => owner switch
    {
        SecretVariables.Dataset => 1,
        SecretVariables.App => 2,
        SecretVariables.Requester => 3,
        _ => int.MaxValue,
    };

    private static bool IsName(string name) =>
        name.Length is > 0 and <= 128 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') && name is not "." and not "..";

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // a killed app's last write; the runner's private root is emptied when the enclave ends
        }
    }
}
