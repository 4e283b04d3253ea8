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

    [Fact]
    public void A_callback_tasks_archive_matches_a_consensus_digest_that_is_keccak_of_its_callback_data()
    {
        using var archive = Archive("""{"callback-data":"0x7072696365"}""", ("result.txt", "price"u8.ToArray()));
        var keccak = CallbackData.Digest([0x70, 0x72, 0x69, 0x63, 0x65]);
        Assert.Equal(keccak, ArchiveResultDigest.Compute(archive, keccak));

        // Against any other consensus digest (a deal without callback): the SHA-256 rule, callback-data ignored.
        var sha = ArchiveResultDigest.Compute(archive);
        Assert.NotEqual(keccak, sha);
        Assert.Equal(sha, ArchiveResultDigest.Compute(archive, sha));
        Assert.Equal(sha, ArchiveResultDigest.Compute(archive, TestKit.RandomHash()));

        using var noise = new MemoryStream([.. Enumerable.Repeat((byte)0, 1024)]);
        Assert.Equal(new Hash32(System.Security.Cryptography.SHA256.HashData(new byte[1024])), ArchiveResultDigest.Compute(noise, keccak));
    }

    private static MemoryStream Archive(string computedJson, params (string Name, byte[] Content)[] files)
    {
        var stream = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(stream, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in files.Prepend((CanonicalTar.ComputedFile, System.Text.Encoding.UTF8.GetBytes(computedJson))))
            {
                var entry = CanonicalTar.Header(name, directory: false, executable: false);
                entry.DataStream = new MemoryStream(content);
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
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
