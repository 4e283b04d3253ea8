using Microsoft.Extensions.Time.Testing;
using Orchestrator.Api.Workers;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Api.Tests;

/// <summary>A deal's image is asked of the registry once per second per deal and app, not once per assignment.</summary>
public sealed class CachedAppImagesTests
{
    private static readonly Address App = Address.Parse("0x00000000000000000000000000000000000000ab");

    [Fact]
    public async Task Assignments_of_one_deal_share_one_answer_until_it_is_a_second_old_and_each_deal_has_its_own()
    {
        var clock = new FakeTimeProvider();
        var registry = new CountingImages();
        var images = new CachedAppImages(registry, clock);
        var deal = new Hash32(new byte[32]);
        var other = new Hash32(Enumerable.Repeat((byte)1, 32).ToArray());

        Assert.Equal("v1", await images.ImageForAsync(deal, App, CancellationToken.None));
        registry.Current = "v2"; // an unpinned deal follows the app's current version, a second later at most
        Assert.Equal("v1", await images.ImageForAsync(deal, App, CancellationToken.None));
        Assert.Equal(1, registry.Calls);

        Assert.Equal("v2", await images.ImageForAsync(other, App, CancellationToken.None));
        Assert.Equal(2, registry.Calls);

        clock.Advance(CachedAppImages.Lifetime);
        Assert.Equal("v2", await images.ImageForAsync(deal, App, CancellationToken.None));
        Assert.Equal(3, registry.Calls);
    }

    private sealed class CountingImages : IAppImages
    {
        public string? Current { get; set; } = "v1";

        public int Calls { get; private set; }

        public ValueTask<string?> ImageForAsync(Hash32 dealId, Address app, CancellationToken ct)
        {
            Calls++;
            return ValueTask.FromResult(Current);
        }
    }
}
