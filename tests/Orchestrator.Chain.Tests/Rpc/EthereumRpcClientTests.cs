using System.Net;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Chain.Abi;
using Orchestrator.Chain.Rpc;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Chain.Tests.Rpc;

public sealed class EthereumRpcClientTests
{
    private static readonly Address Account = Address.Parse("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    private static readonly Hash32 TxHash = Hash32.Parse("0x" + new string('a', 64));
    private static readonly Hash32 BlockHash = Hash32.Parse("0x" + new string('b', 64));

    [Fact]
    public async Task ChainIdSendsAJsonRpcRequestAndParsesTheQuantity()
    {
        var (client, node) = Create(h => h.Result("\"0x7a69\""));

        Assert.Equal(new BigInteger(31337), await client.ChainIdAsync());

        var request = Assert.Single(node.Requests);
        Assert.Equal("2.0", request.GetProperty("jsonrpc").GetString());
        Assert.Equal("eth_chainId", request.GetProperty("method").GetString());
        Assert.Equal(0, request.GetProperty("params").GetArrayLength());
    }

    [Fact]
    public async Task NonceBalanceBlockNumberAndTipUseTheRightParameters()
    {
        var (client, node) = Create(h => h
            .Result("\"0x5\"").Result("\"0x3\"").Result("\"0x21e19e0c9bab2400000\"").Result("\"0x10\"").Result("\"0x3b9aca00\""));

        Assert.Equal(5, await client.GetTransactionCountAsync(Account, BlockParameter.Pending));
        Assert.Equal(3, await client.GetTransactionCountAsync(Account, BlockParameter.Latest));
        Assert.Equal(BigInteger.Parse("10000000000000000000000", System.Globalization.CultureInfo.InvariantCulture), await client.GetBalanceAsync(Account, BlockParameter.Number(16)));
        Assert.Equal(16, await client.BlockNumberAsync());
        Assert.Equal(1_000_000_000, await client.MaxPriorityFeePerGasAsync());

        Assert.Equal("""["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266","pending"]""", node.Requests[0].GetProperty("params").GetRawText());
        Assert.Equal("latest", node.Requests[1].GetProperty("params")[1].GetString());
        Assert.Equal("0x10", node.Requests[2].GetProperty("params")[1].GetString());
        Assert.Equal("eth_maxPriorityFeePerGas", node.Requests[4].GetProperty("method").GetString());
    }

    [Fact]
    public async Task TransientFailuresAreRetriedUntilSuccess()
    {
        var (client, node) = Create(h => h
            .Status(HttpStatusCode.ServiceUnavailable, "busy")
            .Status(HttpStatusCode.TooManyRequests, retryAfter: TimeSpan.FromMilliseconds(5))
            .Throw(new HttpRequestException("connection refused"))
            .Result("\"0x1\""));

        Assert.Equal(1, await client.BlockNumberAsync());
        Assert.Equal(4, node.Requests.Count);
        Assert.Equal(0, node.Remaining);
    }

    [Fact]
    public async Task RetriesStopAtMaxAttemptsWithTheLastCause()
    {
        var (client, node) = Create(h => h
            .Status(HttpStatusCode.BadGateway).Status(HttpStatusCode.BadGateway).Status(HttpStatusCode.BadGateway).Status(HttpStatusCode.BadGateway));

        var error = await Assert.ThrowsAsync<RpcTransportException>(() => client.BlockNumberAsync());

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Contains("4 attempt", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, node.Requests.Count);
    }

    [Fact]
    public async Task JsonRpcErrorsAreNeverRetried()
    {
        var (client, node) = Create(h => h.Error(-32000, "nonce too low").Result("\"0x1\""));

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => client.SendRawTransactionAsync(new byte[] { 0x02, 0xc0 }));

        Assert.Equal(-32000, error.Code);
        Assert.Equal("nonce too low", error.RpcMessage);
        Assert.Equal("eth_sendRawTransaction", error.Method);
        Assert.Single(node.Requests);
        Assert.Equal("0x02c0", node.Requests[0].GetProperty("params")[0].GetString());
    }

    [Fact]
    public async Task AJsonRpcErrorInsideAnHttpErrorStatusIsStillFinal()
    {
        var (client, node) = Create(h => h
            .Status(HttpStatusCode.BadRequest, """{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params"}}""")
            .Result("\"0x1\""));

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => client.ChainIdAsync());

