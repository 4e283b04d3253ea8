using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge;

/// <summary>The chain bridge and listener (section "Orchestrator:Chain"). Off unless <see cref="Enabled"/>.</summary>
public sealed class BridgeOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Orchestrator:Chain";

    /// <summary>Run the bridge (consumers that send transactions) and the DealCreated listener.</summary>
    public bool Enabled { get; set; }

    /// <summary>The JSON-RPC endpoint.</summary>
    public Uri? RpcUrl { get; set; }

    /// <summary>The chain id the endpoint must report (refuses to sign for another chain).</summary>
    public long ChainId { get; set; } = 31337;

    /// <summary>The OrchestratorHub contract.</summary>
    public string? HubAddress { get; set; }

    /// <summary>The pool (owner address) whose deals this cluster runs.</summary>
    public string? PoolAddress { get; set; }

    /// <summary>The scheduler account's private key (0x-hex); prefer the environment (Orchestrator__Chain__SchedulerKey).</summary>
    public string? SchedulerKey { get; set; }

    /// <summary>Most tasks in one finalizeBatch/claimBatch transaction.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>Longest a task waits for its batch to fill.</summary>
    public TimeSpan BatchAge { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Batches in flight at once (each its own nonce).</summary>
    public int MaxInFlightBatches { get; set; } = 4;

    /// <summary>Blocks on top of (and including) the receipt's before a transaction counts as final.</summary>
    public int Confirmations { get; set; } = 2;

    /// <summary>How often receipts, heads and logs are polled.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A transaction with no receipt after this long is replaced with higher fees (same nonce).</summary>
    public TimeSpan BumpAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fee increase of a replacement, percent (nodes require at least 10).</summary>
    public int BumpPercent { get; set; } = 15;

    /// <summary>Fee cap never exceeded, in gwei (a runaway base fee stops the bridge rather than its wallet).</summary>
    public decimal MaxFeeCapGwei { get; set; } = 500;

    /// <summary>Blocks of eth_feeHistory the tip is taken from.</summary>
    public int FeeHistoryBlocks { get; set; } = 10;

    /// <summary>Reward percentile of eth_feeHistory used as the tip.</summary>
    public double TipPercentile { get; set; } = 50;

    /// <summary>Smallest tip, in wei (a chain with empty blocks reports zero rewards).</summary>
    public long MinTipWei { get; set; } = 1_000_000_000;

    /// <summary>First delay after a chain failure; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between attempts while the chain is unreachable.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A transaction that reverts this many times makes its tasks' messages fail (error queue).</summary>
    public int MaxRevertedAttempts { get; set; } = 3;

    /// <summary>Run the DealCreated listener (it needs the silo's grains; off for a bridge-only process).</summary>
    public bool ListenerEnabled { get; set; } = true;

    /// <summary>Blocks the listener stays behind the head (reorg safety).</summary>
    public int ListenerConfirmations { get; set; } = 2;

    /// <summary>
    /// Hashes of the last blocks read that the listener keeps to find where a reorganisation forked
    /// (at least <see cref="FinalityDepth"/>). A reorg deeper than <see cref="ListenerConfirmations"/>
    /// is walked back and read again; one deeper than this stops the listener with an error, since it
    /// can no longer tell which of its deals were undone.
    /// </summary>
    public int ListenerHashHistory { get; set; } = 128;

    /// <summary>The block the listener starts at when it has no cursor yet.</summary>
    public long ListenerStartBlock { get; set; }

    /// <summary>Most blocks per eth_getLogs call.</summary>
    public int ListenerMaxRange { get; set; } = 2_000;

    /// <summary>The PostgreSQL connection string of the bridge's tables (defaults to Orchestrator:PostgresConnectionString); in memory when neither is set.</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>
    /// Blocks after which a bridge transaction is final: followed (and sent again if a reorg undoes it)
    /// until this depth, although its tasks are settled at <see cref="Confirmations"/>. Per chain in the README.
    /// </summary>
    public int FinalityDepth { get; set; } = 12;

    /// <summary>
    /// How long a silo's lease on a bridge role (the account's sender, the hub's listener) lasts
    /// without renewal; renewed every third of it. A dead leader's successor starts within two of it.
    /// Used only with PostgreSQL (several silos); the embedded bridge is alone by construction.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The parsed hub address.</summary>
    public Address Hub => Address.Parse(HubAddress!);

    /// <summary>The parsed pool address.</summary>
    public Address Pool => Address.Parse(PoolAddress!);

    /// <summary>The key bytes.</summary>
    public byte[] Key => Hex.Decode(SchedulerKey!);

    /// <summary>Every problem, each naming its key.</summary>
    public List<string> Check()
    {
        var errors = new List<string>();
        if (!Enabled)
        {
            return errors;
        }

        if (RpcUrl is null || !RpcUrl.IsAbsoluteUri || (RpcUrl.Scheme != "http" && RpcUrl.Scheme != "https"))
            errors.Add("Orchestrator:Chain:RpcUrl must be an http(s) URL of a JSON-RPC endpoint (e.g. \"http://127.0.0.1:8545/\")");
        if (ChainId <= 0) errors.Add($"Orchestrator:Chain:ChainId must be positive, got {ChainId}");
        if (!Address.TryParse(HubAddress, out _, out var hubError)) errors.Add($"Orchestrator:Chain:HubAddress must be the OrchestratorHub's address: {hubError}");
        if (!Address.TryParse(PoolAddress, out _, out var poolError)) errors.Add($"Orchestrator:Chain:PoolAddress must be the pool owner's address: {poolError}");
        if (!Hex.TryDecode(SchedulerKey, out var key, out _) || key.Length != 32)
            errors.Add("Orchestrator:Chain:SchedulerKey must be the scheduler account's 32-byte private key as 0x-hex (set it through the environment: Orchestrator__Chain__SchedulerKey)");
        if (BatchSize is < 1 or > 500) errors.Add($"Orchestrator:Chain:BatchSize must be 1..500, got {BatchSize}");
        if (BatchAge <= TimeSpan.Zero) errors.Add("Orchestrator:Chain:BatchAge must be positive");
        if (MaxInFlightBatches is < 1 or > 64) errors.Add($"Orchestrator:Chain:MaxInFlightBatches must be 1..64, got {MaxInFlightBatches}");
        if (Confirmations is < 1 or > 1_000) errors.Add($"Orchestrator:Chain:Confirmations must be 1..1000, got {Confirmations}");
        if (ListenerConfirmations is < 0 or > 1_000) errors.Add($"Orchestrator:Chain:ListenerConfirmations must be 0..1000, got {ListenerConfirmations}");
        if (BumpPercent is < 10 or > 1_000) errors.Add($"Orchestrator:Chain:BumpPercent must be 10..1000 (nodes refuse a replacement below +10 %), got {BumpPercent}");
        if (PollInterval <= TimeSpan.Zero || BumpAfter <= TimeSpan.Zero) errors.Add("Orchestrator:Chain:PollInterval and Orchestrator:Chain:BumpAfter must be positive");
        if (LeaseDuration < TimeSpan.FromMilliseconds(300) || LeaseDuration > TimeSpan.FromMinutes(10)) errors.Add($"Orchestrator:Chain:LeaseDuration must be 0.3 s..10 min, got {LeaseDuration}");
        if (FinalityDepth < Confirmations || FinalityDepth > 10_000) errors.Add($"Orchestrator:Chain:FinalityDepth must be Confirmations ({Confirmations})..10000, got {FinalityDepth}");
        if (ListenerMaxRange < 1) errors.Add("Orchestrator:Chain:ListenerMaxRange must be at least 1");
        if (ListenerHashHistory < Math.Max(FinalityDepth, 1) || ListenerHashHistory > 10_000)
            errors.Add($"Orchestrator:Chain:ListenerHashHistory must be FinalityDepth ({FinalityDepth})..10000, got {ListenerHashHistory}");
        return errors;
    }
}
