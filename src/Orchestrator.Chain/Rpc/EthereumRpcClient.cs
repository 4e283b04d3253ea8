using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Chain.Numerics;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Rpc;

/// <summary>
/// A JSON-RPC 2.0 client for an Ethereum node over HTTP. Each call has its own timeout; transport
/// failures, timeouts, HTTP 5xx and 429 are retried with exponential backoff and jitter; JSON-RPC
/// error objects are never retried and surface as <see cref="JsonRpcException"/>. Quantities are
/// <see cref="BigInteger"/>. Several calls can share one HTTP request with <see cref="BatchAsync"/>.
/// </summary>
public sealed class EthereumRpcClient
{
    private const string JsonMediaType = "application/json";
    private readonly HttpClient _http;
    private readonly EthereumRpcClientOptions _options;
    private readonly TimeProvider _time;
    private long _nextId;

    /// <summary>Creates a client; <paramref name="http"/> is not disposed by it.</summary>
    public EthereumRpcClient(HttpClient http, EthereumRpcClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _http = http;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>eth_chainId.</summary>
    public async Task<BigInteger> ChainIdAsync(CancellationToken cancellationToken = default)
        => Quantity(await SendAsync("eth_chainId", [], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_blockNumber.</summary>
    public async Task<BigInteger> BlockNumberAsync(CancellationToken cancellationToken = default)
        => Quantity(await SendAsync("eth_blockNumber", [], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_getTransactionCount: the next nonce (use <see cref="BlockParameter.Pending"/> to count mempool transactions).</summary>
    public async Task<BigInteger> GetTransactionCountAsync(Address account, BlockParameter block, CancellationToken cancellationToken = default)
        => Quantity(await SendAsync("eth_getTransactionCount", [account.ToLowerHex(), block.Text], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_getBalance in wei.</summary>
    public async Task<BigInteger> GetBalanceAsync(Address account, BlockParameter block, CancellationToken cancellationToken = default)
        => Quantity(await SendAsync("eth_getBalance", [account.ToLowerHex(), block.Text], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_maxPriorityFeePerGas: the node's suggested tip.</summary>
    public async Task<BigInteger> MaxPriorityFeePerGasAsync(CancellationToken cancellationToken = default)
        => Quantity(await SendAsync("eth_maxPriorityFeePerGas", [], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_feeHistory over <paramref name="blockCount"/> blocks ending at <paramref name="newestBlock"/>.</summary>
    public async Task<FeeHistory> FeeHistoryAsync(int blockCount, BlockParameter newestBlock, IReadOnlyList<double> rewardPercentiles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rewardPercentiles);
        var percentiles = new JsonArray(rewardPercentiles.Select(p => (JsonNode?)JsonValue.Create(p)).ToArray());
        var result = await SendAsync("eth_feeHistory", [UnsignedBigEndian.ToQuantity(blockCount), newestBlock.Text, percentiles], cancellationToken).ConfigureAwait(false);
        return RpcJson.ReadFeeHistory(result);
    }

    /// <summary>eth_estimateGas; a revert raises <see cref="JsonRpcException"/> with the revert data.</summary>
    public async Task<BigInteger> EstimateGasAsync(CallRequest call, CancellationToken cancellationToken = default)
        => Quantity(await SendAsync("eth_estimateGas", [RpcJson.CallObject(call)], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_call: the return data.</summary>
    public async Task<byte[]> CallAsync(CallRequest call, BlockParameter block, CancellationToken cancellationToken = default)
        => RpcJson.Bytes(await SendAsync("eth_call", [RpcJson.CallObject(call), block.Text], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_sendRawTransaction: the transaction hash the node reports.</summary>
    public async Task<Hash32> SendRawTransactionAsync(ReadOnlyMemory<byte> rawTransaction, CancellationToken cancellationToken = default)
        => RpcJson.Hash(await SendAsync("eth_sendRawTransaction", [Hex.Encode(rawTransaction.Span)], cancellationToken).ConfigureAwait(false));

    /// <summary>eth_getTransactionReceipt; null while the transaction is not mined.</summary>
    public async Task<TransactionReceipt?> GetTransactionReceiptAsync(Hash32 transactionHash, CancellationToken cancellationToken = default)
    {
        var result = await SendAsync("eth_getTransactionReceipt", [transactionHash.ToString()], cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Null ? null : RpcJson.ReadReceipt(result);
    }

    /// <summary>
    /// The account's mined nonce count, the receipts of <paramref name="receipts"/>, whether the node knows
    /// each of <paramref name="known"/> (eth_getTransactionByHash) and the head, in one HTTP request
    /// (one JSON-RPC batch) however many transactions are followed. Any call's error fails the whole look.
    /// The count is asked first: a transaction mined after it is then seen by its receipt, never
    /// mistaken for a nonce taken by someone else (a node that answers a batch out of order only makes
    /// that look inconclusive, which the caller checks again).
    /// </summary>
    public async Task<ReceiptSnapshot> ReadReceiptsAsync(Address account, IReadOnlyList<Hash32> receipts, IReadOnlyList<Hash32> known, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(receipts);
        ArgumentNullException.ThrowIfNull(known);
        var calls = new List<JsonRpcCall>(receipts.Count + known.Count + 2)
        {
            new("eth_getTransactionCount", [account.ToLowerHex(), BlockParameter.Latest.Text]),
        };
        calls.AddRange(receipts.Select(h => new JsonRpcCall("eth_getTransactionReceipt", [h.ToString()])));
        calls.AddRange(known.Select(h => new JsonRpcCall("eth_getTransactionByHash", [h.ToString()])));
        calls.Add(new JsonRpcCall("eth_blockNumber", []));
        var responses = await BatchAsync(calls, cancellationToken).ConfigureAwait(false);
        var found = new Dictionary<Hash32, TransactionReceipt>();
        for (var i = 0; i < receipts.Count; i++)
        {
            var result = responses[1 + i].GetResultOrThrow();
            if (result.ValueKind != JsonValueKind.Null)
            {
                found[receipts[i]] = RpcJson.ReadReceipt(result);
            }
        }

        var knownSet = new HashSet<Hash32>();
        for (var i = 0; i < known.Count; i++)
        {
            if (responses[1 + receipts.Count + i].GetResultOrThrow().ValueKind != JsonValueKind.Null)
            {
                knownSet.Add(known[i]);
            }
        }

        return new ReceiptSnapshot(
            (long)Quantity(responses[0].GetResultOrThrow()),
            (long)Quantity(responses[^1].GetResultOrThrow()),
            found,
            knownSet);
    }

    /// <summary>eth_getLogs.</summary>
    public async Task<IReadOnlyList<LogEntry>> GetLogsAsync(LogFilter filter, CancellationToken cancellationToken = default)
    {
        var result = await SendAsync("eth_getLogs", [RpcJson.FilterObject(filter)], cancellationToken).ConfigureAwait(false);
        return result.EnumerateArray().Select(RpcJson.ReadLog).ToList();
    }

    /// <summary>eth_getBlockByNumber without transaction bodies; null when the block does not exist.</summary>
    public async Task<BlockHeader?> GetBlockByNumberAsync(BlockParameter block, CancellationToken cancellationToken = default)
    {
        var result = await SendAsync("eth_getBlockByNumber", [block.Text, false], cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Null ? null : RpcJson.ReadBlockHeader(result);
    }

    /// <summary>Any method: the raw JSON result.</summary>
    public async Task<JsonElement> SendAsync(string method, JsonArray parameters, CancellationToken cancellationToken = default)
    {
        var responses = await BatchAsync([new JsonRpcCall(method, parameters)], cancellationToken).ConfigureAwait(false);
        return responses[0].GetResultOrThrow();
    }

    /// <summary>
    /// Sends several calls in one HTTP request. The whole batch is retried on transient failures;
    /// each call's JSON-RPC error is reported in its own response, in call order.
    /// </summary>
    public async Task<IReadOnlyList<JsonRpcResponse>> BatchAsync(IReadOnlyList<JsonRpcCall> calls, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calls);
        if (calls.Count == 0)
        {
            return [];
        }

        var ids = calls.Select(_ => Interlocked.Increment(ref _nextId)).ToArray();
        var body = RequestBody(calls, ids, single: calls.Count == 1);
        using var document = await PostWithRetriesAsync(body, DescribeCalls(calls), cancellationToken).ConfigureAwait(false);
        return MatchResponses(calls, ids, document.RootElement);
    }

    private static string DescribeCalls(IReadOnlyList<JsonRpcCall> calls)
        => calls.Count == 1 ? calls[0].Method : $"batch of {calls.Count} ({string.Join(", ", calls.Select(c => c.Method).Distinct())})";

    private static string RequestBody(IReadOnlyList<JsonRpcCall> calls, long[] ids, bool single)
    {
        var requests = calls.Select((call, i) => new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = ids[i],
            ["method"] = call.Method,

            // The node owns the array once serialised; cloning keeps the caller's JsonArray reusable.
            ["params"] = call.Parameters.DeepClone(),
        }).ToList();
        return single ? requests[0].ToJsonString() : new JsonArray([.. requests]).ToJsonString();
    }

    private static List<JsonRpcResponse> MatchResponses(IReadOnlyList<JsonRpcCall> calls, long[] ids, JsonElement root)
    {
        var byId = new Dictionary<long, JsonElement>();
        if (root.ValueKind == JsonValueKind.Object)
        {
            // A single error object without an id is what nodes send for a batch they cannot parse.
            if (calls.Count > 1 && (!root.TryGetProperty("id", out var id) || id.ValueKind == JsonValueKind.Null))
            {
                throw ToException(DescribeCalls(calls), root.GetProperty("error"));
            }

            byId[calls.Count == 1 ? ids[0] : ReadId(root)] = root;
        }
        else if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var response in root.EnumerateArray())
            {
                byId[ReadId(response)] = response;
            }
        }
        else
        {
            throw new RpcTransportException("the node's response is neither a JSON object nor an array");
        }

        var results = new List<JsonRpcResponse>(calls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            if (!byId.TryGetValue(ids[i], out var response))
            {
                throw new RpcTransportException($"the node's response has no answer for {calls[i].Method} (id {ids[i]})");
            }

            if (response.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
            {
                results.Add(new JsonRpcResponse(calls[i].Method, null, ToException(calls[i].Method, error)));
            }
            else if (response.TryGetProperty("result", out var result))
            {
                results.Add(new JsonRpcResponse(calls[i].Method, result.Clone(), null));
            }
            else
            {
                throw new RpcTransportException($"the node's answer to {calls[i].Method} has neither result nor error");
            }
        }

        return results;
    }

    private static long ReadId(JsonElement response)
        => response.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var value)
            ? value
            : throw new RpcTransportException("a response in the node's answer has no numeric id");

    private static JsonRpcException ToException(string method, JsonElement error)
    {
        var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var value) ? value : 0;
        var message = error.TryGetProperty("message", out var m) ? m.GetString() ?? string.Empty : error.GetRawText();
        JsonElement? data = error.TryGetProperty("data", out var d) ? d : null;
        return new JsonRpcException(method, code, message, data);
    }

    private static BigInteger Quantity(JsonElement value) => RpcJson.Quantity(value);

    private async Task<JsonDocument> PostWithRetriesAsync(string body, string what, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan? retryAfter = null;
            RpcTransportException failure;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    using var content = new StringContent(body, Encoding.UTF8, JsonMediaType);
                    using var response = await _http.PostAsync(_options.Endpoint, content, timeout.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                        try
                        {
                            return JsonDocument.Parse(text);
                        }
                        catch (JsonException e)
                        {
                            // A 200 with a broken body is a node or proxy bug; repeating it will not help.
                            throw new RpcTransportException($"{what}: the node's response is not JSON: {Truncate(text)}", response.StatusCode, e);
                        }
                    }

                    var status = response.StatusCode;
                    var errorText = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);

                    // Some nodes answer a JSON-RPC error with an HTTP error status; it is still final.
                    if (!IsTransient(status) && TryParseErrorBody(errorText, out var errorDocument))
                    {
                        return errorDocument!;
                    }

                    failure = new RpcTransportException($"{what}: HTTP {(int)status} {status}: {Truncate(errorText)}", status);
                    if (!IsTransient(status))
                    {
                        throw failure;
                    }

                    retryAfter = response.Headers.RetryAfter?.Delta
                        ?? (response.Headers.RetryAfter?.Date is { } date ? date - _time.GetUtcNow() : null);
                }
                catch (HttpRequestException e)
                {
                    failure = new RpcTransportException($"{what}: {e.Message}", e.StatusCode, e);
                }
                catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new RpcTransportException($"{what}: no answer within {_options.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s", null, new TimeoutException(e.Message, e));
                }
            }

            if (attempt >= _options.MaxAttempts)
            {
                throw new RpcTransportException($"{failure.Message} (gave up after {attempt} attempt(s))", failure.StatusCode, failure.InnerException ?? failure);
            }

            var delay = RetryBackoff.Delay(attempt, _options.InitialBackoff, _options.MaxBackoff, Random.Shared.NextDouble());
            if (retryAfter is { } serverDelay && serverDelay > delay)
            {
                delay = serverDelay < _options.MaxBackoff ? serverDelay : _options.MaxBackoff;
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsTransient(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.TooManyRequests || status == HttpStatusCode.RequestTimeout;

    private static bool TryParseErrorBody(string text, out JsonDocument? document)
    {
        document = null;
        try
        {
            var parsed = JsonDocument.Parse(text);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object && parsed.RootElement.TryGetProperty("error", out _))
            {
                document = parsed;
                return true;
            }

            parsed.Dispose();
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
