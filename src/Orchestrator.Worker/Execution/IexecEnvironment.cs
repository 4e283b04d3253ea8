using System.Globalization;
using Orchestrator.Domain.Crypto;
using Orchestrator.Enclave.Runner;

namespace Orchestrator.Worker.Execution;

/// <summary>
/// The environment an app sees, named as iExec workers name it so existing apps run unchanged:
/// <c>IEXEC_IN</c>, <c>IEXEC_OUT</c>, <c>IEXEC_TASK_ID</c>, <c>IEXEC_DEAL_ID</c>, <c>IEXEC_TASK_INDEX</c>,
/// <c>IEXEC_APP_ARGS</c>, <c>IEXEC_INPUT_FILES_NUMBER</c>, <c>IEXEC_INPUT_FILE_NAME_1..n</c>,
/// <c>IEXEC_DATASET_ADDRESS</c> and <c>IEXEC_DATASET_FILENAME</c> (when the deal has a dataset).
/// </summary>
public static class IexecEnvironment
{
    /// <summary>The variables for a request whose input and output directories are at these paths (host or container paths).</summary>
    public static Dictionary<string, string> For(ExecutionRequest request, string inputDirectory, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(request);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["IEXEC_IN"] = inputDirectory,
            ["IEXEC_OUT"] = outputDirectory,
            ["IEXEC_TASK_ID"] = request.TaskId.ToString(),
            ["IEXEC_DEAL_ID"] = request.DealId.ToString(),
            ["IEXEC_TASK_INDEX"] = request.Index.ToString(CultureInfo.InvariantCulture),
            ["IEXEC_APP_ARGS"] = request.Params,
            ["IEXEC_INPUT_FILES_NUMBER"] = request.Inputs.Count.ToString(CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            env[$"IEXEC_INPUT_FILE_NAME_{i + 1}"] = request.Inputs[i].Name;
        }

        if (request.Dataset != Address.Zero)
        {
            env["IEXEC_DATASET_ADDRESS"] = request.Dataset.ToString();
            env["IEXEC_DATASET_FILENAME"] = request.Dataset.ToString();
        }

        return env;
    }

    /// <summary>
    /// The variables that carry a TEE task's released secrets (empty when there are none):
    /// <c>IEXEC_SECRETS_DIR</c> (the directory holding every secret as a file,
    /// <c>dataset/NAME</c>, <c>app/NAME</c>, <c>requester/NAME</c>, exact bytes), and for each secret
    /// whose value is UTF-8 text without NUL the value itself: the dataset's <c>key</c> as
    /// <c>IEXEC_DATASET_KEY</c> (iExec's name), otherwise <c>IEXEC_DATASET_SECRET_NAME</c>,
    /// <c>IEXEC_APP_DEVELOPER_SECRET_NAME</c>, <c>IEXEC_REQUESTER_SECRET_NAME</c> with NAME upper-cased
    /// and '.'/'-' as '_' (so a requester secret named "1" is iExec's <c>IEXEC_REQUESTER_SECRET_1</c>).
    /// When two names map to one variable the first in ordinal order wins; the files are always exact.
    /// </summary>
    public static Dictionary<string, string> Secrets(ExecutionRequest request, string secretDirectory)
    {
        ArgumentNullException.ThrowIfNull(request);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.Secrets.Count == 0)
        {
            return env;
        }

        env["IEXEC_SECRETS_DIR"] = secretDirectory;
        foreach (var secret in request.Secrets.OrderBy(s => s.Owner).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            if (SecretVariables.TryText(secret.Value.Span, out var text))
            {
                env.TryAdd(VariableOf(secret), text);
            }
        }

        return env;
    }

    /// <summary>The variable a secret's (text) value is given in (the names the trusted runner gives too).</summary>
    public static string VariableOf(AppSecret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return SecretVariables.NameOf(DirectoryOf(secret.Owner), secret.Name);
    }

    /// <summary>The directory (under the secrets directory) of an owner's secret files.</summary>
    public static string DirectoryOf(AppSecretOwner owner) => owner switch
    {
        AppSecretOwner.Dataset => SecretVariables.Dataset,
        AppSecretOwner.App => SecretVariables.App,
        _ => SecretVariables.Requester,
    };
}
