using Orchestrator.Domain.Crypto;

namespace Orchestrator.Cli.Commands;

/// <summary>The requester's private key file as `result keygen` writes it: 32 bytes in hex, one line.</summary>
internal static class RequesterKeyFile
{
    /// <summary>The key, or false with an error naming the option and the file.</summary>
    public static bool TryRead(FileInfo file, out byte[] key, out string error)
    {
        key = [];
        error = string.Empty;
        try
        {
            if (!Hex.TryDecode(File.ReadAllText(file.FullName).Trim(), out key, out var hexError) || key.Length != 32)
            {
                error = $"--key: {file.FullName} does not hold a 32-byte hex private key{(hexError.Length > 0 ? $" ({hexError})" : string.Empty)}";
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"--key: {ex.Message}";
            return false;
        }

        return true;
    }
}
