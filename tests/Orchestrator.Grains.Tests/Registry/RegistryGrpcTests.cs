using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Api.Registry.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Registry;
using Orchestrator.Grains.Tests.Secrets;
using AdminProto = Orchestrator.Api.Admin.V1;
using SecretsProto = Orchestrator.Api.Secrets.V1;

namespace Orchestrator.Grains.Tests.Registry;

/// <summary>
/// orchestrator.registry.v1 over real gRPC on a real silo: owners register and update their assets and
/// push their secrets with their own keys; every bad input is refused with its rule and stores nothing;
/// the pool's token no longer sets measurements or touches secrets.
/// </summary>
public sealed class RegistryGrpcTests(SecretsApiHost host) : IClassFixture<SecretsApiHost>
{
    private static readonly string Image = "127.0.0.1:5000/hello@sha256:" + new string('a', 64);

    private OwnerClient NewOwner() => new(host.Channel);

    private AdminProto.PoolAdmin.PoolAdminClient PoolAdmin => new(host.Channel.Intercept(m =>
    {
        m.Add("authorization", "Bearer " + SecretsApiHost.Token);
        return m;
    }));

    [Fact]
    public async Task An_owner_registers_an_app_then_a_version_and_admission_reads_the_owners_current_policy()
    {
        var owner = NewOwner();
        var v1 = await owner.RegisterAppAsync("hello", Image);
        Assert.Equal(AssetAddresses.App(owner.Address, "hello").ToLowerHex(), v1.Address);
        Assert.Equal(owner.Address.ToLowerHex(), v1.Owner);

        var other = new string('7', 64);
        var v2 = await owner.RegisterAppAsync("hello", "127.0.0.1:5000/hello@sha256:" + new string('b', 64), OwnerClient.SimulatedPolicy(other));
        Assert.Equal([1, 2], v2.Versions.Select(v => v.Version));
        Assert.Equal(Image, v2.Versions[0].Image);
        Assert.Equal("api", v2.Versions[1].Source);

        var app = Address.Parse(v2.Address);
        var policy = await host.Grains.AppPolicy(app).GetAsync();
        Assert.Equal([other], policy!.MrEnclaves);
        var shown = await owner.Registry.GetAppAsync(new GetAssetRequest { Address = v2.Address });
        Assert.Equal(2, shown.Versions.Count);
        Assert.Contains((await owner.Registry.ListAppsAsync(new ListAssetsRequest())).Apps, a => a.Address == v2.Address);
    }

    [Fact]
    public async Task Each_bad_registration_is_refused_with_its_rule_and_stores_nothing()
    {
        var owner = NewOwner();
        var app = AssetAddresses.App(owner.Address, "bad").ToLowerHex();

        var unsigned = await owner.SignedAppAsync("bad", Image);
        unsigned.Signed.Signature = ByteString.Empty;
        await Refused(owner.Registry.RegisterAppAsync(unsigned).ResponseAsync, StatusCode.Unauthenticated, "signature: is required");

        var stranger = NewOwner();
        var forged = await stranger.SignedAppAsync("bad", Image);
        forged.Owner = owner.Address.ToLowerHex(); // claims the owner, signed by someone else
        forged.Signed.Signature = (await stranger.SignedAppAsync("bad", Image)).Signed.Signature;
        await Refused(owner.Registry.RegisterAppAsync(forged).ResponseAsync, StatusCode.PermissionDenied, "owner mismatch");

        var expired = await owner.SignedAppAsync("bad", Image, expiry: (ulong)DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds());
        await Refused(owner.Registry.RegisterAppAsync(expired).ResponseAsync, StatusCode.Unauthenticated, "expired");

        await Refused(owner.Registry.RegisterAppAsync(await owner.SignedAppAsync("bad", "127.0.0.1:5000/hello:latest")).ResponseAsync, StatusCode.InvalidArgument, "has no digest");

        var shortMeasurement = OwnerClient.SimulatedPolicy(new string('1', 62));
        await Refused(owner.Registry.RegisterAppAsync(await owner.SignedAppAsync("bad", Image, shortMeasurement)).ResponseAsync, StatusCode.InvalidArgument, "must be 64 hex digits");

        await Refused(owner.Registry.GetAppAsync(new GetAssetRequest { Address = app }).ResponseAsync, StatusCode.NotFound, "not registered");

        var once = await owner.SignedAppAsync("bad", Image);
        await owner.Registry.RegisterAppAsync(once);
        await Refused(owner.Registry.RegisterAppAsync(once).ResponseAsync, StatusCode.FailedPrecondition, "was used before");
        Assert.Single((await owner.Registry.GetAppAsync(new GetAssetRequest { Address = app })).Versions);
    }

