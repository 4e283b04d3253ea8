using Microsoft.Extensions.Options;
using Orchestrator.Grains.Secrets;

namespace Orchestrator.Host.Persistence.Integrity;

/// <summary>
/// A silo whose grain state is durable (PostgreSQL) stores its trust states with a MAC under the secret
/// service's master key. Without a usable key there would be no MAC, and a row written by someone with
/// database access would be taken as the cluster's own; so such a silo does not start.
/// </summary>
public sealed class DurableStateNeedsMasterKey : IValidateOptions<SecretsOptions>
{
    public ValidateOptionsResult Validate(string? name, SecretsOptions options)
        => Check(options) is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;

    /// <summary>Why the keys are unusable for a durable silo, or null when they are usable.</summary>
    public static string? Check(SecretsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.AllowEphemeralMasterKey && options.MasterKeys.Count == 0 && string.IsNullOrWhiteSpace(options.MasterKeyDirectory))
        {
            // A key that dies with the process would MAC rows no restart and no other silo could read back.
            return "durable state (Orchestrator:Storage=Postgres) is stored with a MAC under the secret service's master key, which must outlive the process: "
                + "set Orchestrator:Secrets:MasterKeys:<id> or MasterKeyDirectory (Orchestrator:Secrets:AllowEphemeralMasterKey is for in-memory state only)";
        }

        try
        {
            MasterKeyRing.Load(options);
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            return "durable state (Orchestrator:Storage=Postgres) is stored with a MAC under the secret service's master key, and none is usable: " + ex.Message;
        }
    }
}
