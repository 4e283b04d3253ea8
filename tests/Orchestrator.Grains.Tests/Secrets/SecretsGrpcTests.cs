using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Grains.Tests.Infrastructure;
using Orchestrator.Grains.Tests.Registry;
using Orchestrator.Simulation;
using Proto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Grains.Tests.Secrets;

/// <summary>A real silo with the API on Kestrel (loopback, free ports): orchestrator.secrets.v1 over real gRPC.</summary>
public sealed class SecretsApiHost : IAsyncLifetime
{
    public const string Token = "sms-test-owner-token-0123456789";

    private ApiSilo? _silo;

    public GrpcChannel Channel => _silo!.Channel;

    /// <summary>The HTTP/1.1 endpoint serving the JSON routes.</summary>
    public Uri Http => _silo!.Http;

    public IGrainFactory Grains => _silo!.Services.GetRequiredService<IGrainFactory>();

    public Proto.SecretsAdmin.SecretsAdminClient Admin(string? authorization = "Bearer " + Token) => new(Channel.Intercept(metadata =>
    {
        if (authorization is not null)
        {
            metadata.Add("authorization", authorization);
        }

        return metadata;
    }));

    public Proto.EnclaveSecrets.EnclaveSecretsClient Enclave => new(Channel);

    public async Task InitializeAsync() => _silo = await ApiSilo.StartAsync("sms-tests", Token, new Dictionary<string, string?>
    {
        ["Orchestrator:Secrets:MasterKeys:grpc-test"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
    });

    public async Task DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }
}

public sealed class SecretsGrpcTests(SecretsApiHost host) : IClassFixture<SecretsApiHost>
{
    private static Proto.Owner Owner(Proto.OwnerKind kind, Address address) => new() { Kind = kind, Address = address.ToLowerHex() };

