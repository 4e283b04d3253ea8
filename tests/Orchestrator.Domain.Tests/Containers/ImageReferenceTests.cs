using Orchestrator.Domain.Containers;

namespace Orchestrator.Domain.Tests.Containers;

/// <summary>An app's image runs only pinned by digest; anything else is refused with the rule.</summary>
public sealed class ImageReferenceTests
{
    private static readonly string Digest = "sha256:" + new string('0', 32) + new string('f', 32);

    [Theory]
    [InlineData("127.0.0.1:5123/orchestrator-test/app", "127.0.0.1:5123/orchestrator-test/app")]
    [InlineData("registry.example/team/my-app", "registry.example/team/my-app")]
    [InlineData("registry.example/team/app:1.2", "registry.example/team/app")]
    [InlineData("docker.io/library/busybox", "docker.io/library/busybox")]
    public void A_reference_by_digest_parses_and_a_tag_beside_it_is_dropped(string name, string repository)
    {
        var reference = ImageReference.Parse(name + "@" + Digest);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(Digest, reference.Digest);
        Assert.Equal(repository + "@" + Digest, reference.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("registry.example/app:latest", "has no digest")]
    [InlineData("registry.example/app@sha256:abc", "malformed digest")]
    [InlineData("registry.example/app@sha512:0000", "malformed digest")]
    [InlineData("app@sha256:0000000000000000000000000000000000000000000000000000000000000000", "registry and repository")]
    [InlineData("--privileged/app@sha256:0000000000000000000000000000000000000000000000000000000000000000", "registry and repository")]
    [InlineData("registry.example/App@sha256:0000000000000000000000000000000000000000000000000000000000000000", "registry and repository")]
    public void Anything_else_is_refused_with_the_rule(string text, string reason)
    {
        Assert.False(ImageReference.TryParse(text, out var reference, out var error));
        Assert.Null(reference);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Contains(ImageReference.Rule, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }
}
