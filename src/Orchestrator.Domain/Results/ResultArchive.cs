using System.Formats.Tar;
using System.Security.Cryptography;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Results;

/// <summary>
/// The result archive and its digest, identical on every honest worker.
/// <para>
/// The archive is a <b>canonical ustar tar</b> of the output directory, specified byte for byte in
/// docs/worker-protocol.md and pinned by the golden archives of docs/golden/archives: entries sorted
/// by the UTF-8 bytes of their relative path ('/' separators, no "./" prefix), directories as their
/// own entries named "dir/" (so empty ones count), modification time 0, uid/gid 0, no user or group
/// names, mode 0755 for directories and for files the app made executable, 0644 for other files; a
/// path over 100 bytes is split at its last '/' into the prefix and name fields, and one that does not
/// fit that way is refused. Symbolic links, devices and other special files are refused (a link could
/// point outside the output). Nothing of the worker's machine (clock, umask, file-system order, user)
/// reaches the bytes.
/// </para>
/// <para>
/// The <b>result digest</b> (PoCo: resultHash = keccak256(taskId ‖ resultDigest)) is SHA-256 of the canonical tar of the deterministic
/// output: the whole output directory, or — as iExec apps declare it — only the path named by
/// <c>deterministic-output-path</c> in <c>computed.json</c> at the output's root (a file or a
/// directory inside the output), so an app can write logs or timestamps beside its result.
/// </para>
/// </summary>
public static class ResultArchive
{
    /// <summary>The file in which an app may name its deterministic output.</summary>
    public const string ComputedFile = CanonicalTar.ComputedFile;

    /// <summary>Writes the canonical archive of <paramref name="outputDirectory"/> and returns the result digest.</summary>
    /// <exception cref="ResultArchiveException">The output holds something that cannot be archived, or is too large.</exception>
    public static Hash32 Build(string outputDirectory, string archivePath, long maxBytes)
    {
        var root = Path.GetFullPath(outputDirectory);
        WriteCanonicalTar(root, archivePath, maxBytes);
        var deterministic = DeterministicPath(root);
        if (deterministic is null)
        {
            using var archive = File.OpenRead(archivePath);
            return new Hash32(SHA256.HashData(archive));
        }

        return DigestOf(deterministic, maxBytes);
    }

