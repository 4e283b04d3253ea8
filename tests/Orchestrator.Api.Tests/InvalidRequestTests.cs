using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Admin.V1;
using Orchestrator.Api.Contracts.Signing;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using AdminTeeKind = Orchestrator.Api.Admin.V1.TeeKind;
using WorkerTeeKind = Orchestrator.Api.Worker.V1.TeeKind;

namespace Orchestrator.Api.Tests;

/// <summary>Each refused request gets its precise status code and a message naming what was wrong.</summary>
[Collection("api")]
public sealed class InvalidRequestTests(ApiHost host)
{
    private static readonly string UnknownHash = "0x" + new string('a', 64);

    /// <summary>Case name → (expected status, a fragment of the message, the call).</summary>
    private static readonly Dictionary<string, (StatusCode Code, string Message, Func<ApiHost, Task> Call)> Cases = new()
    {
        // Admin credentials
        ["admin without token"] = (StatusCode.Unauthenticated, "authorization", h => h.AdminWithToken(null).GetPolicyAsync(new GetPolicyRequest()).ResponseAsync),
        ["admin with wrong token"] = (StatusCode.Unauthenticated, "not the pool owner", h => h.AdminWithToken("Bearer wrong-token-wrong-token").GetPolicyAsync(new GetPolicyRequest()).ResponseAsync),
        ["admin with basic scheme"] = (StatusCode.Unauthenticated, "Bearer", h => h.AdminWithToken("Basic abc").GetPolicyAsync(new GetPolicyRequest()).ResponseAsync),
        ["watch without token"] = (StatusCode.Unauthenticated, "authorization", h => ReadAllAsync(h.AdminWithToken(null).WatchDeal(new WatchDealRequest { DealId = UnknownHash }))),

        // Admin requests
        ["authorize malformed address"] = (StatusCode.InvalidArgument, "addresses[0]", h => h.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { "0x1234" } }).ResponseAsync),
        ["authorize bad checksum"] = (StatusCode.InvalidArgument, "checksum", h => h.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { "0x52908400098527886E0F7030069857D2E4169EE7".Replace('E', 'e') } }).ResponseAsync),
        ["authorize nothing"] = (StatusCode.InvalidArgument, "addresses", h => h.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest()).ResponseAsync),
        ["revoke too many"] = (StatusCode.InvalidArgument, "1..1000", h => h.Admin.RevokeWorkersAsync(new RevokeWorkersRequest { Addresses = { Enumerable.Repeat("0x" + new string('1', 40), 1001) } }).ResponseAsync),
        ["policy missing"] = (StatusCode.InvalidArgument, "policy", h => h.Admin.SetPolicyAsync(new SetPolicyRequest()).ResponseAsync),
        ["policy zero replicates"] = (StatusCode.InvalidArgument, "max_replicates_per_worker", h => h.Admin.SetPolicyAsync(new SetPolicyRequest { Policy = new Policy { MaxReplicatesPerWorker = 0, AcceptedTeeKinds = { AdminTeeKind.None } } }).ResponseAsync),
        ["policy unknown tee kind"] = (StatusCode.InvalidArgument, "accepted_tee_kinds", h => h.Admin.SetPolicyAsync(new SetPolicyRequest { Policy = new Policy { MaxReplicatesPerWorker = 4, AcceptedTeeKinds = { (AdminTeeKind)7 } } }).ResponseAsync),
        ["policy no tee kind"] = (StatusCode.InvalidArgument, "accepted_tee_kinds", h => h.Admin.SetPolicyAsync(new SetPolicyRequest { Policy = new Policy { MaxReplicatesPerWorker = 4 } }).ResponseAsync),
        ["drain malformed address"] = (StatusCode.InvalidArgument, "address", h => h.Admin.DrainWorkerAsync(new DrainWorkerRequest { Address = "worker-1" }).ResponseAsync),
        ["drain unknown worker"] = (StatusCode.NotFound, "never registered", h => h.Admin.DrainWorkerAsync(new DrainWorkerRequest { Address = NewAddress() }).ResponseAsync),
        ["reattest malformed address"] = (StatusCode.InvalidArgument, "address", h => h.Admin.ReattestWorkerAsync(new ReattestWorkerRequest { Address = "worker-1" }).ResponseAsync),
        ["reattest unknown worker"] = (StatusCode.NotFound, "never registered", h => h.Admin.ReattestWorkerAsync(new ReattestWorkerRequest { Address = NewAddress() }).ResponseAsync),
        ["get unknown worker"] = (StatusCode.NotFound, "never registered", h => h.Admin.GetWorkerAsync(new GetWorkerRequest { Address = NewAddress() }).ResponseAsync),
        ["list page too large"] = (StatusCode.InvalidArgument, "page_size", h => h.Admin.ListWorkersAsync(new ListWorkersRequest { PageSize = 5000 }).ResponseAsync),
        ["list unknown state"] = (StatusCode.InvalidArgument, "state", h => h.Admin.ListWorkersAsync(new ListWorkersRequest { State = (WorkerState)9 }).ResponseAsync),
        ["deal missing"] = (StatusCode.InvalidArgument, "deal", h => h.Admin.SubmitDealAsync(new SubmitDealRequest()).ResponseAsync),
        ["deal short id"] = (StatusCode.InvalidArgument, "deal.deal_id", h => h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = With(d => d.DealId = "0xabcd") }).ResponseAsync),
        ["deal no tasks"] = (StatusCode.InvalidArgument, "deal.bot_size", h => h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = With(d => d.BotSize = 0) }).ResponseAsync),
        ["deal bad price"] = (StatusCode.InvalidArgument, "deal.task_price", h => h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = With(d => d.TaskPrice = "-5") }).ResponseAsync),
        ["deal bad app"] = (StatusCode.InvalidArgument, "deal.app", h => h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = With(d => d.App = "") }).ResponseAsync),
        ["deal tee trust 3"] = (StatusCode.InvalidArgument, "deal refused", h => h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = With(d => { d.TeeTag = 0x3; d.Trust = 3; }) }).ResponseAsync),
        ["deal params too long"] = (StatusCode.InvalidArgument, "deal.params", h => h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = With(d => d.Params = new string('x', 70_000)) }).ResponseAsync),
        ["get deal malformed id"] = (StatusCode.InvalidArgument, "deal_id", h => h.Admin.GetDealAsync(new GetDealRequest { DealId = "deal-1" }).ResponseAsync),
        ["get deal unknown"] = (StatusCode.NotFound, "unknown", h => h.Admin.GetDealAsync(new GetDealRequest { DealId = UnknownHash }).ResponseAsync),
        ["get deal bad page token"] = (StatusCode.InvalidArgument, "page_token", h => h.Admin.GetDealAsync(new GetDealRequest { DealId = UnknownHash, PageToken = "x" }).ResponseAsync),
        ["watch unknown deal"] = (StatusCode.NotFound, "unknown", h => ReadAllAsync(h.Admin.WatchDeal(new WatchDealRequest { DealId = UnknownHash }))),
        ["download no result"] = (StatusCode.NotFound, "no result", h => ReadAllAsync(h.Admin.DownloadResult(new DownloadResultRequest { TaskId = UnknownHash }))),
        ["message over the size limit"] = (StatusCode.ResourceExhausted, "", h => h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = With(d => d.TaskParams.Add(Enumerable.Repeat(new string('x', 60_000), 5))) }).ResponseAsync),

        // Worker handshake
        ["hello malformed address"] = (StatusCode.InvalidArgument, "hello.worker_address", h => HandshakeAsync(h, hello: x => x.WorkerAddress = "0xnothex")),
        ["hello zero cores"] = (StatusCode.InvalidArgument, "hello.capabilities.cores", h => HandshakeAsync(h, hello: x => x.Capabilities.Cores = 0)),
        ["hello unknown tee"] = (StatusCode.InvalidArgument, "hello.capabilities.tee", h => HandshakeAsync(h, hello: x => x.Capabilities.Tee = (WorkerTeeKind)5)),
        ["hello without capabilities"] = (StatusCode.InvalidArgument, "hello.capabilities", h => HandshakeAsync(h, hello: x => x.Capabilities = null)),
        ["hello running id malformed"] = (StatusCode.InvalidArgument, "hello.running_task_ids[0]", h => HandshakeAsync(h, hello: x => x.RunningTaskIds.Add("0x12"))),
        ["hello agent too long"] = (StatusCode.InvalidArgument, "hello.agent_version", h => HandshakeAsync(h, hello: x => x.AgentVersion = new string('v', 200))),
        ["first message not hello"] = (StatusCode.InvalidArgument, "first message", h => FirstMessageAsync(h, new WorkerMessage { Heartbeat = new Heartbeat() })),
        ["unsigned hello"] = (StatusCode.Unauthenticated, "proof.signature", h => HandshakeAsync(h, proof: (_, _) => new Proof())),
        ["signature by another key"] = (StatusCode.Unauthenticated, "does not recover", h => HandshakeAsync(h, proof: (_, nonce) => new Proof { Signature = SignWith(Secp256k1.NewPrivateKey(), nonce) })),
        ["signature of the bare nonce"] = (StatusCode.Unauthenticated, "does not recover", h => HandshakeAsync(h, proof: (key, nonce) => new Proof { Signature = ByteString.CopyFrom(EthereumMessage.Sign(nonce, key).ToBytes65()) })),
        ["signature of 64 bytes"] = (StatusCode.InvalidArgument, "65 bytes", h => HandshakeAsync(h, proof: (_, _) => new Proof { Signature = ByteString.CopyFrom(new byte[64]) })),
        ["answer not a proof"] = (StatusCode.Unauthenticated, "proof", h => HandshakeAsync(h, answer: Answer.Heartbeat)),
        ["stream closed before proof"] = (StatusCode.Unauthenticated, "ended before", h => HandshakeAsync(h, answer: Answer.CloseStream)),
        ["tee worker without evidence"] = (StatusCode.InvalidArgument, "proof.evidence", h => HandshakeAsync(h, hello: x => x.Capabilities.Tee = WorkerTeeKind.Sgx)),
        ["standard worker with evidence"] = (StatusCode.InvalidArgument, "sends no evidence", h => HandshakeAsync(h, proof: (key, nonce) => new Proof { Signature = SignWith(key, nonce), Evidence = Evidence(EvidenceFormat.Simulated) })),
        ["evidence without format"] = (StatusCode.InvalidArgument, "proof.evidence.format", h => HandshakeAsync(h, hello: x => x.Capabilities.Tee = WorkerTeeKind.Sgx, proof: (key, nonce) => new Proof { Signature = SignWith(key, nonce), Evidence = Evidence(EvidenceFormat.Unspecified) })),
        ["simulated tee not allowed"] = (StatusCode.FailedPrecondition, "simulated", h => HandshakeAsync(h, hello: x => x.Capabilities.Tee = WorkerTeeKind.Sgx, proof: (key, nonce) => new Proof { Signature = SignWith(key, nonce), Evidence = Evidence(EvidenceFormat.Simulated) })),
        ["unauthorized worker"] = (StatusCode.PermissionDenied, "not authorized", h => HandshakeAsync(h, authorize: false)),

        // Worker session messages
        ["contribution malformed task id"] = (StatusCode.InvalidArgument, "contribution.task_id", h => SessionMessageAsync(h, new WorkerMessage { Contribution = new Contribution { TaskId = "12" } })),
        ["contribution malformed hash"] = (StatusCode.InvalidArgument, "contribution.result_hash", h => SessionMessageAsync(h, new WorkerMessage { Contribution = new Contribution { TaskId = UnknownHash, ResultHash = "0x" } })),
        ["reveal malformed digest"] = (StatusCode.InvalidArgument, "reveal.result_digest", h => SessionMessageAsync(h, new WorkerMessage { Reveal = new Reveal { TaskId = UnknownHash, ResultDigest = "zz" } })),
        ["heartbeat more free slots than slots"] = (StatusCode.InvalidArgument, "heartbeat.free_slots", h => SessionMessageAsync(h, new WorkerMessage { Heartbeat = new Heartbeat { FreeSlots = 99 } })),
        ["progress over 100"] = (StatusCode.InvalidArgument, "progress.percent", h => SessionMessageAsync(h, new WorkerMessage { Progress = new Progress { TaskId = UnknownHash, Percent = 101 } })),
        ["second hello"] = (StatusCode.InvalidArgument, "sent once", h => SessionMessageAsync(h, new WorkerMessage { Hello = new Hello() })),
        ["empty message"] = (StatusCode.InvalidArgument, "needs a body", h => SessionMessageAsync(h, new WorkerMessage())),

        // Result upload
        ["upload without header"] = (StatusCode.InvalidArgument, "header", h => UploadAsync(h, header: null, data: [1, 2, 3])),
        ["upload over the cap"] = (StatusCode.ResourceExhausted, "more than this pool accepts", h => UploadAsync(h, header: (k, _) => Header(k, UnknownHash, new byte[10], size: 2_000_000))),
        ["upload wrong signature"] = (StatusCode.Unauthenticated, "header.signature", h => UploadAsync(h, header: (_, _) => Header(Secp256k1.NewPrivateKey(), UnknownHash, new byte[10], worker: NewAddress()))),
        ["upload unknown task"] = (StatusCode.NotFound, "unknown", h => UploadAsync(h, header: (k, _) => Header(k, UnknownHash, new byte[10]), registered: true)),
        ["upload never held"] = (StatusCode.PermissionDenied, "never held", h => UploadAsync(h, header: (k, task) => Header(k, task, new byte[10]), withTask: true, registered: true)),
        ["upload digest mismatch"] = (StatusCode.InvalidArgument, "SHA-256", h => UploadAsync(h, header: (k, task) => Header(k, task, new byte[10]), data: new byte[10].Select(_ => (byte)7).ToArray(), withTask: true, holder: true)),
        ["upload shorter than declared"] = (StatusCode.InvalidArgument, "ended after", h => UploadAsync(h, header: (k, task) => Header(k, task, new byte[10]), data: new byte[4], withTask: true, holder: true)),
    };

    public static TheoryData<string> CaseNames() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Is_refused_with_its_status(string name)
    {
        var (code, message, call) = Cases[name];
        var error = await Assert.ThrowsAsync<RpcException>(() => call(host));
        Assert.Equal(code, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    private static string NewAddress() => Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToLowerHex();

    private static Deal With(Action<Deal> change)
    {
        var deal = Deals.Standard();
        change(deal);
        return deal;
    }

    private static ByteString SignWith(byte[] key, byte[] nonce) => ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Session(new byte[20], 0, [], nonce), key).ToBytes65());

    private static Worker.V1.Evidence Evidence(EvidenceFormat format) => new()
    {
        Format = format,
        Quote = ByteString.CopyFromUtf8("ORCH-SIMULATED-TEE-v1 test"),
        EnclavePublicKey = ByteString.CopyFrom(new byte[64]),
    };

    private static async Task ReadAllAsync<T>(AsyncServerStreamingCall<T> call)
    {
        using (call)
        {
            await foreach (var _ in call.ResponseStream.ReadAllAsync())
            {
            }
        }
    }

    private static async Task FirstMessageAsync(ApiHost h, WorkerMessage first)
    {
        await using var worker = TestWorker.Open(h.Workers);
        await worker.SendAsync(first);
        throw (Exception?)await worker.EndErrorAsync() ?? new InvalidOperationException("the stream ended OK");
    }

    /// <summary>How the worker answers the challenge in a spoiled handshake.</summary>
    private enum Answer
    {
        Proof,
        Heartbeat,
        CloseStream,
    }

    /// <summary>A handshake with one step spoiled; throws the status the server ended the stream with.</summary>
    private static async Task HandshakeAsync(ApiHost h, Action<Hello>? hello = null, Func<byte[], byte[], Proof>? proof = null, bool authorize = true, Answer answer = Answer.Proof)
    {
        var key = Secp256k1.NewPrivateKey();
        if (authorize)
        {
            await h.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        }

        await using var worker = TestWorker.Open(h.Workers, key);
        var message = new Hello { WorkerAddress = worker.Address.ToLowerHex(), Capabilities = TestWorker.Standard() };
        hello?.Invoke(message);
        await worker.SendAsync(new WorkerMessage { Hello = message });
        Challenge challenge;
        try
        {
            challenge = (await worker.NextAsync(m => m.Challenge is not null)).Challenge;
        }
        catch (System.Threading.Channels.ChannelClosedException ex) when (ex.InnerException is RpcException refused)
        {
            throw refused; // refused at hello
        }

        var nonce = challenge.Nonce.ToByteArray();
        switch (answer)
        {
            case Answer.Heartbeat:
                await worker.SendAsync(new WorkerMessage { Heartbeat = new Heartbeat() });
                break;
            case Answer.CloseStream:
                await worker.CompleteAsync();
                break;
            default:
                await worker.SendAsync(new WorkerMessage { Proof = proof?.Invoke(key, nonce) ?? new Proof { Signature = SignWith(key, nonce) } });
                break;
        }

        throw (Exception?)await worker.EndErrorAsync() ?? new InvalidOperationException("the stream ended OK");
    }

    private static async Task SessionMessageAsync(ApiHost h, WorkerMessage message)
    {
        var key = Secp256k1.NewPrivateKey();
        await h.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
        await using var worker = await TestWorker.ConnectAsync(h.Workers, key);
        await worker.SendAsync(message);
        throw (Exception?)await worker.EndErrorAsync() ?? new InvalidOperationException("the stream ended OK");
    }

    private static UploadHeader Header(byte[] key, string taskId, byte[] content, long? size = null, string? worker = null)
    {
        var sha = SHA256.HashData(content);
        return new UploadHeader
        {
            TaskId = taskId,
            WorkerAddress = worker ?? Secp256k1.AddressOf(key).ToLowerHex(),
            Size = size ?? content.Length,
            Sha256 = new Hash32(sha).ToString(),
            Signature = ByteString.CopyFrom(EthereumMessage.Sign(SignedMessages.Upload(Hash32.Parse(taskId).ToArray(), sha), key).ToBytes65()),
        };
    }

    /// <summary>An upload; with <paramref name="withTask"/> a real task exists (run by a worker that is the uploader when <paramref name="holder"/>).</summary>
    /// <param name="registered">The uploader is an authorized worker that has registered (so the upload
    /// passes the stranger check and reaches the task's own rules), without holding the task.</param>
    private static async Task UploadAsync(ApiHost h, Func<byte[], string, UploadHeader>? header, byte[]? data = null, bool withTask = false, bool holder = false, bool registered = false)
    {
        var key = Secp256k1.NewPrivateKey();
        var taskId = UnknownHash;
        if (withTask)
        {
            var runner = holder ? key : Secp256k1.NewPrivateKey();
            await h.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(runner).ToLowerHex() } });
            await using var worker = await TestWorker.ConnectAsync(h.Workers, runner);
            var deal = Deals.Standard();
            await h.Admin.SubmitDealAsync(new SubmitDealRequest { Deal = deal });
            taskId = (await worker.NextAsync(m => m.Assignment?.DealId == deal.DealId)).Assignment.TaskId;
            if (holder)
            {
                // A revealed winner whose consensus digest is the header's (the SHA-256 of ten zero bytes),
                // so the upload passes the task's rules and reaches the byte checks.
                var digest = new Hash32(SHA256.HashData(new byte[10]));
                Assert.True((await worker.ContributeAsync(taskId, digest)).Accepted);
                Assert.True((await worker.RevealAsync(taskId, digest)).Accepted);
            }
        }

        if (registered && !holder)
        {
            await h.Admin.AuthorizeWorkersAsync(new AuthorizeWorkersRequest { Addresses = { Secp256k1.AddressOf(key).ToLowerHex() } });
            await using var uploader = await TestWorker.ConnectAsync(h.Workers, key);
        }

        using var call = h.Workers.UploadResult();
        try
        {
            if (header is not null)
            {
                await call.RequestStream.WriteAsync(new ResultChunk { Header = header(key, taskId) });
            }

            await call.RequestStream.WriteAsync(new ResultChunk { Data = ByteString.CopyFrom(data ?? new byte[10]) });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // the server may refuse after the header, before reading the rest: its status is the call's
        }

        await call.ResponseAsync;
    }
}
