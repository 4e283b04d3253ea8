using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using ResultsService = Orchestrator.Api.Results.V1.Results;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Results;
using Orchestrator.Api.Results.V1;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Results;
using Orchestrator.Testing;
using WorkerTaskStatus = Orchestrator.Api.Worker.V1.TaskStatus;

namespace Orchestrator.Api.Tests;

/// <summary>
/// A deal with a beneficiary key, end to end over real gRPC and HTTP on loopback: the winner uploads
/// the archive encrypted for the beneficiary, and the requester (or the beneficiary) downloads it with
/// an EIP-712 signature instead of the pool owner's token; anyone else is refused.
/// </summary>
[Collection("api")]
public sealed class RequesterDownloadTests(ApiHost host)
{
    private readonly ResultsService.ResultsClient _results = new(host.Channel);

    [Fact]
    public async Task The_requester_and_the_beneficiary_download_the_encrypted_result_and_a_stranger_is_refused()
    {
        var (requester, beneficiary, taskId, plaintext) = await CompleteEncryptedTaskAsync();

        foreach (var key in new[] { requester, beneficiary })
        {
            var (info, bytes) = await GetResultAsync(taskId, key);
            Assert.Equal(ResultPrivacy.EciesLabel, info.Encryption);
            Assert.Equal(ResultUploads.Sha256(plaintext).ToString(), info.ResultDigest);
            Assert.Equal(ResultUploads.Sha256(bytes).ToString(), info.Sha256);
            Assert.Equal(plaintext, Ecies.Decrypt(beneficiary, bytes));
        }

        var stranger = await Assert.ThrowsAsync<RpcException>(() => GetResultAsync(taskId, Secp256k1.NewPrivateKey()));
        Assert.Equal(StatusCode.PermissionDenied, stranger.StatusCode);
        Assert.Contains("only the deal's requester or beneficiary", stranger.Status.Detail, StringComparison.Ordinal);

        var expired = await Assert.ThrowsAsync<RpcException>(() => GetResultAsync(taskId, requester, expiry: DateTimeOffset.UtcNow.AddMinutes(-1)));
        Assert.Equal(StatusCode.Unauthenticated, expired.StatusCode);
        Assert.Contains("expired", expired.Status.Detail, StringComparison.Ordinal);

        var forLogs = await Assert.ThrowsAsync<RpcException>(() => GetResultAsync(taskId, requester, kind: ResultKind.Logs));
        Assert.Equal(StatusCode.PermissionDenied, forLogs.StatusCode); // a logs request recovers to someone else for a result
    }

    [Fact]
    public async Task The_json_route_serves_a_signed_request_and_still_serves_the_pool_owner_without_one()
    {
        var (requester, beneficiary, taskId, plaintext) = await CompleteEncryptedTaskAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };

        using var signed = SignedGet($"/v1/tasks/{taskId}/result", taskId, beneficiary);
        using var response = await http.SendAsync(signed);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(plaintext, Ecies.Decrypt(beneficiary, body));
        Assert.Equal(ResultUploads.Sha256(plaintext).ToString(), Header(response, "X-Orchestrator-Result-Digest"));
        Assert.Equal(ResultUploads.Sha256(body).ToString(), Header(response, "X-Orchestrator-Sha256"));
        Assert.Equal(ResultPrivacy.EciesLabel, Header(response, "X-Orchestrator-Encryption"));

        using var strangers = SignedGet($"/v1/tasks/{taskId}/result", taskId, Secp256k1.NewPrivateKey());
        using var refused = await http.SendAsync(strangers);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("requester or beneficiary downloads its results", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Without the signature header the route is the pool owner's transcoded DownloadResult, token and all.
        using var owner = new HttpRequestMessage(HttpMethod.Get, $"/v1/tasks/{taskId}/result");
        owner.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiHost.Token);
        using var owners = await http.SendAsync(owner);
        Assert.Equal(HttpStatusCode.OK, owners.StatusCode);
        using (var first = JsonDocument.Parse((await owners.Content.ReadAsStringAsync()).Split('\n')[0])) // one JSON object per streamed message
        {
            // The owner gets the stored ciphertext, labelled, and cannot open it.
            var chunk = first.RootElement;
            Assert.Equal(ResultPrivacy.EciesLabel, chunk.GetProperty("encryption").GetString());
            Assert.Equal(ResultUploads.Sha256(plaintext).ToString(), chunk.GetProperty("resultDigest").GetString());
        }