    [Fact]
    public async Task Admin_calls_need_the_owner_token()
    {
        var none = await Assert.ThrowsAsync<RpcException>(() => host.Admin(null).ListAppPoliciesAsync(new Proto.ListAppPoliciesRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => host.Admin("Bearer nope").ListAppPoliciesAsync(new Proto.ListAppPoliciesRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
    }

    [Fact]
    public async Task Bad_requests_get_invalid_argument_naming_the_field()
    {
        var admin = host.Admin();
        var missing = await Assert.ThrowsAsync<RpcException>(() => admin.GetAppPolicyAsync(new Proto.GetAppPolicyRequest { App = Deals.NewAddress().ToLowerHex() }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var badFetch = await Assert.ThrowsAsync<RpcException>(() => host.Enclave.FetchTaskSecretsAsync(new Proto.FetchTaskSecretsRequest { WorkerAddress = "0x12", SessionId = "s", TaskId = "0x00" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badFetch.StatusCode);
        Assert.Contains("worker_address", badFetch.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_attested_enclave_fetches_its_dataset_key_over_grpc_and_a_foreign_one_is_refused_and_audited()
    {
        // Four owners, each with their own key: the app's, the dataset's, the requester (the pool's token takes no part).
        var admin = host.Admin();
        var appOwner = new OwnerClient(host.Channel);
        var datasetOwner = new OwnerClient(host.Channel);
        var requester = new OwnerClient(host.Channel);
        var registered = await appOwner.RegisterAppAsync("fetch-app", "127.0.0.1:5000/fetch@sha256:" + new string('e', 64));
        var app = Address.Parse(registered.Address);
        Assert.Equal(1, registered.Versions[0].Policy.Version);
        Assert.Contains((await admin.ListAppPoliciesAsync(new Proto.ListAppPoliciesRequest())).Policies, p => p.App == app.ToLowerHex());
        var dataset = Address.Parse((await datasetOwner.RegisterDatasetAsync("fetch-data")).Address);
        var datasetKey = RandomNumberGenerator.GetBytes(32);
        var info = await datasetOwner.PushAsync(Proto.OwnerKind.Dataset, dataset, "key", datasetKey);
        Assert.Equal("grpc-test", info.MasterKeyId);
        var listed = Assert.Single((await datasetOwner.ListSecretsAsync(Proto.OwnerKind.Dataset, dataset)).Secrets);
        Assert.Equal(32, listed.Length);
        await requester.PushAsync(Proto.OwnerKind.Requester, requester.Address, "api-token", "selected"u8.ToArray());
        await requester.PushAsync(Proto.OwnerKind.Requester, requester.Address, "other", "not selected"u8.ToArray());

        var grains = host.Grains;
        var pool = await grains.Pool().GetPolicyAsync();
        await grains.Pool().SetPolicyAsync(pool with { AllowSimulatedTee = true });
        var deal = DemoRunner.NewDeal(new DemoSettings(1, 1, 1, 0, 0, true, TimeSpan.FromMinutes(1)))
            with { App = app, Dataset = dataset, Requester = requester.Address, RequesterSecrets = new Dictionary<int, string> { [1] = "api-token" } };
        Assert.True((await grains.Deal(deal.DealId).CreateAsync(deal)).Accepted);

        var honest = new ManualWorker(grains, TeeKind.Sgx, slots: 1);
        var impostor = new ManualWorker(grains, TeeKind.Sgx, slots: 1, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        Assert.Equal(RegistrationOutcome.Accepted, (await impostor.RegisterAsync()).Outcome);
        Assert.Empty(await impostor.TakeAsync(1));
        Assert.Equal(RegistrationOutcome.Accepted, (await honest.RegisterAsync()).Outcome);
        var a = Assert.Single(await honest.TakeAsync(1)).Assignment;

        var attestation = await admin.GetWorkerAttestationAsync(new Proto.GetWorkerAttestationRequest { Address = honest.Address.ToLowerHex() });
        Assert.True(attestation.Verified);
        Assert.True(attestation.Fresh);
        Assert.True(attestation.Simulated);
        Assert.Equal(SimulatedEnclave.DefaultMrEnclave, attestation.MrEnclave);
        Assert.Null(attestation.Collateral); // simulated evidence is judged without DCAP collateral

        var refused = await Assert.ThrowsAsync<RpcException>(() => host.Enclave.FetchTaskSecretsAsync(Request(impostor, a.TaskId)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("NotHoldingReplicate", refused.Status.Detail, StringComparison.Ordinal);
        var forged = Request(honest, a.TaskId);
        forged.Signature = ByteString.CopyFrom(SecretFetchProof.Sign(Secp256k1.NewPrivateKey(), honest.Address, a.TaskId, honest.Session, forged.IssuedAt.ToDateTimeOffset()));
        var forgedRefusal = await Assert.ThrowsAsync<RpcException>(() => host.Enclave.FetchTaskSecretsAsync(forged).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, forgedRefusal.StatusCode);
        Assert.Contains("not signed by the enclave key", forgedRefusal.Status.Detail, StringComparison.Ordinal);

        var reply = await host.Enclave.FetchTaskSecretsAsync(Request(honest, a.TaskId));
        Assert.Equal(a.EnclaveChallenge.ToLowerHex(), reply.EnclaveChallenge);
        var enclaveKey = honest.Enclave!.Open(reply.SealedEnclaveKey.ToByteArray(), a.TaskId);
        Assert.Equal(a.EnclaveChallenge, Secp256k1.AddressOf(enclaveKey));
        var sealedKey = Assert.Single(reply.Secrets, s => s.Owner.Kind == Proto.OwnerKind.Dataset);
        Assert.Equal(datasetKey, honest.Enclave.Open(sealedKey.SealedValue.ToByteArray(), a.TaskId));
        // Only the selected requester secret, under its index (the worker's IEXEC_REQUESTER_SECRET_1).
        var requesterSecret = Assert.Single(reply.Secrets, s => s.Owner.Kind == Proto.OwnerKind.Requester);
        Assert.Equal("1", requesterSecret.Name);
        Assert.Equal("selected"u8.ToArray(), honest.Enclave.Open(requesterSecret.SealedValue.ToByteArray(), a.TaskId));

        var audit = await admin.GetTaskAuditAsync(new Proto.GetTaskAuditRequest { TaskId = a.TaskId.ToString() });
        // The forged fetch was refused at the door (unproven calls write no audit row); the proven ones are audited.
        Assert.Equal(["NotHoldingReplicate", ""], audit.Entries.Select(e => e.Refusal));
        Assert.True(audit.Entries[1].Granted);
        Assert.Equal(honest.Address.ToLowerHex(), audit.Entries[1].Worker);
        Assert.Contains($"dataset/{dataset.ToLowerHex()}/key", audit.Entries[1].Released);

        // Each owner reads their own trail with a signed request: the refusal and the release, their secrets' names only.
        var datasetTrail = (await datasetOwner.AuditAsync(Proto.OwnerKind.Dataset, dataset)).Entries;
        Assert.Equal(["NotHoldingReplicate", ""], datasetTrail.Select(e => e.Refusal));
        Assert.Equal(["key"], datasetTrail[1].Released);
        Assert.Equal(honest.Address.ToLowerHex(), datasetTrail[1].Worker);
        Assert.Equal(["1"], (await requester.AuditAsync(Proto.OwnerKind.Requester, requester.Address)).Entries[1].Released);
        var foreignTrail = await Assert.ThrowsAsync<RpcException>(() => appOwner.AuditAsync(Proto.OwnerKind.Dataset, dataset));
        Assert.Equal(StatusCode.PermissionDenied, foreignTrail.StatusCode);
    }

    [Fact]
    public async Task App_policies_are_read_as_json_over_http_and_the_pools_token_cannot_write_them()
    {
        var owner = new OwnerClient(host.Channel);
        var app = (await owner.RegisterAppAsync("json-app", "127.0.0.1:5000/json@sha256:" + new string('d', 64))).Address;
        using var http = new HttpClient { BaseAddress = host.Http };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SecretsApiHost.Token);
        var got = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/v1/apps/{app}/policy")).RootElement;
        Assert.Equal(app, got.GetProperty("app").GetString());
        Assert.Equal("3600s", got.GetProperty("maxEvidenceAge").GetString());

        var put = await http.PutAsync($"/v1/apps/{app}/policy", new StringContent(
            $$"""{"tee":"TEE_KIND_SGX","mrEnclaves":["{{new string('9', 64)}}"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("cannot set an app's measurements", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var stored = await http.PostAsync("/v1/secrets:put", new StringContent(
            $$"""{"owner":{"kind":"OWNER_KIND_APP","address":"{{app}}"},"name":"api-token","value":"{{Convert.ToBase64String("t0ken"u8.ToArray())}}"}""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, stored.StatusCode);

        var registry = System.Text.Json.JsonDocument.Parse(await new HttpClient { BaseAddress = host.Http }.GetStringAsync($"/v1/registry/apps/{app}")).RootElement;
        Assert.Equal(owner.Address.ToLowerHex(), registry.GetProperty("owner").GetString());

        http.DefaultRequestHeaders.Authorization = null;
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"/v1/apps/{app}/policy")).StatusCode);
    }

    private static Proto.FetchTaskSecretsRequest Request(ManualWorker worker, Hash32 taskId)
    {
        var signed = worker.Enclave!.FetchRequest(worker.Address, worker.Session, taskId, DateTimeOffset.UtcNow);
        return new Proto.FetchTaskSecretsRequest
        {
            WorkerAddress = worker.Address.ToLowerHex(),
            SessionId = worker.Session,
            TaskId = taskId.ToString(),
            IssuedAt = Timestamp.FromDateTimeOffset(signed.IssuedAt),
            Signature = ByteString.CopyFrom(signed.Signature),
        };
    }
}
