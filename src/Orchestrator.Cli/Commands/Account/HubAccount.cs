using System.Numerics;
using Orchestrator.Bridge.Contract;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Chain.Transactions;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands.Account;

/// <summary>An account's hub balances: free (withdrawable, stakes come from it) and frozen (locked escrow of unfinished tasks).</summary>
/// <param name="Account">The account.</param>
/// <param name="Free">Free balance, in wei.</param>
/// <param name="Frozen">Frozen balance, in wei.</param>
public sealed record HubBalance(Address Account, BigInteger Free, BigInteger Frozen);

/// <summary>The result of a deposit or withdrawal: its transaction and the balances after it.</summary>
/// <param name="Transaction">The mined transaction's hash.</param>
/// <param name="Balance">The balances once it is mined.</param>
public sealed record HubAccountMove(Hash32 Transaction, HubBalance Balance);

/// <summary>A move the hub refuses (its custom error, decoded), or a transaction that did not succeed.</summary>
public sealed class HubAccountException(string message) : Exception(message);

/// <summary>
/// Reads and moves an account's balance on the OrchestratorHub: `deposit()` and `withdraw(amount)` are
/// signed with the project's own transaction code (EIP-1559) and sent raw; each is first simulated with
/// eth_call so that a refusal is reported with the hub's rule before anything is sent or paid for.
/// </summary>
public sealed class HubAccount(EthereumRpcClient rpc, Address hub)
{
    private static readonly AbiFunction InsufficientBalance = AbiFunction.Parse("InsufficientBalance(uint256 requested, uint256 available)");
    private static readonly AbiFunction AmountTooLarge = AbiFunction.Parse("AmountTooLarge()");
    private static readonly AbiFunction TransferFailed = AbiFunction.Parse("TransferFailed()");
    private static readonly AbiFunction InvalidStakeRatio = AbiFunction.Parse("InvalidStakeRatio(uint256 ratio)");
    private static readonly AbiFunction UnknownPool = AbiFunction.Parse("UnknownPool(address pool)");
    private static readonly AbiFunction WorkerStakeRatioOf = AbiFunction.Parse("workerStakeRatioOf(address pool) returns (uint256)");

