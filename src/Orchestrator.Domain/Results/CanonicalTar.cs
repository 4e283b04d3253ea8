using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Orchestrator.Domain.Results;

/// <summary>
/// The pieces of the canonical result archive (docs/worker-protocol.md, "The result archive") that the
/// worker, which builds archives, and the server, which checks them, must agree on byte for byte: the
/// entry header, where computed.json names the deterministic output, and hashing a tar as it is written.
/// </summary>
public static class CanonicalTar
{
    /// <summary>The file at the output's root in which an app may name its deterministic output.</summary>
    public const string ComputedFile = "computed.json";

    private const UnixFileMode RegularMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode ExecutableMode = RegularMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>A canonical entry header: mtime 0, uid/gid 0, no owner names, 0755 for directories and executables, else 0644.</summary>
    public static UstarTarEntry Header(string name, bool directory, bool executable) => new(directory ? TarEntryType.Directory : TarEntryType.RegularFile, name)
    {
        ModificationTime = DateTimeOffset.UnixEpoch,
        Mode = directory || executable ? ExecutableMode : RegularMode,
        Uid = 0,
        Gid = 0,
        UserName = string.Empty,
        GroupName = string.Empty,
    };

    /// <summary>The deterministic-output-path a computed.json declares, as written; null when it declares none.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON.</exception>
    public static string? DeclaredDeterministicPath(Stream computedJson)
    {
        try
        {
            using var document = JsonDocument.Parse(computedJson);
            var declared = document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("deterministic-output-path", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
            return string.IsNullOrWhiteSpace(declared) ? null : declared;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{ComputedFile} is not valid JSON: {ex.Message}");
        }
    }
}

/// <summary>A write-only stream that feeds a hash (a tar is hashed as it is written, never held).</summary>
public sealed class HashingStream(IncrementalHash hash) : Stream
{
    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => hash.AppendData(buffer, offset, count);

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer) => hash.AppendData(buffer);
}