    /// <summary>The digest of a file or directory: SHA-256 of its canonical tar (a file alone is an archive of one entry).</summary>
    public static Hash32 DigestOf(string path, long maxBytes = long.MaxValue)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var sink = new HashingStream(hash))
        {
            WriteCanonicalTar(Path.GetFullPath(path), sink, maxBytes);
        }

        return new Hash32(hash.GetHashAndReset());
    }

    /// <summary>Writes the canonical tar of a directory (its content) or of a single file to a file.</summary>
    public static void WriteCanonicalTar(string path, string archivePath, long maxBytes)
    {
        using var file = new FileStream(archivePath, FileMode.Create, FileAccess.Write, FileShare.None);
        WriteCanonicalTar(path, file, maxBytes);
    }

    private static void WriteCanonicalTar(string path, Stream destination, long maxBytes)
    {
        var entries = Collect(path);
        var total = entries.Sum(e => e.Length);
        if (total > maxBytes)
        {
            throw new ResultArchiveException($"the output is {total} bytes, above the limit of {maxBytes}");
        }

        using var writer = new TarWriter(destination, TarEntryFormat.Ustar, leaveOpen: true);
        foreach (var entry in entries)
        {
            var tar = CanonicalTar.Header(entry.Name, entry.IsDirectory, entry.Executable);
            if (entry.IsDirectory)
            {
                writer.WriteEntry(tar);
                continue;
            }

            using var data = File.OpenRead(entry.FullPath);
            tar.DataStream = data;
            writer.WriteEntry(tar);
        }
    }

    private sealed record Entry(string Name, string FullPath, bool IsDirectory, bool Executable, long Length);

    private static List<Entry> Collect(string path)
    {
        var entries = new List<Entry>();
        var info = new FileInfo(path);
        if (info.Exists)
        {
            entries.Add(FileEntry(info, info.Name));
            return entries;
        }

        if (!Directory.Exists(path))
        {
            throw new ResultArchiveException($"the output {path} does not exist");
        }

        Walk(new DirectoryInfo(path), string.Empty, entries);
        // Byte order of the UTF-8 names, which other languages sort by; UTF-16 ordinal order differs
        // from it for characters above U+FFFF against U+E000..U+FFFF.
        var keyed = entries.ConvertAll(e => (Key: System.Text.Encoding.UTF8.GetBytes(e.Name), Entry: e));
        keyed.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return keyed.ConvertAll(k => k.Entry);
    }

    private static void Walk(DirectoryInfo directory, string prefix, List<Entry> entries)
    {
        foreach (var item in directory.EnumerateFileSystemInfos())
        {
            var name = prefix + item.Name;
            if (item.LinkTarget is not null)
            {
                throw new ResultArchiveException($"the output holds a symbolic link ({name}); results hold regular files and directories only");
            }

            if (item is DirectoryInfo sub)
            {
                entries.Add(new Entry(CheckName(name + "/"), sub.FullName, true, false, 0));
                Walk(sub, name + "/", entries);
            }
            else if (item is FileInfo file && (file.Attributes & FileAttributes.Device) == 0)
            {
                entries.Add(FileEntry(file, name));
            }
            else
            {
                throw new ResultArchiveException($"the output holds a special file ({name}); results hold regular files and directories only");
            }
        }
    }

    private static Entry FileEntry(FileInfo file, string name)
    {
        var executable = !OperatingSystem.IsWindows() && (file.UnixFileMode & UnixFileMode.UserExecute) != 0;
        return new Entry(CheckName(name), file.FullName, false, executable, file.Length);
    }

    private static string CheckName(string name)
    {
        // ustar holds 100 name bytes, and a longer path is split at its last '/' into a prefix of at
        // most 155 bytes and a name of at most 100 (a directory's trailing '/' counts: its name part is
        // then empty). Other writers split elsewhere or add pax headers, whose bytes vary: refuse instead.
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        if (bytes.Length <= 100)
        {
            return name;
        }

        var cut = Array.LastIndexOf(bytes, (byte)'/');
        if (cut < 1 || cut > 155 || bytes.Length - cut - 1 > 100)
        {
            var shown = name.Length > 60 ? name[..60] + "..." : name;
            throw new ResultArchiveException($"the output path '{shown}' ({bytes.Length} bytes) does not fit a ustar header: split at its last '/', the part before must be at most 155 bytes and the part after at most 100");
        }

        return name;
    }

    /// <summary>The callback data the output's root computed.json declares (Domain's <see cref="Orchestrator.Domain.Results.CallbackData"/>), or null.</summary>
    /// <exception cref="ResultArchiveException">The callback-data is not 0x-hex or longer than 4 KiB (the message names the rule).</exception>
    public static byte[]? CallbackDataOf(string outputDirectory)
    {
        var computed = Path.Combine(Path.GetFullPath(outputDirectory), ComputedFile);
        if (!File.Exists(computed))
        {
            return null;
        }

        try
        {
            using var json = File.OpenRead(computed);
            return CallbackData.FromComputedJson(json);
        }
        catch (InvalidDataException ex)
        {
            throw new ResultArchiveException(ex.Message);
        }
    }

    private static string? DeterministicPath(string root)
    {
        var computed = Path.Combine(root, ComputedFile);
        if (!File.Exists(computed))
        {
            return null;
        }

        string? declared;
        try
        {
            using var json = File.OpenRead(computed);
            declared = CanonicalTar.DeclaredDeterministicPath(json);
        }
        catch (InvalidDataException ex)
        {
            throw new ResultArchiveException(ex.Message);
        }

        if (declared is null)
        {
            return null;
        }

        // iExec apps write it as /iexec_out/...; accept that, a path relative to the output, or an absolute host path inside it.
        var relative = declared.StartsWith("/iexec_out", StringComparison.Ordinal) ? declared["/iexec_out".Length..].TrimStart('/') : declared;
        var full = Path.GetFullPath(Path.IsPathRooted(relative) ? relative : Path.Combine(root, relative));
        if (!full.StartsWith(root, StringComparison.Ordinal) || (!File.Exists(full) && !Directory.Exists(full)))
        {
            throw new ResultArchiveException($"{ComputedFile} names deterministic-output-path '{declared}', which is not a file or directory inside the output");
        }

        return full;
    }
}

/// <summary>The output cannot become a result archive (special files, too large, bad computed.json).</summary>
public sealed class ResultArchiveException(string message) : Exception(message);