        using var anonymous = await http.GetAsync(new Uri($"/v1/tasks/{taskId}/result", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("X-Orchestrator-Signature", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal); // the requester is shown their way in
        _ = requester;
    }

    [Fact]
    public async Task A_requester_outside_dotnet_signs_with_ethers_and_downloads_over_json()
    {
        var (requester, beneficiary, taskId, plaintext) = await CompleteEncryptedTaskAsync();
        Assert.True(File.Exists(Repository.PathOf("node_modules", "ethers", "package.json")), "ethers is not installed: run npm ci at the repository's root (it is a devDependency)");
        var output = Path.Combine(Path.GetTempPath(), $"outsider-{Guid.NewGuid():n}.bin");
        try
        {
            var printed = await Task.Run(() => Commands.Run("node",
                [Repository.PathOf("tests", "outsider", "result_request.mjs"), $"http://127.0.0.1:{host.HttpPort}", taskId, Hex.Encode(requester), output],
                TimeSpan.FromMinutes(1)));
            var reply = JsonDocument.Parse(printed).RootElement;
            Assert.Equal(200, reply.GetProperty("status").GetInt32());
            Assert.Equal(Secp256k1.AddressOf(requester).ToChecksumString(), reply.GetProperty("signer").GetString());
            Assert.Equal(ResultUploads.Sha256(plaintext).ToString(), reply.GetProperty("headers").GetProperty("x-orchestrator-result-digest").GetString());
            Assert.Equal(plaintext, Ecies.Decrypt(beneficiary, File.ReadAllBytes(output)));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task A_plaintext_upload_to_a_deal_with_a_beneficiary_key_is_refused_and_a_second_winners_ciphertext_is_already_stored()
    {
        var (_, beneficiary, taskId, plaintext, worker) = await WinEncryptedTaskAsync();
        await using var _ = worker;

        var clear = await Assert.ThrowsAsync<RpcException>(() => UploadAsync(worker, taskId, plaintext, encryption: string.Empty));
        Assert.Equal(StatusCode.FailedPrecondition, clear.StatusCode);
        Assert.Contains("names a beneficiary key", clear.Status.Detail, StringComparison.Ordinal);

        var publicKey = Secp256k1.PublicKeyBytes(beneficiary);
        var first = await UploadAsync(worker, taskId, Ecies.Encrypt(publicKey, plaintext));
        Assert.False(first.AlreadyStored);
        var second = await UploadAsync(worker, taskId, Ecies.Encrypt(publicKey, plaintext)); // other bytes, same plaintext
        Assert.True(second.AlreadyStored);
        Assert.Equal(first.Sha256, second.Sha256);
    }

    [Fact]
    public async Task A_holders_logs_are_stored_encrypted_and_served_to_the_requester_and_a_worker_that_never_held_the_task_is_refused()
    {
        var (requester, beneficiary, taskId, _, worker) = await WinEncryptedTaskAsync();
        await using var _ = worker;
        var package = LogsPackage.Pack("step 1\nstep 2\n"u8, "warning: cold cache\n"u8);
        var publicKey = Secp256k1.PublicKeyBytes(beneficiary);

        var clear = await Assert.ThrowsAsync<RpcException>(() => ResultUploads.UploadLogsAsync(host.Workers, worker, taskId, package));
        Assert.Equal(StatusCode.FailedPrecondition, clear.StatusCode);
        Assert.False((await ResultUploads.UploadLogsAsync(host.Workers, worker, taskId, Ecies.Encrypt(publicKey, package), ResultPrivacy.EciesLabel)).AlreadyStored);
        Assert.True((await ResultUploads.UploadLogsAsync(host.Workers, worker, taskId, Ecies.Encrypt(publicKey, package), ResultPrivacy.EciesLabel)).AlreadyStored);

        var strangerKey = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(strangerKey).ToLowerHex() } });
        var strangerWorker = await TestWorker.ConnectAsync(host.Workers, strangerKey, TestWorker.Standard(slots: 1));
        await using var stranger = strangerWorker;
        var refused = await Assert.ThrowsAsync<RpcException>(() => ResultUploads.UploadLogsAsync(host.Workers, strangerWorker, taskId, Ecies.Encrypt(publicKey, package), ResultPrivacy.EciesLabel));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("only a worker that ran the task uploads its logs", refused.Status.Detail, StringComparison.Ordinal);

        using var call = _results.GetLogs(Signed(taskId, requester, ResultKind.Logs, null));
        var chunks = new List<Chunk>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        var info = chunks[0].Info;
        Assert.Equal(worker.Address.ToLowerHex(), info.Worker);
        Assert.Equal(ResultPrivacy.EciesLabel, info.Encryption);
        var (stdout, stderr) = LogsPackage.Unpack(Ecies.Decrypt(beneficiary, chunks.SelectMany(c => c.Data.ToByteArray()).ToArray()));
        Assert.Equal("step 1\nstep 2\n", System.Text.Encoding.UTF8.GetString(stdout));
        Assert.Equal("warning: cold cache\n", System.Text.Encoding.UTF8.GetString(stderr));

        var strangers = await Assert.ThrowsAsync<RpcException>(() => GetLogsAsync(taskId, Secp256k1.NewPrivateKey()));
        Assert.Equal(StatusCode.PermissionDenied, strangers.StatusCode);
    }