    /// <summary>How often a sent transaction's receipt is asked for.</summary>
    public TimeSpan ReceiptPoll { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a sent transaction may take to be mined before the command gives up waiting (it may still be mined).</summary>
    public TimeSpan ReceiptTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The account's free and frozen balances.</summary>
    public async Task<HubBalance> BalanceAsync(Address account, CancellationToken cancellationToken = default)
    {
        var free = await ReadAsync(HubContract.BalanceOf, account, cancellationToken).ConfigureAwait(false);
        var frozen = await ReadAsync(HubContract.FrozenOf, account, cancellationToken).ConfigureAwait(false);
        return new HubBalance(account, free, frozen);
    }

    /// <summary>Deposits <paramref name="amount"/> wei from the key's account into its free balance.</summary>
    public Task<HubAccountMove> DepositAsync(byte[] key, BigInteger amount, CancellationToken cancellationToken = default)
        => SendAsync(key, HubContract.Deposit.EncodeCall(), amount, cancellationToken);

    /// <summary>Withdraws <paramref name="amount"/> wei of the key's free balance to its account (never frozen escrow).</summary>
    public Task<HubAccountMove> WithdrawAsync(byte[] key, BigInteger amount, CancellationToken cancellationToken = default)
        => SendAsync(key, HubContract.Withdraw.EncodeCall(amount), BigInteger.Zero, cancellationToken);

    /// <summary>The stake, in percent of the pool price, the pool's future deals ask of each contributor.</summary>
    public Task<BigInteger> WorkerStakeRatioAsync(Address pool, CancellationToken cancellationToken = default)
        => ReadAsync(WorkerStakeRatioOf, pool, cancellationToken);

    /// <summary>The pool owner (the key) sets its pool's worker stake ratio, 0..100 percent; returns the transaction.</summary>
    public async Task<Hash32> SetWorkerStakeRatioAsync(byte[] key, BigInteger percent, CancellationToken cancellationToken = default)
        => (await SendAsync(key, HubContract.SetWorkerStakeRatio.EncodeCall(percent), BigInteger.Zero, cancellationToken).ConfigureAwait(false)).Transaction;

    private async Task<BigInteger> ReadAsync(AbiFunction function, Address account, CancellationToken cancellationToken)
    {
        var output = await rpc.CallAsync(new CallRequest { To = hub, Data = function.EncodeCall(account) }, BlockParameter.Latest, cancellationToken).ConfigureAwait(false);
        if (output.Length == 0)
        {
            throw new HubAccountException($"{hub.ToChecksumString()} answered nothing: no OrchestratorHub is deployed there");
        }

        return (BigInteger)function.DecodeOutput(output)[0]!;
    }

    private async Task<HubAccountMove> SendAsync(byte[] key, byte[] data, BigInteger value, CancellationToken cancellationToken)
    {
        var from = Secp256k1.AddressOf(key);
        var call = new CallRequest { From = from, To = hub, Value = value, Data = data };
        BigInteger gas;
        try
        {
            // The simulation refuses what the hub would, before anything is signed or paid for.
            await rpc.CallAsync(call, BlockParameter.Pending, cancellationToken).ConfigureAwait(false);
            gas = await rpc.EstimateGasAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonRpcException ex)
        {
            throw new HubAccountException(Describe(ex));
        }

        var chainId = await rpc.ChainIdAsync(cancellationToken).ConfigureAwait(false);
        var nonce = await rpc.GetTransactionCountAsync(from, BlockParameter.Pending, cancellationToken).ConfigureAwait(false);
        var tip = await rpc.MaxPriorityFeePerGasAsync(cancellationToken).ConfigureAwait(false);
        var head = await rpc.GetBlockByNumberAsync(BlockParameter.Latest, cancellationToken).ConfigureAwait(false);
        // Twice the base fee plus the tip: the transaction stays includable while the base fee doubles.
        var maxFee = (2 * (head?.BaseFeePerGas ?? BigInteger.Zero)) + tip;
        var signed = TransactionSigner.SignEip1559(chainId, nonce, tip, maxFee, gas + (gas / 5), hub, value, data, key);
        var hash = await rpc.SendRawTransactionAsync(signed.Raw, cancellationToken).ConfigureAwait(false);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReceiptTimeout);
        try
        {
            while (true)
            {
                var receipt = await rpc.GetTransactionReceiptAsync(hash, timeout.Token).ConfigureAwait(false);
                if (receipt is not null)
                {
                    return receipt.Succeeded
                        ? new HubAccountMove(hash, await BalanceAsync(from, cancellationToken).ConfigureAwait(false))
                        : throw new HubAccountException($"transaction {hash} was mined but reverted (the balance changed between the check and the send?)");
                }

                await Task.Delay(ReceiptPoll, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HubAccountException($"transaction {hash} was sent but not mined within {ReceiptTimeout.TotalSeconds:0} s; check it later");
        }
    }

    /// <summary>The hub's refusal in one line, naming its rule.</summary>
    private static string Describe(JsonRpcException ex)
    {
        var data = ex.RevertData;
        if (data.Length >= 4 && data.AsSpan(0, 4).SequenceEqual(InsufficientBalance.Selector))
        {
            var args = InsufficientBalance.DecodeCall(data);
            return $"refused by the hub: InsufficientBalance — {args[0]} wei asked, {args[1]} wei free (frozen escrow and others' funds never leave)";
        }

        if (data.Length >= 4 && data.AsSpan(0, 4).SequenceEqual(AmountTooLarge.Selector))
        {
            return "refused by the hub: AmountTooLarge — the balance would exceed what an account may hold";
        }

        if (data.Length >= 4 && data.AsSpan(0, 4).SequenceEqual(TransferFailed.Selector))
        {
            return "refused by the hub: TransferFailed — the account did not accept the payment";
        }

        if (data.Length >= 4 && data.AsSpan(0, 4).SequenceEqual(InvalidStakeRatio.Selector))
        {
            return $"refused by the hub: InvalidStakeRatio — {InvalidStakeRatio.DecodeCall(data)[0]} is not a percentage (0 for no stake .. 100)";
        }

        if (data.Length >= 4 && data.AsSpan(0, 4).SequenceEqual(UnknownPool.Selector))
        {
            return $"refused by the hub: UnknownPool — {((Address)UnknownPool.DecodeCall(data)[0]!).ToChecksumString()} registered no pool (the key must be the pool owner's)";
        }

        return $"refused by the node: {ex.Message}";
    }
}
