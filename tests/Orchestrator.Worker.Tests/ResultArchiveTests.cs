using System.Diagnostics;
using System.Security.Cryptography;
using Orchestrator.Domain.Results;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Tests;

public sealed class ResultArchiveTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void The_same_output_written_differently_has_the_same_digest_and_archive_bytes()
    {
        // Worker A writes b then a, now; worker B writes a then b, with other timestamps and permissions.
        var a = _dir.Combine("a");
        var b = _dir.Combine("b");
        _dir.Write("a/sub/two.txt", "2");
        _dir.Write("a/one.txt", "1");
        Directory.CreateDirectory(_dir.Combine("a", "empty"));
        _dir.Write("b/one.txt", "1");
        _dir.Write("b/sub/two.txt", "2");
        Directory.CreateDirectory(_dir.Combine("b", "empty"));
        File.SetLastWriteTimeUtc(_dir.Combine("b", "one.txt"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.SetUnixFileMode(_dir.Combine("b", "sub", "two.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var digestA = ResultArchive.Build(a, _dir.Combine("a.tar"), 1 << 20);
        var digestB = ResultArchive.Build(b, _dir.Combine("b.tar"), 1 << 20);

        Assert.Equal(digestA, digestB);
        Assert.Equal(File.ReadAllBytes(_dir.Combine("a.tar")), File.ReadAllBytes(_dir.Combine("b.tar")));
        Assert.Equal(digestA.ToArray(), SHA256.HashData(File.ReadAllBytes(_dir.Combine("a.tar"))));
    }

    [Fact]
    public void A_different_content_name_or_executable_bit_changes_the_digest()
    {
        _dir.Write("base/r.txt", "result");
        _dir.Write("content/r.txt", "result!");
        _dir.Write("name/R.txt", "result");
        _dir.Write("exec/r.txt", "result");
        File.SetUnixFileMode(_dir.Combine("exec", "r.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var digests = new[] { "base", "content", "name", "exec" }.Select(d => ResultArchive.DigestOf(_dir.Combine(d))).ToList();
        Assert.Equal(digests.Count, digests.Distinct().Count());
    }

    [Fact]
    public void The_archive_is_a_tar_that_standard_tools_read_with_sorted_entries_and_epoch_times()
    {
        _dir.Write("out/z.txt", "z");
        _dir.Write("out/a/b.txt", "b");
        ResultArchive.Build(_dir.Combine("out"), _dir.Combine("r.tar"), 1 << 20);

        var listing = Run("tar", "-tvf", _dir.Combine("r.tar"));
        var lines = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["a/", "a/b.txt", "z.txt"], lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]));
        Assert.All(lines, l => Assert.Contains("1970-01-01", l, StringComparison.Ordinal));
        Assert.StartsWith("-rw-r--r-- 0/0", lines[2], StringComparison.Ordinal);

        Directory.CreateDirectory(_dir.Combine("x"));
        Run("tar", "-xf", _dir.Combine("r.tar"), "-C", _dir.Combine("x"));
        Assert.Equal("b", File.ReadAllText(_dir.Combine("x", "a", "b.txt")));
    }

    [Fact]
    public void Computed_json_narrows_the_digest_to_the_deterministic_output_but_the_archive_keeps_everything()
    {
        _dir.Write("one/result.txt", "42");
        _dir.Write("one/log.txt", "run at 10:00");
        _dir.Write("one/computed.json", """{ "deterministic-output-path": "/iexec_out/result.txt" }""");
        _dir.Write("two/result.txt", "42");
        _dir.Write("two/log.txt", "run at 11:37");
        _dir.Write("two/computed.json", """{ "deterministic-output-path": "result.txt" }""");

        var one = ResultArchive.Build(_dir.Combine("one"), _dir.Combine("one.tar"), 1 << 20);
        var two = ResultArchive.Build(_dir.Combine("two"), _dir.Combine("two.tar"), 1 << 20);

        Assert.Equal(one, two);
        Assert.Equal(ResultArchive.DigestOf(_dir.Combine("one", "result.txt")), one);
        Assert.Contains("log.txt", Run("tar", "-tf", _dir.Combine("one.tar")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_deterministic_path_outside_the_output_is_refused()
    {
        _dir.Write("secret.txt", "s");
        _dir.Write("out/computed.json", """{ "deterministic-output-path": "../secret.txt" }""");
        var ex = Assert.Throws<ResultArchiveException>(() => ResultArchive.Build(_dir.Combine("out"), _dir.Combine("r.tar"), 1 << 20));
        Assert.Contains("not a file or directory inside the output", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Symbolic_links_and_oversized_outputs_are_refused_with_a_reason()
    {
        _dir.Write("out/ok.txt", "ok");
        File.CreateSymbolicLink(_dir.Combine("out", "link"), "/etc/passwd");
        var link = Assert.Throws<ResultArchiveException>(() => ResultArchive.Build(_dir.Combine("out"), _dir.Combine("r.tar"), 1 << 20));
        Assert.Contains("symbolic link", link.Message, StringComparison.Ordinal);

        _dir.Write("big/data.bin", new string('x', 2000));
        var big = Assert.Throws<ResultArchiveException>(() => ResultArchive.Build(_dir.Combine("big"), _dir.Combine("b.tar"), 1000));
        Assert.Contains("above the limit of 1000", big.Message, StringComparison.Ordinal);
    }

    private static string Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, Environment = { ["TZ"] = "UTC" } };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return output;
    }

    public void Dispose() => _dir.Dispose();
}
