using System.Text;

namespace Orchestrator.Enclave.Runner;

/// <summary>
/// How a released secret reaches the app, named as iExec names it so apps run unchanged: the dataset's
/// <c>key</c> as <c>IEXEC_DATASET_KEY</c>, otherwise <c>IEXEC_DATASET_SECRET_NAME</c>,
/// <c>IEXEC_APP_DEVELOPER_SECRET_NAME</c>, <c>IEXEC_REQUESTER_SECRET_NAME</c> (NAME upper-cased, '.' and
/// '-' as '_'); a value that is not UTF-8 text without NUL is given only as a file. Shared by the
/// trusted runner and the agent's simulated enclave, so both give apps the same environment.
/// </summary>
public static class SecretVariables
{
    /// <summary>The owner kinds, as directory names under IEXEC_SECRETS_DIR.</summary>
    public const string Dataset = "dataset", App = "app", Requester = "requester";

    /// <summary>The variable of a secret of <paramref name="owner"/> (one of the owner constants) named <paramref name="name"/>.</summary>
    public static string NameOf(string owner, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (owner == Dataset && name == "key")
        {
            return "IEXEC_DATASET_KEY";
        }

        var prefix = owner switch
        {
            Dataset => "IEXEC_DATASET_SECRET_",
            App => "IEXEC_APP_DEVELOPER_SECRET_",
            _ => "IEXEC_REQUESTER_SECRET_",
        };
        return prefix + name.ToUpperInvariant().Replace('.', '_').Replace('-', '_');
    }

    /// <summary>The value as text when it is UTF-8 without NUL (what an environment variable can carry).</summary>
    public static bool TryText(ReadOnlySpan<byte> value, out string text)
    {
        text = string.Empty;
        if (value.IndexOf((byte)0) >= 0)
        {
            return false;
        }

        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
