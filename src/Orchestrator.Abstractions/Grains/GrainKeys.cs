using Orchestrator.Domain.Crypto;

namespace Orchestrator.Abstractions.Grains;

/// <summary>How grain keys are spelled: lowercase 0x-hex of the id, so every silo and client agrees.</summary>
public static class GrainKeys
{
    /// <summary>The key of the workerpool grain.</summary>
    public const string PoolKey = "pool";

    /// <summary>The key of a deal or task grain.</summary>
    public static string Of(Hash32 id) => id.ToString();

    /// <summary>The key of a worker grain.</summary>
    public static string Of(Address worker) => worker.ToLowerHex();

    /// <summary>The deal grain of a deal.</summary>
    public static IDealGrain Deal(this IGrainFactory factory, Hash32 dealId) => factory.GetGrain<IDealGrain>(Of(dealId));

    /// <summary>The task grain of a task.</summary>
    public static ITaskGrain Task(this IGrainFactory factory, Hash32 taskId) => factory.GetGrain<ITaskGrain>(Of(taskId));

    /// <summary>The worker grain of a worker.</summary>
    public static IWorkerGrain Worker(this IGrainFactory factory, Address worker) => factory.GetGrain<IWorkerGrain>(Of(worker));

    /// <summary>The directory of recent deals.</summary>
    public static IDealDirectoryGrain DealDirectory(this IGrainFactory factory) => factory.GetGrain<IDealDirectoryGrain>(IDealDirectoryGrain.Key);

    /// <summary>The workerpool grain.</summary>
    public static IPoolGrain Pool(this IGrainFactory factory) => factory.GetGrain<IPoolGrain>(PoolKey);

    /// <summary>The key of the app-policy index grain.</summary>
    public const string AppPolicyIndexKey = "apps";

    /// <summary>An app's attestation policy.</summary>
    public static IAppPolicyGrain AppPolicy(this IGrainFactory factory, Address app) => factory.GetGrain<IAppPolicyGrain>(Of(app));

    /// <summary>The index of apps with a policy.</summary>
    public static IAppPolicyIndexGrain AppPolicyIndex(this IGrainFactory factory) => factory.GetGrain<IAppPolicyIndexGrain>(AppPolicyIndexKey);

    /// <summary>A requester's registered result-encryption key.</summary>
    public static IRequesterKeyGrain RequesterKey(this IGrainFactory factory, Address requester) => factory.GetGrain<IRequesterKeyGrain>(Of(requester));

    /// <summary>The secrets of one owner.</summary>
    public static ISecretStoreGrain Secrets(this IGrainFactory factory, Messages.SecretOwner owner) => factory.GetGrain<ISecretStoreGrain>(owner.Key);

    /// <summary>One page of an owner's audit trail.</summary>
    public static ISecretAuditPageGrain SecretAuditPage(this IGrainFactory factory, Messages.SecretOwner owner, long page)
        => factory.GetGrain<ISecretAuditPageGrain>(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{owner.Key}/{page}"));

    /// <summary>The secret service's record of one TEE task.</summary>
    public static ITaskSecretsGrain TaskSecrets(this IGrainFactory factory, Hash32 taskId) => factory.GetGrain<ITaskSecretsGrain>(Of(taskId));

    /// <summary>A dispatch partition.</summary>
    public static IDispatchPartitionGrain Partition(this IGrainFactory factory, string dispatchClass, int shard)
        => factory.GetGrain<IDispatchPartitionGrain>($"{dispatchClass}/{shard}");
}
