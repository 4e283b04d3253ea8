using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Security;
using Orchestrator.Api.Workers;

namespace Orchestrator.Api.Tests;

/// <summary>The API configuration is refused at start with a message naming the key.</summary>
public sealed class ApiOptionsTests
{
    private static ApiOptions Valid() => new() { Enabled = true, AdminToken = "a-long-enough-owner-token" };

    public static TheoryData<string, string> Refusals() => new()
    {
        { "no token", "AdminToken" },
        { "both token and hash", "exactly one" },
        { "short token", "at least 16" },
        { "hash not hex", "AdminTokenSha256" },
        { "url with a path", "Orchestrator:Api:Url" },
        { "ftp url", "Orchestrator:Api:Url" },
        { "https without certificate", "CertificatePath" },
        { "missing certificate file", "does not exist" },
        { "tiny message limit", "MaxMessageBytes" },
        { "idle timeout below interval", "SessionIdleTimeout" },
        { "app uri key not an address", "AppUris" },
        { "app image without a digest", "pinned by digest" },
        { "app image key not an address", "AppImages key" },
        { "hub not an address", "Orchestrator:Api:HubAddress" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Is_refused(string name, string fragment)
    {
        var o = Valid();
        switch (name)
        {
            case "no token": o.AdminToken = null; break;
            case "both token and hash": o.AdminTokenSha256 = new string('a', 64); break;
            case "short token": o.AdminToken = "short"; break;
            case "hash not hex": o.AdminToken = null; o.AdminTokenSha256 = "xyz"; break;
            case "url with a path": o.Url = "http://127.0.0.1:5080/grpc"; break;
            case "ftp url": o.Url = "ftp://127.0.0.1:21"; break;
            case "https without certificate": o.Url = "https://0.0.0.0:5443"; break;
            case "missing certificate file": o.CertificatePath = "/nonexistent/cert.pfx"; break;
            case "tiny message limit": o.MaxMessageBytes = 1000; break;
            case "idle timeout below interval": o.SessionIdleTimeout = TimeSpan.FromSeconds(1); break;
            case "app uri key not an address": o.AppUris["not-an-address"] = "https://example.org/app"; break;
            case "app image without a digest": o.AppImages["0x0000000000000000000000000000000000000001"] = "registry.example/app:latest"; break;
            case "app image key not an address": o.AppImages["app"] = "registry.example/app@sha256:" + new string('a', 64); break;
            case "hub not an address": o.HubAddress = "0xhub"; break;
        }

        var result = new ApiOptionsValidator().Validate(null, o);
        Assert.True(result.Failed);
        Assert.Contains(fragment, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_configured_app_images_serve_each_app_by_digest_and_nothing_for_others()
    {
        var image = "127.0.0.1:5123/team/app@sha256:" + new string('a', 64);
        var o = Valid();
        o.AppImages["0x00000000000000000000000000000000000000AB"] = image;
        Assert.True(new ApiOptionsValidator().Validate(null, o).Succeeded);
        var images = new ConfiguredAppImages(Options.Create(o));
        var deal = new Orchestrator.Domain.Crypto.Hash32(new byte[32]);

        Assert.Equal(image, await images.ImageForAsync(deal, Orchestrator.Domain.Crypto.Address.Parse("0x00000000000000000000000000000000000000ab"), CancellationToken.None));
        Assert.Null(await images.ImageForAsync(deal, Orchestrator.Domain.Crypto.Address.Parse("0x00000000000000000000000000000000000000ac"), CancellationToken.None));
    }

    [Fact]
    public void A_disabled_api_needs_nothing_and_a_valid_one_passes()
    {
        Assert.True(new ApiOptionsValidator().Validate(null, new ApiOptions()).Succeeded);
        Assert.True(new ApiOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Fact]
    public void The_token_is_checked_against_its_hash_in_either_form()
    {
        var token = "a-long-enough-owner-token";
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));
        var fromHash = new AdminToken(Options.Create(new ApiOptions { AdminTokenSha256 = "0x" + hash.ToLowerInvariant() }));
        var fromToken = new AdminToken(Options.Create(new ApiOptions { AdminToken = token }));
        Assert.True(fromHash.Matches(token));
        Assert.True(fromToken.Matches(token));
        Assert.False(fromHash.Matches(token + "x"));
    }

    [Fact]
    public void Refusal_codes_are_numbered_alike_in_the_domain_and_on_the_wire()
        => Assert.True(WorkerMapping.RefusalsAligned());

    [Theory]
    [InlineData("plain arguments", "plain arguments", 0)]
    [InlineData("{\"iexec_args\":\"--n 3\",\"iexec_input_files\":[\"https://a/x\",\"https://a/y\"]}", "--n 3", 2)]
    [InlineData("{\"other\":1}", "{\"other\":1}", 0)]
    [InlineData("{not json", "{not json", 0)]
    public void Iexec_style_parameters_are_split_into_arguments_and_input_files(string parameters, string args, int files)
    {
        var (a, f) = TaskParameters.Split(parameters);
        Assert.Equal(args, a);
        Assert.Equal(files, f.Count);
    }
}
