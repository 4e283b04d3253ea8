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
    public static IDealGrain Deal(this IGrainFactory factory, Hash32 dealId) => StringKeyedGrains<IDealGrain>.Get(factory, Of(dealId));

    /// <summary>The task grain of a task.</summary>
    public static ITaskGrain Task(this IGrainFactory factory, Hash32 taskId) => StringKeyedGrains<ITaskGrain>.Get(factory, Of(taskId));

    /// <summary>The worker grain of a worker.</summary>
    public static IWorkerGrain Worker(this IGrainFactory factory, Address worker) => StringKeyedGrains<IWorkerGrain>.Get(factory, Of(worker));

    /// <summary>The liveness roster's shard that lists <paramref name="worker"/>, among <paramref name="shards"/>.</summary>
    public static IWorkerRosterGrain Roster(this IGrainFactory factory, Address worker, int shards)
        => factory.GetGrain<IWorkerRosterGrain>(Domain.Workers.LivenessRoster.ShardOf(worker, shards));

    /// <summary>The directory of recent deals.</summary>
    public static IDealDirectoryGrain DealDirectory(this IGrainFactory factory) => StringKeyedGrains<IDealDirectoryGrain>.Get(factory, IDealDirectoryGrain.Key);

    /// <summary>The workerpool grain.</summary>
    public static IPoolGrain Pool(this IGrainFactory factory) => StringKeyedGrains<IPoolGrain>.Get(factory, PoolKey);

    /// <summary>The key of the app-policy index grain.</summary>
    public const string AppPolicyIndexKey = "apps";

    /// <summary>An app's attestation policy.</summary>
    public static IAppPolicyGrain AppPolicy(this IGrainFactory factory, Address app) => StringKeyedGrains<IAppPolicyGrain>.Get(factory, Of(app));

    /// <summary>The index of apps with a policy.</summary>
    public static IAppPolicyIndexGrain AppPolicyIndex(this IGrainFactory factory) => StringKeyedGrains<IAppPolicyIndexGrain>.Get(factory, AppPolicyIndexKey);

    /// <summary>A requester's registered result-encryption key.</summary>
    public static IRequesterKeyGrain RequesterKey(this IGrainFactory factory, Address requester) => StringKeyedGrains<IRequesterKeyGrain>.Get(factory, Of(requester));

    /// <summary>The secrets of one owner.</summary>
    public static ISecretStoreGrain Secrets(this IGrainFactory factory, Messages.SecretOwner owner) => StringKeyedGrains<ISecretStoreGrain>.Get(factory, owner.Key);

    /// <summary>One page of an owner's audit trail.</summary>
    public static ISecretAuditPageGrain SecretAuditPage(this IGrainFactory factory, Messages.SecretOwner owner, long page)
        => StringKeyedGrains<ISecretAuditPageGrain>.Get(factory, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{owner.Key}/{page}"));

    /// <summary>The secret service's record of one TEE task.</summary>
    public static ITaskSecretsGrain TaskSecrets(this IGrainFactory factory, Hash32 taskId) => StringKeyedGrains<ITaskSecretsGrain>.Get(factory, Of(taskId));

    /// <summary>A dispatch partition.</summary>
    public static IDispatchPartitionGrain Partition(this IGrainFactory factory, string dispatchClass, int shard)
        => StringKeyedGrains<IDispatchPartitionGrain>.Get(factory, $"{dispatchClass}/{shard}");
}