    [Fact]
    public async Task The_pools_token_cannot_set_measurements_nor_push_list_or_delete_a_secret()
    {
        var admin = host.Admin();
        var owner = NewOwner();
        var app = await owner.RegisterAppAsync("guarded", Image);
        var setPolicy = admin.SetAppPolicyAsync(new SecretsProto.SetAppPolicyRequest { Policy = new SecretsProto.AppPolicy { App = app.Address, Tee = SecretsProto.TeeKind.Sgx, MrEnclaves = { new string('9', 64) } } }).ResponseAsync;
        await Refused(setPolicy, StatusCode.PermissionDenied, "the pool's token cannot set an app's measurements");
        await Refused(admin.RemoveAppPolicyAsync(new SecretsProto.RemoveAppPolicyRequest { App = app.Address }).ResponseAsync, StatusCode.PermissionDenied, "cannot remove");
        var appOwner = new SecretsProto.Owner { Kind = SecretsProto.OwnerKind.App, Address = app.Address };
        await Refused(admin.PutSecretAsync(new SecretsProto.PutSecretRequest { Owner = appOwner, Name = "token", Value = ByteString.CopyFromUtf8("x") }).ResponseAsync, StatusCode.PermissionDenied, "cannot push a secret");
        await Refused(admin.ListSecretsAsync(new SecretsProto.ListSecretsRequest { Owner = appOwner }).ResponseAsync, StatusCode.PermissionDenied, "cannot list");
        await Refused(admin.DeleteSecretAsync(new SecretsProto.DeleteSecretRequest { Owner = appOwner, Name = "token" }).ResponseAsync, StatusCode.PermissionDenied, "cannot delete");

        Assert.Equal([SimulatedMrEnclave], (await host.Grains.AppPolicy(Address.Parse(app.Address)).GetAsync())!.MrEnclaves);
        Assert.Empty((await owner.ListSecretsAsync(SecretsProto.OwnerKind.App, Address.Parse(app.Address))).Secrets);
    }

    [Fact]
    public async Task Owners_push_their_own_secrets_and_list_the_names_and_nobody_else_can()
    {
        var appOwner = NewOwner();
        var requester = NewOwner();
        var stranger = NewOwner();
        var app = Address.Parse((await appOwner.RegisterAppAsync("with-secrets", Image)).Address);

        var pushed = await appOwner.PushAsync(SecretsProto.OwnerKind.App, app, "api-token", "t0ken"u8.ToArray());
        Assert.Equal(5, pushed.Length);
        await requester.PushAsync(SecretsProto.OwnerKind.Requester, requester.Address, "mine", "r"u8.ToArray());
        Assert.Equal(["api-token"], (await appOwner.ListSecretsAsync(SecretsProto.OwnerKind.App, app)).Secrets.Select(s => s.Name));

        await Refused(stranger.PushAsync(SecretsProto.OwnerKind.App, app, "api-token", "evil"u8.ToArray()), StatusCode.PermissionDenied, "owner mismatch");
        await Refused(stranger.PushAsync(SecretsProto.OwnerKind.Requester, requester.Address, "mine", "evil"u8.ToArray()), StatusCode.PermissionDenied, "owner mismatch");
        await Refused(stranger.ListSecretsAsync(SecretsProto.OwnerKind.Requester, requester.Address), StatusCode.PermissionDenied, "owner mismatch");
        await Refused(appOwner.PushAsync(SecretsProto.OwnerKind.Dataset, Deals.NewAddress(), "key", "k"u8.ToArray()), StatusCode.NotFound, "is not registered");

        var lying = await requester.SignedPushAsync(SecretsProto.OwnerKind.Requester, requester.Address, "mine", "r"u8.ToArray());
        lying.EncryptedValue = (await requester.SignedPushAsync(SecretsProto.OwnerKind.Requester, requester.Address, "mine", "other"u8.ToArray())).EncryptedValue;
        await Refused(requester.Registry.PushSecretAsync(lying).ResponseAsync, StatusCode.InvalidArgument, "not the signed valueHash");

        var replay = await requester.SignedPushAsync(SecretsProto.OwnerKind.Requester, requester.Address, "mine", "r2"u8.ToArray());
        await requester.Registry.PushSecretAsync(replay);
        await Refused(requester.Registry.PushSecretAsync(replay).ResponseAsync, StatusCode.FailedPrecondition, "was used before");
        var mine = Assert.Single((await requester.ListSecretsAsync(SecretsProto.OwnerKind.Requester, requester.Address)).Secrets);
        Assert.Equal(2, mine.Version); // the first push and the one accepted replay-candidate; the lie and the replay stored nothing
        Assert.Equal(["api-token"], (await appOwner.ListSecretsAsync(SecretsProto.OwnerKind.App, app)).Secrets.Select(s => s.Name));
    }