        Assert.Equal(-32602, error.Code);
        Assert.Single(node.Requests);
    }

    [Fact]
    public async Task ClientErrorStatusesAreNotRetried()
    {
        var (client, node) = Create(h => h.Status(HttpStatusCode.Unauthorized, "no key").Result("\"0x1\""));

        var error = await Assert.ThrowsAsync<RpcTransportException>(() => client.ChainIdAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Single(node.Requests);
    }

    [Fact]
    public async Task AnAttemptThatTimesOutIsRetried()
    {
        var (client, node) = Create(h => h.Hang().Result("\"0x2a\""), timeout: TimeSpan.FromMilliseconds(100));

        Assert.Equal(42, await client.BlockNumberAsync());
        Assert.Equal(2, node.Requests.Count);
    }

    [Fact]
    public async Task TimeoutsExhaustAttemptsWithATimeoutCause()
    {
        var (client, _) = Create(h => h.Hang().Hang(), timeout: TimeSpan.FromMilliseconds(50), attempts: 2);

        var error = await Assert.ThrowsAsync<RpcTransportException>(() => client.BlockNumberAsync());

        Assert.IsType<TimeoutException>(error.InnerException);
    }

    [Fact]
    public async Task CallerCancellationStopsAtOnceWithoutRetrying()
    {
        var (client, node) = Create(h => h.Hang().Result("\"0x1\""), timeout: TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.BlockNumberAsync(cancel.Token));

        Assert.Single(node.Requests);
    }

    [Fact]
    public async Task RevertsCarryTheirReason()
    {
        var revert = Hex.Encode(AbiFunction.Parse("Error(string)").EncodeCall("task already finalized"));
        var (client, node) = Create(h => h.Error(3, "execution reverted: task already finalized", $"\"{revert}\""));

        var error = await Assert.ThrowsAsync<JsonRpcException>(() => client.EstimateGasAsync(new CallRequest
        {
            From = Account,
            To = Account,
            Data = [0xde, 0xad],
            Value = 0,
        }));

        Assert.Equal(3, error.Code);
        Assert.Equal("task already finalized", error.RevertReason);
        var call = node.Requests[0].GetProperty("params")[0];
        Assert.Equal("0xdead", call.GetProperty("input").GetString());
        Assert.Equal("0x0", call.GetProperty("value").GetString());
        Assert.False(call.TryGetProperty("gas", out _));
    }

    [Fact]
    public async Task CallReturnsTheBytes()
    {
        var (client, node) = Create(h => h.Result("\"0x0000000000000000000000000000000000000000000000000000000000000001\""));

        var result = await client.CallAsync(new CallRequest { To = Account, Data = [1, 2, 3, 4] }, BlockParameter.Latest);

        Assert.Equal(32, result.Length);
        Assert.Equal("latest", node.Requests[0].GetProperty("params")[1].GetString());
    }

    [Fact]
    public async Task FeeHistoryIsParsed()
    {
        var (client, node) = Create(h => h.Result("""
            {"oldestBlock":"0x10","baseFeePerGas":["0x3b9aca00","0x3b9aca01","0x3b9aca02"],"gasUsedRatio":[0.5,0.25],"reward":[["0x1","0x2"],["0x3","0x4"]]}
            """));

        var history = await client.FeeHistoryAsync(2, BlockParameter.Latest, [25, 75]);

        Assert.Equal(16, history.OldestBlock);
        Assert.Equal(3, history.BaseFeePerGas.Count);
        Assert.Equal(0.25, history.GasUsedRatio[1]);
        Assert.Equal(4, history.Reward[1][1]);
        Assert.Equal("""["0x2","latest",[25,75]]""", node.Requests[0].GetProperty("params").GetRawText());
    }

    [Fact]
    public async Task ReceiptsAreParsedAndPendingIsNull()
    {
        var transfer = AbiEvent.Parse("Transfer(address indexed from, address indexed to, uint256 value)");
        var (client, _) = Create(h => h.Result("null").Result($$"""
            {"transactionHash":"{{TxHash}}","blockNumber":"0x3","blockHash":"{{BlockHash}}","transactionIndex":"0x0",
             "from":"{{Account.ToLowerHex()}}","to":null,"contractAddress":"0x5fbdb2315678afecb367f032d93f642f64180aa3",
             "status":"0x1","gasUsed":"0x5208","cumulativeGasUsed":"0x5208","effectiveGasPrice":"0x3b9aca00",
             "logs":[{"address":"0x5fbdb2315678afecb367f032d93f642f64180aa3","topics":["{{transfer.Topic0}}"],"data":"0x","blockNumber":"0x3",
                      "blockHash":"{{BlockHash}}","transactionHash":"{{TxHash}}","transactionIndex":"0x0","logIndex":"0x0","removed":false}]}
            """));

        Assert.Null(await client.GetTransactionReceiptAsync(TxHash));
        var receipt = await client.GetTransactionReceiptAsync(TxHash);

        Assert.NotNull(receipt);
        Assert.True(receipt.Succeeded);
        Assert.Null(receipt.To);
        Assert.Equal(Address.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"), receipt.ContractAddress);
        Assert.Equal(21000, receipt.GasUsed);
        Assert.Equal(transfer.Topic0, Assert.Single(receipt.Logs).Topics[0]);
    }

    [Fact]
    public async Task GetLogsSendsAddressTopicsAndRange()
    {
        var transfer = AbiEvent.Parse("Transfer(address indexed from, address indexed to, uint256 value)");
        var (client, node) = Create(h => h.Result("[]"));

        var logs = await client.GetLogsAsync(new LogFilter
        {
            FromBlock = BlockParameter.Number(100),
            ToBlock = BlockParameter.Latest,
            Addresses = [Account],
            Topics = [[transfer.Topic0], null, [AbiEvent.EncodeTopic(AbiType.Address, Account)]],
        });

        Assert.Empty(logs);
        var filter = node.Requests[0].GetProperty("params")[0];
        Assert.Equal("0x64", filter.GetProperty("fromBlock").GetString());
        Assert.Equal("latest", filter.GetProperty("toBlock").GetString());
        Assert.Equal(Account.ToLowerHex(), filter.GetProperty("address")[0].GetString());
        Assert.Equal(transfer.Topic0.ToString(), filter.GetProperty("topics")[0][0].GetString());
        Assert.Equal(JsonValueKind.Null, filter.GetProperty("topics")[1].ValueKind);
        Assert.Equal("0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266", filter.GetProperty("topics")[2][0].GetString());
    }

    [Fact]
    public async Task BlockHeaderFieldsAreParsed()
    {
        var (client, node) = Create(h => h.Result($$"""
            {"number":"0x1b4","hash":"{{BlockHash}}","parentHash":"{{TxHash}}","timestamp":"0x6553f100","gasLimit":"0x1c9c380","gasUsed":"0x0","baseFeePerGas":"0x7","transactions":[]}
            """).Result("null"));

        var header = await client.GetBlockByNumberAsync(BlockParameter.Number(436));

        Assert.NotNull(header);
        Assert.Equal(436, header.Number);
        Assert.Equal(BlockHash, header.Hash);
        Assert.Equal(7, header.BaseFeePerGas);
        Assert.Equal(0x6553f100, header.Timestamp);
        Assert.Equal("""["0x1b4",false]""", node.Requests[0].GetProperty("params").GetRawText());
        Assert.Null(await client.GetBlockByNumberAsync(BlockParameter.Number(10_000)));
    }

    [Fact]
    public async Task BatchesMatchAnswersByIdAndKeepPerCallErrors()
    {
        var (client, node) = Create(h => h.Raw(request =>
        {
            var ids = request.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToList();

            // Answers arrive out of order; the second call fails.
            const string Error = """{"code":-32000,"message":"header not found"}""";
            return $$"""[{"jsonrpc":"2.0","id":{{ids[1]}},"error":{{Error}}},{"jsonrpc":"2.0","id":{{ids[0]}},"result":"0x7a69"}]""";
        }));

        var responses = await client.BatchAsync([new JsonRpcCall("eth_chainId", []), new JsonRpcCall("eth_getBlockByNumber", ["0x999999", false])]);

        Assert.Equal(JsonValueKind.Array, node.Requests[0].ValueKind);
        Assert.Equal("0x7a69", responses[0].GetResultOrThrow().GetString());
        Assert.Equal("header not found", Assert.Throws<JsonRpcException>(() => responses[1].GetResultOrThrow()).RpcMessage);
    }

    [Fact]
    public async Task MalformedAnswersAreTransportErrors()
    {
        var (client, _) = Create(h => h.Raw(_ => "not json").Raw(_ => """{"jsonrpc":"2.0","id":999,"result":"0x1"}"""));

        await Assert.ThrowsAsync<RpcTransportException>(() => client.ChainIdAsync());
        var (client2, _) = Create(h => h.Raw(_ => """[{"jsonrpc":"2.0","id":999,"result":"0x1"}]"""));
        await Assert.ThrowsAsync<RpcTransportException>(() => client2.BatchAsync([new JsonRpcCall("a", []), new JsonRpcCall("b", [])]));
    }

    [Theory]
    [InlineData(1, 0.0, 100)]
    [InlineData(1, 1.0, 200)]
    [InlineData(3, 1.0, 800)]
    [InlineData(10, 1.0, 5000)]
    [InlineData(10, 0.0, 2500)]
    public void BackoffDoublesIsCappedAndJittered(int retry, double jitter, double expectedMs)
    {
        var delay = RetryBackoff.Delay(retry, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), jitter);

        Assert.Equal(expectedMs, delay.TotalMilliseconds, 3);
    }

    private static (EthereumRpcClient Client, ScriptedHandler Node) Create(Action<ScriptedHandler> script, TimeSpan? timeout = null, int attempts = 4)
    {
        var node = new ScriptedHandler();
        script(node);
        var client = new EthereumRpcClient(
            new HttpClient(node),
            new EthereumRpcClientOptions
            {
                Endpoint = new Uri("http://node.test/"),
                RequestTimeout = timeout ?? TimeSpan.FromSeconds(5),
                MaxAttempts = attempts,
                InitialBackoff = TimeSpan.FromMilliseconds(1),
                MaxBackoff = TimeSpan.FromMilliseconds(20),
            });
        return (client, node);
    }
}
