using System.Buffers.Binary;
using System.Text;

namespace Orchestrator.Worker.Execution.Containers;

/// <summary>
/// The engine's multiplexed log stream (a container without a TTY): frames of an 8-byte header
/// (stream 1 = stdout, 2 = stderr, three zero bytes, a big-endian 32-bit length) then that many bytes.
/// Lines go into the same tails as a process's output, so logs reach the requester the same way.
/// </summary>
public static class EngineLogStream
{
    /// <summary>Reads <paramref name="stream"/> to its end into the two tails.</summary>
    public static async Task CopyAsync(Stream stream, LogTail stdout, LogTail stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var header = new byte[8];
        var outLines = new LineSplitter(stdout);
        var errLines = new LineSplitter(stderr);
        var buffer = new byte[64 * 1024];
        while (await FillAsync(stream, header, cancellationToken).ConfigureAwait(false))
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            var target = header[0] == 2 ? errLines : outLines;
            while (length > 0)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(length, (uint)buffer.Length)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                target.Add(buffer.AsSpan(0, read));
                length -= (uint)read;
            }
        }

        outLines.Flush();
        errLines.Flush();
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] header, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < header.Length)
        {
            var read = await stream.ReadAsync(header.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            filled += read;
        }

        return true;
    }

    private sealed class LineSplitter(LogTail tail)
    {
        private const int MaxLine = 64 * 1024;
        private readonly MemoryStream _pending = new();

        public void Add(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                var newline = bytes.IndexOf((byte)'\n');
                if (newline < 0)
                {
                    _pending.Write(bytes);
                    if (_pending.Length > MaxLine)
                    {
                        Flush(); // a line without end cannot hold the agent's memory: cut it
                    }

                    return;
                }

                _pending.Write(bytes[..newline]);
                tail.Add(Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length));
                _pending.SetLength(0);
                bytes = bytes[(newline + 1)..];
            }
        }

        public void Flush()
        {
            if (_pending.Length > 0)
            {
                tail.Add(Encoding.UTF8.GetString(_pending.GetBuffer(), 0, (int)_pending.Length));
                _pending.SetLength(0);
            }
        }
    }
}