    [Fact]
    public async Task A_deal_breaking_a_dataset_restriction_or_selecting_a_missing_secret_is_refused_and_an_allowed_one_pins_the_app_version()
    {
        var appOwner = NewOwner();
        var datasetOwner = NewOwner();
        var requester = NewOwner();
        var stranger = NewOwner();
        var app = (await appOwner.RegisterAppAsync("census-app", Image)).Address;
        var restrictions = new Api.Registry.V1.DatasetRestrictions { AppOwners = { appOwner.Address.ToLowerHex() }, Requesters = { requester.Address.ToLowerHex() } };
        var dataset = (await datasetOwner.RegisterDatasetAsync("census", restrictions)).Address;
        await requester.PushAsync(SecretsProto.OwnerKind.Requester, requester.Address, "api-token", "t"u8.ToArray());

        AdminProto.Deal Deal(OwnerClient who) => new() { Requester = who.Address.ToLowerHex(), App = app, Dataset = dataset, BotSize = 1, Category = 0, PublicResults = true };

        await Refused(PoolAdmin.SubmitDealAsync(new AdminProto.SubmitDealRequest { Deal = Deal(stranger) }).ResponseAsync, StatusCode.PermissionDenied, $"does not allow requester {stranger.Address.ToLowerHex()}");
        var otherApp = Deal(requester);
        otherApp.App = (await stranger.RegisterAppAsync("copycat", Image)).Address;
        await Refused(PoolAdmin.SubmitDealAsync(new AdminProto.SubmitDealRequest { Deal = otherApp }).ResponseAsync, StatusCode.PermissionDenied, "does not allow app");
        var unregistered = Deal(requester);
        unregistered.Dataset = Deals.NewAddress().ToLowerHex();
        await Refused(PoolAdmin.SubmitDealAsync(new AdminProto.SubmitDealRequest { Deal = unregistered }).ResponseAsync, StatusCode.PermissionDenied, "is not registered");
        var missing = Deal(requester);
        missing.RequesterSecrets.Add(1, "nope");
        await Refused(PoolAdmin.SubmitDealAsync(new AdminProto.SubmitDealRequest { Deal = missing }).ResponseAsync, StatusCode.FailedPrecondition, "requester secret \"nope\" selected as index 1 does not exist");

        var allowed = Deal(requester);
        allowed.RequesterSecrets.Add(1, "api-token");
        var created = await PoolAdmin.SubmitDealAsync(new AdminProto.SubmitDealRequest { Deal = allowed });
        Assert.True(created.Created);
        var dealId = Hash32.Parse(created.DealId);
        await appOwner.RegisterAppAsync("census-app", "127.0.0.1:5000/hello@sha256:" + new string('c', 64));
        var pinned = await host.Grains.AppRegistry(Address.Parse(app)).VersionForAsync(dealId);
        Assert.Equal(1, pinned!.Version);
        Assert.Equal(Image, pinned.Image);
        Assert.Equal("api-token", (await host.Grains.Deal(dealId).GetRequesterSecretsAsync())[1]);
    }

