using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Orchestrator.Domain.Results;
using Orchestrator.Api.Worker.V1;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Worker.Configuration;
using Orchestrator.Worker.Hosting;

namespace Orchestrator.Worker.Tests.Session;

/// <summary>An agent run in this process against a <see cref="FakePool"/>, with a counting shell-script app.</summary>
public sealed class AgentHarness : IDisposable
{
    public static readonly Address App = Address.Parse("0x00000000000000000000000000000000000000a1");
    public static readonly Hash32 Deal = Hash32.Parse("0x" + new string('d', 64));

    private readonly TempDirectory _dir = new();
    private readonly CancellationTokenSource _stop = new();

    public AgentHarness()
    {
        Key = Secp256k1.NewPrivateKey();
        Identity = WorkerIdentity.FromKey(Key);
        Runs = _dir.Combine("runs.txt");
        Script = _dir.Write("app.sh", """
            #!/bin/sh
            echo "$IEXEC_TASK_INDEX" >> "$1"
            printf 'task %s\n' "$IEXEC_TASK_INDEX" > "$IEXEC_OUT/result.txt"
            if [ -n "${IEXEC_DATASET_KEY:-}" ]; then printf '%s' "$IEXEC_DATASET_KEY" > "$1.dataset-key"; cp "$IEXEC_SECRETS_DIR/dataset/key" "$1.dataset-key-file"; fi
            if [ "${2:-}" = slow ]; then sleep 30; fi
            if [ "${2:-}" = fail ]; then seq 1 20000; echo "boom: the input is corrupt" >&2; exit 3; fi
            if [ "${2:-}" = callback ]; then printf '{"callback-data":"0x7072696365"}' > "$IEXEC_OUT/computed.json"; fi
            """.Replace("\r", string.Empty, StringComparison.Ordinal));
        File.SetUnixFileMode(Script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public byte[] Key { get; }

    public WorkerIdentity Identity { get; }

    public string Runs { get; }

    public string Script { get; }

    /// <summary>The configured scratch directory.</summary>
    public string ScratchRoot => _dir.Combine("scratch");

    /// <summary>Where this worker's agent works: a subdirectory per worker address.</summary>
    public string Scratch => Path.Combine(ScratchRoot, Identity.Address.ToLowerHex());

    /// <summary>What the app saw as IEXEC_DATASET_KEY (null: nothing), and in the secrets directory's dataset key file.</summary>
    public (string? Variable, string? File) DatasetKeySeen => (
        File.Exists(Runs + ".dataset-key") ? File.ReadAllText(Runs + ".dataset-key") : null,
        File.Exists(Runs + ".dataset-key-file") ? File.ReadAllText(Runs + ".dataset-key-file") : null);

    /// <summary>How many times the app ran.</summary>
    public int RunCount => File.Exists(Runs) ? File.ReadAllLines(Runs).Length : 0;

    public WorkerOptions Options(string url, Action<WorkerOptions>? change = null)
    {
        var options = new WorkerOptions
        {
            ServerUrl = url,
            PrivateKey = Hex.Encode(Key),
            ScratchDirectory = ScratchRoot,
            Capabilities = new CapabilityOptions { Slots = 2, Cores = 1, MemoryMb = 512 },
            Apps = [new AppOptions { Address = App.ToString(), Command = Script, Arguments = [Runs] }],
            ReconnectInitialDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            DrainGracePeriod = TimeSpan.FromSeconds(5),
        };
        change?.Invoke(options);
        Assert.Empty(WorkerOptionsValidator.Check(options));
        return options;
    }

    /// <summary>Runs the agent until <see cref="StopAsync"/> (or until it ends by itself).</summary>
    public Task<int> RunAsync(WorkerOptions options, Action<OpenTelemetry.Trace.TracerProviderBuilder>? addTraceExporters = null) =>
        Task.Run(() => WorkerProgram.RunAgentAsync(options, Identity, LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)), _stop.Token, addTraceExporters));

    /// <summary>SIGTERM, as far as the agent can tell.</summary>
    public Task StopAsync() => _stop.CancelAsync();

    public static Assignment Assignment(long index, string parameters = "", bool resumed = false) => new()
    {
        TaskId = ProtocolIds.TaskId(Deal, (ulong)index).ToString(),
        DealId = Deal.ToString(),
        Index = (ulong)index,
        AppAddress = App.ToString(),
        DatasetAddress = Address.Zero.ToString(),
        Params = parameters,
        Category = 0,
        Trust = 3,
        ContributionDeadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(70)),
        FinalDeadline = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddSeconds(100)),
        AssignedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        Resumed = resumed,
    };

    /// <summary>The digest the app's output has for a task.</summary>
    public Hash32 ExpectedDigest(long index)
    {
        var out_ = _dir.Combine("expected-" + index);
        Directory.CreateDirectory(out_);
        File.WriteAllText(Path.Combine(out_, "result.txt"), $"task {index}\n");
        return ResultArchive.DigestOf(out_);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _dir.Dispose();
    }
}
