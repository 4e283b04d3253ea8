using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Tests.Infrastructure;

namespace Orchestrator.Api.Tests;

/// <summary>
/// The per-client rate limit, through a real Kestrel on loopback: behind a trusted proxy each client has its
/// own bucket (named by X-Forwarded-For); from anyone else the header is ignored; a refused JSON call gets
/// HTTP 429 with Retry-After and a JSON body.
/// </summary>
public sealed class RateLimitTests
{
    private const string Token = "rate-limit-owner-token-0123456789";

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket()
    {
        var (app, http) = await StartAsync(trustedProxy: "127.0.0.1");
        await using var _ = app;
        using var client = http;

        // The burst (3) is served, then the bucket refills at 1/s: a few more calls find it empty.
        var served = 0;
        HttpResponseMessage refused;
        while ((refused = await GetPolicyAsync(client, "203.0.113.7")).StatusCode == HttpStatusCode.OK && served < 20)
        {
            served++;
            refused.Dispose();
        }

        using var _refused = refused;
        Assert.InRange(served, 3, 19);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(int.Parse(refused.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("application/json", refused.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(8, body.GetProperty("code").GetInt32());
        Assert.Contains("too many requests from 203.0.113.7", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("retry in", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Another client behind the same proxy is not refused for the first one's calls.
        Assert.Equal(HttpStatusCode.OK, (await GetPolicyAsync(client, "198.51.100.9")).StatusCode);
    }

    [Fact]
    public async Task Without_a_trusted_proxy_a_forged_forwarded_header_buys_no_new_bucket()
    {
        var (app, http) = await StartAsync(trustedProxy: null);
        await using var _ = app;
        using var client = http;

        // Each call claims to come from another client; all share the connection's bucket anyway.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await GetPolicyAsync(client, $"203.0.113.{i + 1}");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses.Take(3));
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [Theory]
    [InlineData("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64")]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1")]
    [InlineData("192.0.2.1", "192.0.2.1")]
    public void An_ipv6_client_is_keyed_by_its_64_and_an_ipv4_one_by_its_address(string address, string key)
        => Assert.Equal(key, ApiRateLimits.ClientKey(IPAddress.Parse(address)));

    [Fact]
    public async Task A_trusted_proxy_entry_that_is_neither_an_address_nor_a_range_is_a_configuration_error()
    {
        var refused = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => StartAsync(trustedProxy: "proxy.internal"));
        Assert.Contains("Orchestrator:Api:Limits:TrustedProxies:0", refused.Message, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> GetPolicyAsync(HttpClient client, string forwardedFor)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/policy");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return client.SendAsync(request);
    }

    private static async Task<(WebApplication App, HttpClient Http)> StartAsync(string? trustedProxy)
    {
        var httpPort = LocalPorts.Free();
        var settings = new Dictionary<string, string?>
        {
            ["Orchestrator:Api:Url"] = $"http://127.0.0.1:{LocalPorts.Free()}",
            ["Orchestrator:Api:HttpUrl"] = $"http://127.0.0.1:{httpPort}",
            ["Orchestrator:Api:AdminToken"] = Token,
            ["Orchestrator:Api:Limits:PerAddressBurst"] = "3",
            ["Orchestrator:Api:Limits:PerAddressPerSecond"] = "1",
        };
        if (trustedProxy is not null)
        {
            settings["Orchestrator:Api:Limits:TrustedProxies:0"] = trustedProxy;
        }

        var app = await ApiHost.StartSiloAsync(settings);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        return (app, http);
    }
}
