using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Orchestrator.Api.Results.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Deals;
using Orchestrator.Domain.Results;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// `orchestrator result get|logs 0x&lt;task&gt; --key requester.key`: the requester (or beneficiary)
/// downloads with an EIP-712 signature of its own key (orchestrator.results.v1), no pool owner's token.
/// `get` decrypts when the result is encrypted, checks the plaintext against the consensus digest and
/// only then writes the file. Exit 0 when everything held, 1 when the download does not decrypt or
/// its digest differs (or the pool refused the request), 2 on bad input, 3 when refused or unreachable.
/// </summary>
internal static class ResultDownloadCommands
{
    /// <summary>How long a signed request lives: long enough for a slow link, short enough to be worthless once seen.</summary>
    private static readonly TimeSpan RequestLifetime = TimeSpan.FromMinutes(10);

    public static IEnumerable<Command> Create()
    {
        var api = new AdminApi();
        var taskArgument = new Argument<string>("taskId") { Description = "The task id (0x + 64 hex digits)." };
        var key = new Option<FileInfo>("--key") { Description = "The requester's (or beneficiary's) private key file (hex, as `result keygen` writes it).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the decrypted, verified result archive.", Required = true };
        var get = new Command("get", "Download a task's result as its requester: sign, download, decrypt, check the consensus digest, write.") { taskArgument, key, output };
        get.SetAction((parse, ct) => GetAsync(parse, api, parse.GetValue(taskArgument)!, parse.GetValue(key)!, parse.GetValue(output)!, ct));

        var logsTask = new Argument<string>("taskId") { Description = "The task id (0x + 64 hex digits)." };
        var logsKey = new Option<FileInfo>("--key") { Description = "The requester's (or beneficiary's) private key file.", Required = true };
        var logsOut = new Option<FileInfo?>("--out") { Description = "Write the (decrypted) logs package (a tar of stdout.log and stderr.log) of the first uploader here instead of printing." };
        var worker = new Option<string?>("--worker") { Description = "Only the logs this worker uploaded (0x address)." };
        var logs = new Command("logs", "Print a task's app output (stdout and stderr tails) as its requester.") { logsTask, logsKey, logsOut, worker };
        logs.SetAction((parse, ct) => LogsAsync(parse, api, parse.GetValue(logsTask)!, parse.GetValue(logsKey)!, parse.GetValue(logsOut), parse.GetValue(worker), ct));

        foreach (var command in new[] { get, logs })
        {
            command.Options.Add(api.Url);
            command.Options.Add(api.Ca);
            command.Options.Add(api.Insecure);
        }

        return [get, logs];
    }

    private static async Task<int> GetAsync(ParseResult parse, AdminApi api, string taskText, FileInfo keyFile, FileInfo output, CancellationToken cancellationToken)
    {
        if (!TryInputs(taskText, keyFile, out var taskId, out var key)) return 2;
        var (connection, error) = api.OpenWithoutToken(parse);
        if (connection is null) return Fail(2, error!);
        using (connection)
        {
            try
            {
                var client = new Results.ResultsClient(connection.Channel);
                var request = await SignAsync(client, taskId, ResultKind.Result, key, cancellationToken);
                using var call = client.GetResult(request, cancellationToken: cancellationToken);
                var objects = await ReadObjectsAsync(call.ResponseStream, cancellationToken);
                if (objects.Count != 1) return Fail(1, $"the pool sent {objects.Count} objects for one result");
                var (info, bytes) = objects[0];
                var plaintext = Open(info, bytes, key, out var problem);
                if (plaintext is null) return Fail(1, problem!);
                if (!Hash32.TryParse(info.ResultDigest, out var consensus, out _)) return Fail(1, $"the pool sent no consensus digest (\"{info.ResultDigest}\")");
                var digest = DigestOf(plaintext, consensus);
                if (digest != consensus)
                {
                    return Fail(1, $"the result's digest is {digest}, not the task's consensus digest {consensus}: not written");
                }

                var temporary = output.FullName + ".part";
                await File.WriteAllBytesAsync(temporary, plaintext, cancellationToken);
                File.Move(temporary, output.FullName, overwrite: true);
                Console.WriteLine(JsonSerializer.Serialize(new { taskId = taskId.ToString(), @out = output.FullName, size = plaintext.Length, resultDigest = consensus.ToString(), encrypted = info.Encryption.Length > 0, worker = info.Worker }));
                return 0;
            }
            catch (RpcException ex)
            {
                return Fail(AdminApi.ExitCode(ex), $"{ex.StatusCode}: {ex.Status.Detail}");
            }
        }
    }

