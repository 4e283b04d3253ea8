using System.Numerics;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;

namespace Orchestrator.Domain.Deals;

/// <summary>
/// A deal as the pool receives it (from the chain or submitted off-chain): one app (and optional
/// dataset), <see cref="BotSize"/> tasks starting at <see cref="BotFirst"/>, each with its own parameters.
/// </summary>
public sealed record DealSpec
{
    /// <summary>The deal id (from the chain, or derived with <see cref="ProtocolIds.DealId"/>).</summary>
    public required Hash32 DealId { get; init; }

    /// <summary>The account that pays.</summary>
    public required Address Requester { get; init; }

    /// <summary>The app (its registry address).</summary>
    public required Address App { get; init; }

    /// <summary>The dataset, or the zero address.</summary>
    public Address Dataset { get; init; } = Address.Zero;

    /// <summary>Category id (sets timeref).</summary>
    public required int CategoryId { get; init; }

    /// <summary>The requested trust; consensus uses max(trust, 1).</summary>
    public required int Trust { get; init; }

    /// <summary>The TEE tag.</summary>
    public TeeTag Tag { get; init; } = TeeTag.NoTee;

    /// <summary>First task index.</summary>
    public long BotFirst { get; init; }

    /// <summary>Number of tasks.</summary>
    public required int BotSize { get; init; }

    /// <summary>Workerpool price per task, in wei.</summary>
    public BigInteger TaskPrice { get; init; }

    /// <summary>When the deal started (the chain block time, or the submission time).</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>Resources each task needs.</summary>
    public int Cores { get; init; } = 1;

    /// <summary>Memory each task needs, MiB.</summary>
    public int MemoryMb { get; init; } = 512;

    /// <summary>Whether tasks need a GPU.</summary>
    public bool Gpu { get; init; }

    /// <summary>Per-deal app arguments; a task's own parameters come from <see cref="TaskParams"/> when present.</summary>
    public string Params { get; init; } = string.Empty;

    /// <summary>
    /// The contract the hub calls with each task's callback data (PoCo's deal callback), or the zero address.
    /// Its tasks' result digest is keccak256 of the callback data the app writes (<see cref="Results.CallbackData"/>).
    /// </summary>
    public Address Callback { get; init; } = Address.Zero;

    /// <summary>Per-task parameters by offset from BotFirst (optional).</summary>
    public IReadOnlyList<string> TaskParams { get; init; } = [];

    /// <summary>
    /// The beneficiary's secp256k1 public key (64 bytes X ‖ Y), or null: when set, workers encrypt the
    /// task's result archive and logs for it (<see cref="Ecies"/>) before they leave the worker.
    /// </summary>
    public byte[]? BeneficiaryKey { get; init; }

    /// <summary>The requester states that results may be stored in clear (needed by a TEE deal without a beneficiary key).</summary>
    public bool PublicResults { get; init; }

    /// <summary>Largest bag of tasks one deal may carry here.</summary>
    public const int MaxBotSize = 1_000_000;

    /// <summary>The requirements each task of this deal has.</summary>
    public TaskRequirements Requirements => new(Tag.Kind, Cores, MemoryMb, Gpu, CategoryId);

    /// <summary>trust = max(requested, 1).</summary>
    public int EffectiveTrust => Math.Max(Trust, 1);

    /// <summary>The id of the task at offset <paramref name="offset"/> (0 ≤ offset &lt; BotSize).</summary>
    public Hash32 TaskIdAt(int offset) => ProtocolIds.TaskId(DealId, (ulong)(BotFirst + offset));

    /// <summary>The parameters of the task at <paramref name="offset"/>.</summary>
    public string ParamsAt(int offset) => offset < TaskParams.Count ? TaskParams[offset] : Params;

    /// <summary>Checks the deal against the protocol and the pool's categories; returns every problem found.</summary>
    public IReadOnlyList<string> Validate(CategoryCatalog categories)
    {
        var errors = new List<string>();
        if (DealId.IsZero) errors.Add("dealId must not be zero");
        if (BotSize < 1 || BotSize > MaxBotSize) errors.Add($"botSize must be 1..{MaxBotSize}, got {BotSize}");
        if (BotFirst < 0) errors.Add($"botFirst must not be negative, got {BotFirst}");
        if (Trust < 0 || Trust > 1_000) errors.Add($"trust must be 0..1000, got {Trust}");
        if (!categories.TryGet(CategoryId, out _)) errors.Add($"category {CategoryId} is not known to this pool");
        if (!Tag.IsValidDealTag) errors.Add($"tag {Tag} is not a valid TEE tag (0x0, 0x3, 0x5 or 0x9)");
        if (Tag.RequiresTee && Trust > 1) errors.Add($"TEE deals accept only trust 0 or 1, got {Trust}");
        if (TaskPrice.Sign < 0) errors.Add("taskPrice must not be negative");
        if (Cores is < 1 or > 4096) errors.Add($"cores must be 1..4096, got {Cores}");
        if (MemoryMb is < 1 or > 64 * 1024 * 1024) errors.Add($"memoryMb must be 1..67108864, got {MemoryMb}");
        if (TaskParams.Count > BotSize) errors.Add($"{TaskParams.Count} task parameters given for {BotSize} tasks");
        if (Params.Length > 64 * 1024) errors.Add("params must be at most 65536 characters");
        if (ResultPrivacy.Check(Tag, BeneficiaryKey, PublicResults) is { } privacy) errors.Add(privacy);
        return errors;
    }
}
