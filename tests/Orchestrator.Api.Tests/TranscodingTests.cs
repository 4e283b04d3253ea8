using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Health.V1;
using Orchestrator.Api.Tests.Infrastructure;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests;

/// <summary>The admin API as JSON over plain HTTP/1.1, and the standard health service.</summary>
[Collection("api")]
public sealed class TranscodingTests(ApiHost host)
{
    [Fact]
    public async Task The_admin_api_answers_json_over_plain_http_with_the_bearer_token()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };
        var worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToLowerHex();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/workers:authorize") { Content = JsonContent.Create(new { addresses = new[] { worker } }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiHost.Token);
        using var authorized = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Equal(1, (await authorized.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt32());

        using var policyRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/policy");
        policyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiHost.Token);
        using var policy = await http.SendAsync(policyRequest);
        var json = await policy.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(json.GetProperty("maxReplicatesPerWorker").GetInt32() > 0);
        Assert.Contains("TEE_KIND_NONE", json.GetProperty("acceptedTeeKinds").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public async Task Json_without_the_token_is_401_and_a_bad_field_is_400_naming_it()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };
        using var anonymous = await http.GetAsync("/v1/policy");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/deals/not-a-deal-id");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiHost.Token);
        using var bad = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("deal_id", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_reflection_lists_the_worker_and_admin_services()
    {
        var reflection = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(host.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("orchestrator.worker.v1.WorkerSession", services);
        Assert.Contains("orchestrator.admin.v1.PoolAdmin", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task The_health_service_reports_serving()
    {
        var health = new Health.HealthClient(host.Channel);
        var reply = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }
}