    [Fact]
    public async Task An_expired_result_is_not_found_saying_so()
    {
        var (requester, _, taskId, _) = await CompleteEncryptedTaskAsync();
        var store = host.Services.GetRequiredService<IResultStore>();
        var stored = await store.FindAsync(Hash32.Parse(taskId), CancellationToken.None);
        await store.DeleteExpiredAsync(stored!.StoredAt.AddTicks(1), 10_000, CancellationToken.None);

        var gone = await Assert.ThrowsAsync<RpcException>(() => GetResultAsync(taskId, requester));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        Assert.StartsWith($"the result of task {taskId} expired on ", gone.Status.Detail, StringComparison.Ordinal); // the owner's download says the same
        Assert.Contains("(retention ", gone.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_request_activates_no_task_grain()
    {
        var unknown = new Hash32(RandomNumberGenerator.GetBytes(32)).ToString();
        var key = Secp256k1.NewPrivateKey();

        var expired = await Assert.ThrowsAsync<RpcException>(() => GetResultAsync(unknown, key, expiry: DateTimeOffset.UtcNow.AddMinutes(-1)));
        Assert.Equal(StatusCode.Unauthenticated, expired.StatusCode);
        var noResult = await Assert.ThrowsAsync<RpcException>(() => GetResultAsync(unknown, key));
        Assert.Equal(StatusCode.NotFound, noResult.StatusCode);
        var noLogs = await Assert.ThrowsAsync<RpcException>(() => GetLogsAsync(unknown, key));
        Assert.Equal(StatusCode.NotFound, noLogs.StatusCode);

        var statistics = await host.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        Assert.DoesNotContain(statistics, s => s.GrainId.ToString().Contains(unknown[2..], StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task The_signing_domain_is_the_pools_identity()
    {
        var domain = await _results.GetSigningDomainAsync(new GetSigningDomainRequest());
        Assert.Equal(ResultRequest.DomainName, domain.Name);
        Assert.Equal(ResultRequest.DomainVersion, domain.Version);
        Assert.Equal(Address.Zero.ToLowerHex(), domain.VerifyingContract); // this host names no pool: the sessions' zero address
    }

    private async Task<(byte[] Requester, byte[] Beneficiary, string TaskId, byte[] Plaintext)> CompleteEncryptedTaskAsync()
    {
        var (requester, beneficiary, taskId, plaintext, worker) = await WinEncryptedTaskAsync();
        await using var _ = worker;
        Assert.False((await UploadAsync(worker, taskId, Ecies.Encrypt(Secp256k1.PublicKeyBytes(beneficiary), plaintext))).AlreadyStored);
        return (requester, beneficiary, taskId, plaintext);
    }

    private async Task<(byte[] Requester, byte[] Beneficiary, string TaskId, byte[] Plaintext, TestWorker Worker)> WinEncryptedTaskAsync()
    {
        var requester = Secp256k1.NewPrivateKey();
        var beneficiary = Secp256k1.NewPrivateKey();
        var plaintext = RandomNumberGenerator.GetBytes(150_000);
        var deal = Deals.Standard();
        deal.Requester = Secp256k1.AddressOf(requester).ToLowerHex();
        deal.BeneficiaryKey = Hex.Encode(Secp256k1.PublicKeyBytes(beneficiary));
        var (taskId, worker) = await WinAsync(host, async () => (await host.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal })).DealId, plaintext);
        Assert.Equal(Secp256k1.PublicKeyBytes(beneficiary), worker.Seen.Last(m => m.Assignment?.TaskId == taskId).Assignment.BeneficiaryKey.ToByteArray());
        return (requester, beneficiary, taskId, plaintext, worker);
    }

    /// <summary>Connects a fresh worker, submits a one-task deal with <paramref name="submit"/> (which returns its id), and has the worker win it alone with <paramref name="plaintext"/>'s digest.</summary>
    internal static async Task<(string TaskId, TestWorker Worker)> WinAsync(ApiHost host, Func<Task<string>> submit, byte[] plaintext)
    {
        var workerKey = Secp256k1.NewPrivateKey();
        await host.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(workerKey).ToLowerHex() } });
        var worker = await TestWorker.ConnectAsync(host.Workers, workerKey, TestWorker.Standard(slots: 1));
        var dealId = await submit();
        var assignment = (await worker.NextAsync(m => m.Assignment?.DealId == dealId)).Assignment;
        var digest = ResultUploads.Sha256(plaintext);
        Assert.True((await worker.ContributeAsync(assignment.TaskId, digest)).Accepted);
        Assert.Equal(WorkerTaskStatus.Completed, (await worker.RevealAsync(assignment.TaskId, digest)).TaskStatus);
        return (assignment.TaskId, worker);
    }

