using System.Text;

namespace Orchestrator.Worker.Execution;

/// <summary>
/// The last <c>capacity</c> bytes (UTF-8) of a stream of output lines: older lines are dropped as new
/// ones come, so memory stays bounded however much an app writes, and what is kept is the end, where
/// an app says why it failed. Safe to feed from the process's output thread while another reads it.
/// </summary>
public sealed class LogTail(int capacity)
{
    /// <summary>The default tail of each stream: 1 MiB.</summary>
    public const int DefaultBytes = 1024 * 1024;

    private readonly Queue<byte[]> _lines = new();
    private readonly Lock _gate = new();
    private long _bytes;

    /// <summary>Adds a line (null, the end of the stream, is ignored).</summary>
    public void Add(string? line)
    {
        if (line is null) return;
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (_gate)
        {
            if (bytes.Length > capacity)
            {
                // One line longer than the whole tail: keep its end.
                bytes = bytes[^capacity..];
            }

            _lines.Enqueue(bytes);
            _bytes += bytes.Length;
            while (_bytes > capacity)
            {
                _bytes -= _lines.Dequeue().Length;
            }
        }
    }

    /// <summary>The kept bytes, oldest first.</summary>
    public byte[] ToArray()
    {
        lock (_gate)
        {
            var all = new byte[_bytes];
            var at = 0;
            foreach (var line in _lines)
            {
                line.CopyTo(all, at);
                at += line.Length;
            }

            return all;
        }
    }

    /// <summary>Appends the kept bytes to a file (created when missing).</summary>
    public void AppendTo(string path)
    {
        using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(ToArray());
    }

    /// <summary>The last <paramref name="maxBytes"/> of a file, or nothing when it does not exist.</summary>
    public static byte[] ReadTail(string path, int maxBytes)
    {
        if (!File.Exists(path)) return [];
        using var file = File.OpenRead(path);
        var length = (int)Math.Min(file.Length, maxBytes);
        file.Seek(-length, SeekOrigin.End);
        var tail = new byte[length];
        file.ReadExactly(tail);
        return tail;
    }
}