    private static async Task<int> LogsAsync(ParseResult parse, AdminApi api, string taskText, FileInfo keyFile, FileInfo? output, string? worker, CancellationToken cancellationToken)
    {
        if (!TryInputs(taskText, keyFile, out var taskId, out var key)) return 2;
        if (worker is not null && !Address.TryParse(worker, out _, out var workerError)) return Fail(2, $"--worker: {workerError}");
        var (connection, error) = api.OpenWithoutToken(parse);
        if (connection is null) return Fail(2, error!);
        using (connection)
        {
            try
            {
                var client = new Results.ResultsClient(connection.Channel);
                var request = await SignAsync(client, taskId, ResultKind.Logs, key, cancellationToken);
                request.Worker = worker ?? string.Empty;
                using var call = client.GetLogs(request, cancellationToken: cancellationToken);
                var exit = 0;
                foreach (var (info, bytes) in await ReadObjectsAsync(call.ResponseStream, cancellationToken))
                {
                    var package = Open(info, bytes, key, out var problem);
                    if (package is null)
                    {
                        exit = Fail(1, $"logs of {info.Worker}: {problem}");
                        continue;
                    }

                    if (output is not null)
                    {
                        await File.WriteAllBytesAsync(output.FullName, package, cancellationToken);
                        return exit;
                    }

                    try
                    {
                        var (stdout, stderr) = LogsPackage.Unpack(package);
                        Console.WriteLine($"== {info.Worker} {LogsPackage.StdoutEntry} ==");
                        Console.WriteLine(Encoding.UTF8.GetString(stdout));
                        Console.WriteLine($"== {info.Worker} {LogsPackage.StderrEntry} ==");
                        Console.WriteLine(Encoding.UTF8.GetString(stderr));
                    }
                    catch (InvalidDataException ex)
                    {
                        exit = Fail(1, $"logs of {info.Worker}: {ex.Message}");
                    }
                }

                return exit;
            }
            catch (RpcException ex)
            {
                return Fail(AdminApi.ExitCode(ex), $"{ex.StatusCode}: {ex.Status.Detail}");
            }
        }
    }

    /// <summary>The request, signed under the pool's own domain (as the pool states it: a domain of another pool makes a signature that recovers to nobody there).</summary>
    private static async Task<SignedRequest> SignAsync(Results.ResultsClient client, Hash32 taskId, string kind, byte[] key, CancellationToken cancellationToken)
    {
        var domain = await client.GetSigningDomainAsync(new GetSigningDomainRequest(), cancellationToken: cancellationToken);
        var pool = Address.Parse(domain.VerifyingContract);
        var expiry = (ulong)DateTimeOffset.UtcNow.Add(RequestLifetime).ToUnixTimeSeconds();
        var digest = new ResultRequest(taskId, kind, expiry).SigningDigest(domain.ChainId, pool);
        return new SignedRequest
        {
            TaskId = taskId.ToString(),
            Expiry = expiry,
            Signature = ByteString.CopyFrom(Secp256k1.Sign(digest.ToArray(), key).ToBytes65()),
        };
    }

    private static async Task<List<(ObjectInfo Info, byte[] Bytes)>> ReadObjectsAsync(IAsyncStreamReader<Chunk> chunks, CancellationToken cancellationToken)
    {
        var objects = new List<(ObjectInfo, byte[])>();
        ObjectInfo? current = null;
        var bytes = new MemoryStream();
        while (await chunks.MoveNext(cancellationToken))
        {
            if (chunks.Current.Info is { } info)
            {
                if (current is not null) objects.Add((current, bytes.ToArray()));
                current = info;
                bytes = new MemoryStream();
            }

            chunks.Current.Data.WriteTo(bytes);
        }

        if (current is not null) objects.Add((current, bytes.ToArray()));
        return objects;
    }

    /// <summary>The plaintext of a downloaded object once its bytes match what the pool stored (and decrypt with the key when encrypted); null with the problem otherwise.</summary>
    private static byte[]? Open(ObjectInfo info, byte[] bytes, byte[] key, out string? problem)
    {
        problem = null;
        var sha = new Hash32(SHA256.HashData(bytes));
        if (sha.ToString() != info.Sha256)
        {
            problem = $"the download's SHA-256 is {sha}, not the stored {info.Sha256} (truncated or altered in transit)";
            return null;
        }

        if (info.Encryption.Length == 0) return bytes;
        if (info.Encryption != ResultPrivacy.EciesLabel)
        {
            problem = $"encrypted as \"{info.Encryption}\", which this CLI does not know (it knows \"{ResultPrivacy.EciesLabel}\")";
            return null;
        }

        try
        {
            return Ecies.Decrypt(key, bytes);
        }
        catch (CryptographicException ex)
        {
            problem = $"{ex.Message}: is --key the deal's beneficiary key?";
            return null;
        }
    }

    /// <summary>
    /// The result digest of an archive as workers and the pool compute it: its SHA-256, or, when that is
    /// not the consensus digest, the digest of its computed.json deterministic output (a tar only).
    /// </summary>
    private static Hash32 DigestOf(byte[] archive, Hash32 consensus)
    {
        var sha = new Hash32(SHA256.HashData(archive));
        if (sha == consensus)
        {
            return sha;
        }

        try
        {
            return ArchiveResultDigest.Compute(new MemoryStream(archive), consensus);
        }
        catch (InvalidDataException)
        {
            return sha; // not a tar, or no deterministic output in it: only its SHA-256 can be the digest
        }
    }

    private static bool TryInputs(string taskText, FileInfo keyFile, out Hash32 taskId, out byte[] key)
    {
        key = [];
        if (!Hash32.TryParse(taskText, out taskId, out var error))
        {
            Fail(2, $"taskId: {error}");
            return false;
        }

        if (!RequesterKeyFile.TryRead(keyFile, out key, out var keyError))
        {
            Fail(2, keyError);
            return false;
        }

        return true;
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return code;
    }
}
