using System.Globalization;
using Orchestrator.Domain.Crypto;

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
}