    private Task<UploadResultReply> UploadAsync(TestWorker worker, string taskId, byte[] bytes, string encryption = ResultPrivacy.EciesLabel)
        => ResultUploads.UploadAsync(host.Workers, worker, taskId, bytes, encryption);

    private async Task<(ObjectInfo Info, byte[] Bytes)> GetResultAsync(string taskId, byte[] key, DateTimeOffset? expiry = null, string kind = ResultKind.Result)
    {
        using var call = _results.GetResult(Signed(taskId, key, kind, expiry));
        ObjectInfo? info = null;
        using var bytes = new MemoryStream();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            info ??= chunk.Info;
            chunk.Data.WriteTo(bytes);
        }

        return (info!, bytes.ToArray());
    }

    private async Task GetLogsAsync(string taskId, byte[] key)
    {
        using var call = _results.GetLogs(Signed(taskId, key, ResultKind.Logs, null));
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
        }
    }

    private static SignedRequest Signed(string taskId, byte[] key, string kind, DateTimeOffset? expiry)
    {
        var seconds = (ulong)(expiry ?? DateTimeOffset.UtcNow.AddMinutes(5)).ToUnixTimeSeconds();
        var request = new ResultRequest(Hash32.Parse(taskId), kind, seconds);
        return new SignedRequest
        {
            TaskId = taskId,
            Expiry = seconds,
            Signature = ByteString.CopyFrom(Secp256k1.Sign(request.SigningDigest(0, Address.Zero).ToArray(), key).ToBytes65()),
        };
    }

    private static HttpRequestMessage SignedGet(string path, string taskId, byte[] key)
    {
        var signed = Signed(taskId, key, ResultKind.Result, null);
        var message = new HttpRequestMessage(HttpMethod.Get, path);
        message.Headers.Add("X-Orchestrator-Signature", Hex.Encode(signed.Signature.Span));
        message.Headers.Add("X-Orchestrator-Expiry", signed.Expiry.ToString(CultureInfo.InvariantCulture));
        return message;
    }

    private static string Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? values.Single() : response.Content.Headers.GetValues(name).Single();
}
