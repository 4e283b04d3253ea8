using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Bridge.Sending;

/// <summary>
/// Shares one look at the chain among every transaction an account has in flight: at most one
/// JSON-RPC batch (<see cref="EthereumRpcClient.ReadReceiptsAsync"/>) is under way per account, and the
/// transactions that ask meanwhile are answered together by the next one. So a poll costs one HTTP
/// request however many batches are in flight, instead of four round trips per transaction.
/// </summary>
public sealed class ReceiptPoller(EthereumRpcClient rpc, Address account)
{
    private readonly Lock _gate = new();
    private HashSet<Hash32> _receipts = [];
    private HashSet<Hash32> _known = [];
    private TaskCompletionSource<ReceiptSnapshot>? _next;
    private bool _running;

    /// <summary>Looks in the next shared batch; <paramref name="askKnown"/> also asks whether the node still knows that hash.</summary>
    public Task<ReceiptSnapshot> LookAsync(IReadOnlyList<Hash32> hashes, Hash32? askKnown, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        Task<ReceiptSnapshot> look;
        var start = false;
        lock (_gate)
        {
            _receipts.UnionWith(hashes);
            if (askKnown is { } hash)
            {
                _known.Add(hash);
            }

            _next ??= new TaskCompletionSource<ReceiptSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
            look = _next.Task;
            if (!_running)
            {
                _running = true;
                start = true;
            }
        }

        if (start)
        {
            _ = Task.Run(RunAsync, CancellationToken.None);
        }

        return look.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        while (true)
        {
            TaskCompletionSource<ReceiptSnapshot> round;
            Hash32[] receipts;
            Hash32[] known;
            lock (_gate)
            {
                if (_next is null)
                {
                    _running = false;
                    return;
                }

                round = _next;
                _next = null;
                receipts = [.. _receipts];
                known = [.. _known];
                _receipts = [];
                _known = [];
            }

            try
            {
                // Not the askers' tokens: one asker giving up must not fail the others' look.
                round.TrySetResult(await rpc.ReadReceiptsAsync(account, receipts, known, CancellationToken.None).ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                round.TrySetException(ex);
            }
        }
    }
}
