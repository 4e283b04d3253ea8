using System.Formats.Tar;
using System.Security.Cryptography;
using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Results;

/// <summary>
/// The result digest of an uploaded canonical archive (docs/worker-protocol.md, "The result archive"):
/// the SHA-256 of the whole archive, or, when its root <c>computed.json</c> names a
/// <c>deterministic-output-path</c>, the SHA-256 of the canonical archive of that path alone, rebuilt
/// here from the uploaded entries. Lets the server check that an archive is the one the consensus
/// agreed on even when its bytes differ outside the deterministic path.
/// </summary>
public static class ArchiveResultDigest
{
    private const string ComputedFile = CanonicalTar.ComputedFile;
    private const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>Computes the result digest of the archive in <paramref name="archive"/> (read from its start; seekable).</summary>
    /// <exception cref="InvalidDataException">The archive is not a tar, or its deterministic-output-path names nothing inside it.</exception>
    public static Hash32 Compute(Stream archive)
    {
        archive.Position = 0;
        var path = DeterministicPath(archive);
        archive.Position = 0;
        if (path is null)
        {
            return new Hash32(SHA256.HashData(archive));
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var sink = new HashingStream(hash))
        using (var writer = new TarWriter(sink, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var written = 0;
            using var reader = new TarReader(archive, leaveOpen: true);
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                var name = Covered(entry, path);
                if (name is not null)
                {
                    writer.WriteEntry(Canonical(entry, name));
                    written++;
                }
            }

            if (written == 0)
            {
                throw new InvalidDataException($"{ComputedFile} names deterministic-output-path '{path}', which is not in the archive");
            }
        }

        return new Hash32(hash.GetHashAndReset());
    }

    /// <summary>
    /// The archive's result digest as a task's consensus sees it: keccak256 of the root computed.json's
    /// callback-data when that is <paramref name="consensusDigest"/> (a callback deal's digest, DESIGN §6),
    /// else <see cref="Compute(Stream)"/>. Needs no knowledge of the deal: an archive of another deal cannot
    /// make its callback data hash to a SHA-256 consensus digest (that would be a keccak256 preimage).
    /// </summary>
    /// <exception cref="InvalidDataException">As <see cref="Compute(Stream)"/>, or malformed callback-data.</exception>
    public static Hash32 Compute(Stream archive, Hash32 consensusDigest)
    {
        ArgumentNullException.ThrowIfNull(archive);
        archive.Position = 0;
        using (var reader = new TarReader(archive, leaveOpen: true))
        {
            while (TryNext(reader) is { } entry)
            {
                if (entry.Name == ComputedFile && entry.DataStream is not null)
                {
                    if (CallbackData.FromComputedJson(entry.DataStream) is { } data && CallbackData.Digest(data) == consensusDigest)
                    {
                        return consensusDigest;
                    }

                    break;
                }
            }
        }

        return Compute(archive);
    }

    // A stream that is not a tar has no computed.json (its digest is its plain SHA-256, as Compute says).
    private static TarEntry? TryNext(TarReader reader)
    {
        try
        {
            return reader.GetNextEntry(copyData: false);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The name <paramref name="entry"/> takes in the archive of <paramref name="path"/>, or null when outside it.</summary>
    private static string? Covered(TarEntry entry, string path)
    {
        var name = entry.Name;
        if (entry.EntryType == TarEntryType.RegularFile || entry.EntryType == TarEntryType.V7RegularFile)
        {
            // A file alone is an archive of one entry under its own name.
            return name == path ? path[(path.LastIndexOf('/') + 1)..] : name.StartsWith(path + "/", StringComparison.Ordinal) ? name[(path.Length + 1)..] : null;
        }

        return name.StartsWith(path + "/", StringComparison.Ordinal) && name.Length > path.Length + 1 ? name[(path.Length + 1)..] : null;
    }

    private static UstarTarEntry Canonical(TarEntry entry, string name)
    {
        var directory = entry.EntryType == TarEntryType.Directory;
        var header = CanonicalTar.Header(name, directory, (entry.Mode & AnyExecute) != 0);
        header.DataStream = directory ? null : entry.DataStream;
        return header;
    }

    /// <summary>The path the root computed.json declares, relative to the output, without trailing '/'; null when none.</summary>
    private static string? DeterministicPath(Stream archive)
    {
        using var reader = new TarReader(archive, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            if (entry.Name != ComputedFile || entry.DataStream is null)
            {
                continue;
            }

            return CanonicalTar.DeclaredDeterministicPath(entry.DataStream) is { } declared ? Relative(declared) : null;
        }

        return null;
    }

    // iExec apps write /iexec_out/...; a path relative to the output is accepted too (as the worker does).
    private static string Relative(string declared)
    {
        var relative = declared.StartsWith("/iexec_out", StringComparison.Ordinal) ? declared["/iexec_out".Length..] : declared;
        var parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        if (parts.Count == 0 || parts.Contains("..") || (declared.StartsWith('/') && !declared.StartsWith("/iexec_out", StringComparison.Ordinal)))
        {
            throw new InvalidDataException($"{ComputedFile} names deterministic-output-path '{declared}', which is not a path inside the output");
        }

        return string.Join('/', parts);
    }
}
