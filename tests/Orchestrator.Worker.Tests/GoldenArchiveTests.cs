using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Domain.Results;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Tests;

/// <summary>
/// The result archive is a contract between workers of every version and language: our writer
/// reproduces, byte for byte, the golden archives of docs/golden/archives (made by an independent
/// implementation of docs/worker-protocol.md, tests/outsider/worker_protocol_check.py).
/// </summary>
public sealed class GoldenArchiveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Load().RootElement.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Our_archive_of_each_golden_case_is_byte_for_byte_the_golden_archive(string name)
    {
        using var cases = Load();
        var c = cases.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var output = _dir.Combine(name);
        Directory.CreateDirectory(output);
        foreach (var entry in c.GetProperty("entries").EnumerateArray())
        {
            var path = entry.GetProperty("path").GetString()!;
            if (path.EndsWith('/'))
            {
                Directory.CreateDirectory(Path.Combine(output, path));
                continue;
            }

            var file = _dir.Write(Path.Combine(name, path), entry.TryGetProperty("content", out var content) ? content.GetString()! : string.Empty);
            File.SetUnixFileMode(file, entry.TryGetProperty("executable", out var x) && x.GetBoolean()
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var archive = _dir.Combine(name + ".tar");
        var digest = ResultArchive.Build(output, archive, 1 << 20);

        var golden = File.ReadAllBytes(Repository.PathOf("docs", "golden", "archives", name + ".tar"));
        var ours = File.ReadAllBytes(archive);
        Assert.True(golden.AsSpan().SequenceEqual(ours), $"{name}: our archive ({ours.Length} bytes) differs from the golden one ({golden.Length} bytes) first at byte {FirstDifference(golden, ours)}");
        Assert.Equal(c.GetProperty("archiveSha256").GetString(), new Hash32(SHA256.HashData(ours)).ToString());
        Assert.Equal(c.GetProperty("resultDigest").GetString(), digest.ToString());
    }

    [Fact]
    public void A_path_that_does_not_split_into_the_ustar_fields_is_refused_with_the_rule()
    {
        _dir.Write("out/" + new string('n', 101), "a 101-byte name with no '/' to split at");
        var error = Assert.Throws<ResultArchiveException>(() => ResultArchive.Build(_dir.Combine("out"), _dir.Combine("out.tar"), 1 << 20));
        Assert.Contains("at most 155 bytes and the part after at most 100", error.Message, StringComparison.Ordinal);
    }

    private static JsonDocument Load() => JsonDocument.Parse(File.ReadAllText(Repository.PathOf("docs", "golden", "archives", "cases.json")));

    private static int FirstDifference(byte[] a, byte[] b)
    {
        var i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i])
        {
            i++;
        }

        return i;
    }

    public void Dispose() => _dir.Dispose();
}
