using System.Text.Json;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Results;

namespace Orchestrator.Domain.Tests.Results;

/// <summary>The server recomputes a result digest from an uploaded archive exactly as docs/golden/archives says.</summary>
public sealed class ArchiveResultDigestTests
{
    public static TheoryData<string> Cases() => [.. Golden().Select(c => c.GetProperty("name").GetString()!)];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_result_digest_of_each_golden_archive_is_the_documented_one(string name)
    {
        var golden = Golden().Single(c => c.GetProperty("name").GetString() == name);
        using var archive = File.OpenRead(PathOf(name + ".tar"));
        Assert.Equal(Hash32.Parse(golden.GetProperty("resultDigest").GetString()!), ArchiveResultDigest.Compute(archive));
    }

    [Fact]
    public void An_archive_without_computed_json_has_its_plain_SHA256_as_result_digest()
    {
        // Arbitrary bytes: no computed.json, so the digest is the plain SHA-256 (what every non-tar upload gets).
        using var noise = new MemoryStream([.. Enumerable.Repeat((byte)0, 1024)]);
        Assert.Equal(new Hash32(System.Security.Cryptography.SHA256.HashData(new byte[1024])), ArchiveResultDigest.Compute(noise));
    }

    private static IEnumerable<JsonElement> Golden()
        => JsonDocument.Parse(File.ReadAllText(PathOf("cases.json"))).RootElement.GetProperty("cases").EnumerateArray();

    private static string PathOf(string file)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Orchestrator.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("Orchestrator.sln not found above the test binaries"), "docs", "golden", "archives", file);
    }
}
