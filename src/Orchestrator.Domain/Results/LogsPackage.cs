using System.Formats.Tar;

namespace Orchestrator.Domain.Results;

/// <summary>
/// How a worker packs an app's output for the requester: a ustar tar of two entries in this order,
/// <c>stdout.log</c> and <c>stderr.log</c>, with the canonical headers of <see cref="CanonicalTar"/>
/// (mtime 0, uid/gid 0, mode 0644), each holding the last bytes the app wrote to that stream (at
/// most the worker's configured tail, 1 MiB by default). Encrypted like the result when the deal
/// names a beneficiary key. Any tar tool reads it.
/// </summary>
public static class LogsPackage
{
    /// <summary>The media type of a package (before encryption).</summary>
    public const string ContentType = "application/x-tar";

    /// <summary>The entry holding standard output's tail.</summary>
    public const string StdoutEntry = "stdout.log";

    /// <summary>The entry holding standard error's tail.</summary>
    public const string StderrEntry = "stderr.log";

    /// <summary>The package of two tails.</summary>
    public static byte[] Pack(ReadOnlySpan<byte> stdout, ReadOnlySpan<byte> stderr)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            Write(writer, StdoutEntry, stdout);
            Write(writer, StderrEntry, stderr);
        }

        return buffer.ToArray();
    }

    /// <summary>The two tails of a package.</summary>
    /// <exception cref="InvalidDataException">Not a package: not a tar, or without both entries.</exception>
    public static (byte[] Stdout, byte[] Stderr) Unpack(byte[] package)
    {
        byte[]? stdout = null, stderr = null;
        try
        {
            using var reader = new TarReader(new MemoryStream(package));
            while (reader.GetNextEntry() is { } entry)
            {
                using var content = new MemoryStream();
                entry.DataStream?.CopyTo(content);
                if (entry.Name == StdoutEntry) stdout = content.ToArray();
                else if (entry.Name == StderrEntry) stderr = content.ToArray();
            }
        }
        catch (Exception ex) when (ex is FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"the logs package is not a tar: {ex.Message}", ex);
        }

        return stdout is not null && stderr is not null
            ? (stdout, stderr)
            : throw new InvalidDataException($"the logs package lacks {(stdout is null ? StdoutEntry : StderrEntry)}");
    }

    private static void Write(TarWriter writer, string name, ReadOnlySpan<byte> content)
    {
        var entry = CanonicalTar.Header(name, directory: false, executable: false);
        entry.DataStream = new MemoryStream(content.ToArray());
        writer.WriteEntry(entry);
    }
}