    [Fact]
    public async Task The_pool_owner_restricts_the_apps_it_runs_and_deals_naming_others_are_refused_but_measurements_stay_the_owners()
    {
        var trusted = NewOwner();
        var stranger = NewOwner();
        var requester = NewOwner();
        var trustedApp = (await trusted.RegisterAppAsync("allowed-by-owner", Image)).Address;
        var listedApp = (await stranger.RegisterAppAsync("allowed-by-address", Image)).Address;
        var otherApp = (await stranger.RegisterAppAsync("not-allowed", Image)).Address;
        AdminProto.SubmitDealRequest Deal(string app) => new() { Deal = new AdminProto.Deal { Requester = requester.Address.ToLowerHex(), App = app, BotSize = 1, Category = 0, PublicResults = true } };

        var before = await PoolAdmin.GetPolicyAsync(new AdminProto.GetPolicyRequest());
        await Refused(PoolAdmin.RestrictAppsAsync(new AdminProto.RestrictAppsRequest { Apps = { "0x1234" } }).ResponseAsync, StatusCode.InvalidArgument, "apps[]");
        Assert.Empty((await PoolAdmin.GetPolicyAsync(new AdminProto.GetPolicyRequest())).AllowedApps);
        try
        {
            var restricted = await PoolAdmin.RestrictAppsAsync(new AdminProto.RestrictAppsRequest { Apps = { listedApp }, AppOwners = { trusted.Address.ToLowerHex() } });
            Assert.Equal([listedApp], restricted.AllowedApps);
            Assert.Equal(before.MaxReplicatesPerWorker, restricted.MaxReplicatesPerWorker); // the rest of the policy is kept

            var refusedDeal = Deal(otherApp);
            refusedDeal.Deal.DealId = new Hash32(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToString();
            await Refused(PoolAdmin.SubmitDealAsync(refusedDeal).ResponseAsync, StatusCode.PermissionDenied, $"the pool does not run app {otherApp} (owned by {stranger.Address.ToLowerHex()})");
            Assert.False((await host.Grains.Deal(Hash32.Parse(refusedDeal.Deal.DealId)).GetViewAsync()).Exists);
            await Refused(PoolAdmin.SubmitDealAsync(Deal(Deals.NewAddress().ToLowerHex())).ResponseAsync, StatusCode.PermissionDenied, "(not registered)");
            Assert.True((await PoolAdmin.SubmitDealAsync(Deal(trustedApp))).Created);
            Assert.True((await PoolAdmin.SubmitDealAsync(Deal(listedApp))).Created);

            // Restricting never hands the pool the measurements: setting them is still refused.
            var setPolicy = host.Admin().SetAppPolicyAsync(new SecretsProto.SetAppPolicyRequest { Policy = new SecretsProto.AppPolicy { App = trustedApp, Tee = SecretsProto.TeeKind.Sgx, MrEnclaves = { new string('9', 64) } } }).ResponseAsync;
            await Refused(setPolicy, StatusCode.PermissionDenied, "cannot set an app's measurements");
            Assert.Equal([SimulatedMrEnclave], (await host.Grains.AppPolicy(Address.Parse(trustedApp)).GetAsync())!.MrEnclaves);
        }
        finally
        {
            await PoolAdmin.RestrictAppsAsync(new AdminProto.RestrictAppsRequest());
        }

        Assert.True((await PoolAdmin.SubmitDealAsync(Deal(otherApp))).Created); // cleared: any app again
    }

    [Fact]
    public async Task Apps_and_datasets_are_listed_page_by_page_and_a_bad_page_request_is_refused_with_its_field()
    {
        var owner = NewOwner();
        var mine = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add((await owner.RegisterAppAsync($"paged-{i}", Image)).Address);
        }

        await owner.RegisterDatasetAsync("paged-data");
        var seen = new List<string>();
        var request = new ListAssetsRequest { PageSize = 2 };
        ListAppsReply page;
        do
        {
            page = await owner.Registry.ListAppsAsync(request);
            Assert.True(page.Apps.Count <= 2);
            seen.AddRange(page.Apps.Select(a => a.Address));
            request.PageToken = page.NextPageToken;
        }
        while (page.NextPageToken.Length > 0);
        Assert.Equal(page.Total, seen.Count);
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen); // in address order, none twice
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Subset(seen.ToHashSet(), mine.ToHashSet());

        var datasets = await owner.Registry.ListDatasetsAsync(new ListAssetsRequest { PageSize = 1 });
        Assert.Single(datasets.Datasets);
        Assert.Equal(datasets.Total > 1, datasets.NextPageToken.Length > 0);

        await Refused(owner.Registry.ListAppsAsync(new ListAssetsRequest { PageSize = 1001 }).ResponseAsync, StatusCode.InvalidArgument, "page_size");
        await Refused(owner.Registry.ListDatasetsAsync(new ListAssetsRequest { PageToken = "page-2" }).ResponseAsync, StatusCode.InvalidArgument, "page_token: \"page-2\" is not a token this server issued");
    }

    private static readonly string SimulatedMrEnclave = Orchestrator.Simulation.SimulatedEnclave.DefaultMrEnclave;

    private static async Task Refused<T>(Task<T> call, StatusCode code, string rule)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(code, refused.StatusCode);
        Assert.Contains(rule, refused.Status.Detail, StringComparison.Ordinal);
    }
}
