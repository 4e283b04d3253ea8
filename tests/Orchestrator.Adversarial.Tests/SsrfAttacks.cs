using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Session;

namespace Orchestrator.Adversarial.Tests;

/// <summary>
/// A requester names input URLs that point the worker at internal services (loopback, cloud metadata,
/// private ranges), directly, by a name that resolves there, or through a redirect. The real fetcher,
/// with a real HTTP server on 127.0.0.1 standing in for the internal service.
/// </summary>
public sealed class SsrfAttacks : IAsyncLifetime
{
    private WebApplication _internal = null!;
    private int _hits;

    private string Url { get; set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _internal = builder.Build();
        _internal.Use(async (context, next) =>
        {
            Interlocked.Increment(ref _hits);
            await next(context);
        });
        _internal.MapGet("/secret.txt", () => Results.Text("internal secret"));
        _internal.MapGet("/to", (string target) => Results.Redirect(target));
        _internal.MapGet("/loop", () => Results.Redirect("/loop"));
        await _internal.StartAsync();
        Url = _internal.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async Task DisposeAsync() => await _internal.DisposeAsync();

    [Theory]
    [InlineData("http://127.0.0.1:{port}/secret.txt", "a loopback address")]
    [InlineData("http://localhost:{port}/secret.txt", "a loopback address")]
    [InlineData("http://metadata.internal/latest/meta-data.txt", "link-local")]
    [InlineData("http://169.254.169.254/latest/meta-data.txt", "link-local")]
    [InlineData("http://10.0.0.1/admin.txt", "a private address")]
    [InlineData("http://intranet.corp/admin.txt", "a private address")]
    public async Task An_internal_target_is_refused_naming_the_rule_and_never_reached(string target, string rule)
    {
        using var fetcher = Fetcher(new InputOptions { AllowHttp = true });
        var url = target.Replace("{port}", new Uri(Url).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var refused = await Assert.ThrowsAsync<InputFetchException>(() => fetcher.FetchAsync([url], CancellationToken.None));
        Assert.Contains(rule, refused.Message, StringComparison.Ordinal);
        Assert.Contains("rule:", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _hits);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1/x.txt", "a loopback address")]
    [InlineData("http://169.254.169.254/latest/meta-data.txt", "link-local")]
    [InlineData("http://10.0.0.1/admin.txt", "a private address")]
    public async Task A_redirect_to_an_internal_target_is_refused_at_the_hop(string target, string rule)
    {
        // The first hop is allowed (the list names it), the redirect's target is not.
        using var fetcher = Fetcher(new InputOptions { AllowHttp = true, AllowList = ["localhost"] });
        var first = $"{Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)}/to?target={Uri.EscapeDataString(target)}";

        var refused = await Assert.ThrowsAsync<InputFetchException>(() => fetcher.FetchAsync([first], CancellationToken.None));
        Assert.Contains(rule, refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, _hits); // the redirect itself, nothing after it
    }

    [Fact]
    public async Task Plain_http_is_refused_by_default_and_the_allow_list_admits_a_named_internal_host()
    {
        using var strict = Fetcher(new InputOptions());
        var refused = await Assert.ThrowsAsync<InputFetchException>(() => strict.FetchAsync([Url + "/secret.txt"], CancellationToken.None));
        Assert.Contains("only https://", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, _hits);

        using var allowed = Fetcher(new InputOptions { AllowHttp = true, AllowList = ["127.0.0.1"] });
        var file = Assert.Single(await allowed.FetchAsync([Url + "/secret.txt"], CancellationToken.None));
        Assert.Equal("internal secret"u8.ToArray(), file.Content.ToArray());
    }

    [Fact]
    public async Task Endless_redirects_and_oversized_inputs_stop_at_their_caps()
    {
        using var fetcher = Fetcher(new InputOptions { AllowHttp = true, AllowList = ["127.0.0.1"], MaxBytes = 4 });
        var loop = await Assert.ThrowsAsync<InputFetchException>(() => fetcher.FetchAsync([Url + "/loop"], CancellationToken.None));
        Assert.Contains("more than 3 times", loop.Message, StringComparison.Ordinal);
        Assert.Equal(4, _hits); // the first request and three redirects

        var big = await Assert.ThrowsAsync<InputFetchException>(() => fetcher.FetchAsync([Url + "/secret.txt"], CancellationToken.None));
        Assert.Contains("larger than 4 bytes", big.Message, StringComparison.Ordinal);
    }

    /// <summary>The real fetcher; names the tests invent resolve as an attacker's DNS would make them.</summary>
    private static InputFetcher Fetcher(InputOptions options) => new(options, (host, _) => Task.FromResult(host switch
    {
        "metadata.internal" => new[] { IPAddress.Parse("169.254.169.254") },
        "intranet.corp" => [IPAddress.Parse("10.0.0.1")],
        _ => Dns.GetHostAddresses(host),
    }));
}
