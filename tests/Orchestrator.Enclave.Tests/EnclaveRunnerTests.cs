using System.Text;
using System.Text.Json;
using Orchestrator.Attestation;
using Orchestrator.Attestation.Policy;
using Orchestrator.Attestation.Verification;
using Orchestrator.Domain.Crypto;
using Orchestrator.Domain.Ids;
using Orchestrator.Domain.Results;
using Orchestrator.Enclave.Quoting;
using Orchestrator.Enclave.Runner;
using Orchestrator.Testing.Tee;

namespace Orchestrator.Enclave.Tests;

/// <summary>
/// The trusted runner driven as the agent drives it, over its real line protocol: quotes through the Gramine
/// file interface answered by the test TEE, secrets sealed to its session key as the secret service seals
/// them, a real app process; and its refusals, each one line that leaves nothing behind.
/// </summary>
public sealed class EnclaveRunnerTests : IAsyncLifetime, IDisposable
{
    private readonly TestTee _tee = new(DateTimeOffset.UtcNow);
    private readonly string _dir = Directory.CreateTempSubdirectory("enclave-runner-").FullName;
    private readonly Address _worker = Secp256k1.AddressOf(Secp256k1.NewPrivateKey());
    private readonly Hash32 _taskId = new(Enumerable.Repeat((byte)0x42, 32).ToArray());
    private readonly byte[] _challengeKey = Secp256k1.NewPrivateKey();
    private TestTeeDevice _device = null!;
    private EnclaveRunner _runner = null!;

    public Task InitializeAsync()
    {
        _device = TestTeeDevice.Gramine(_tee, Path.Combine(_dir, "attestation"));
        var provider = QuoteProviders.Create(new QuoteProviderOptions { Kind = QuoteProviderKind.Gramine, Root = _device.Root }, TimeProvider.System)!;
        _runner = new EnclaveRunner(provider, Path.Combine(_dir, "private"), TimeProvider.System);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Its_quote_binds_the_session_key_and_challenge_and_verifies_under_the_test_root()
    {
        var (session, publicKey) = await OpenAsync();
        var challenge = ReportDataBinding.NewChallenge();

        var answer = await CallAsync(new RunnerRequest { Op = RunnerProtocol.Attest, Session = session, Challenge = challenge });

        var result = new DcapQuoteVerifier(new QuoteVerificationOptions { TestRootsSha256Hex = [_tee.RootSha256Hex] }).Verify(answer.Quote!, _tee.Collateral(TeeType.Sgx), _tee.At);
        Assert.True(result.IsVerified, result.FailureMessage);
        Assert.True(ReportDataBinding.Matches(result.Enclave!.ReportData.AsSpan(), publicKey, challenge));
    }

    [Fact]
    public async Task A_run_opens_the_sealed_key_and_secrets_runs_the_app_and_signs_the_digest_of_its_output()
    {
        var (session, publicKey) = await OpenAsync();
        var app = Script("app.sh", """
            #!/bin/sh
            printf '%s' "$IEXEC_DATASET_KEY" > "$IEXEC_OUT/key.txt"
            cat "$IEXEC_SECRETS_DIR/requester/1" > "$IEXEC_OUT/requester.txt"
            printf '%s\n' "$IEXEC_TASK_INDEX" "$*" > "$IEXEC_OUT/args.txt"
            """);
        var beneficiary = Secp256k1.NewPrivateKey();
        var task = SealedTask(publicKey, app, [new("dataset", "key", "k3y"), new("requester", "1", "t0ken")]) with
        {
            Arguments = ["a", "b"],
            Environment = new Dictionary<string, string> { ["IEXEC_TASK_INDEX"] = "7" },
            BeneficiaryKey = Secp256k1.PublicKeyBytes(beneficiary),
        };

        var outcome = (await CallAsync(Run(session, task))).Result!;

        Assert.Null(outcome.AppFailure);
        var archive = Ecies.Decrypt(beneficiary, File.ReadAllBytes(outcome.ResultPath));
        var expected = Path.Combine(_dir, "expected");
        Directory.CreateDirectory(expected);
        File.WriteAllText(Path.Combine(expected, "key.txt"), "k3y");
        File.WriteAllText(Path.Combine(expected, "requester.txt"), "t0ken");
        File.WriteAllText(Path.Combine(expected, "args.txt"), "7\na b\n");
        var digest = ResultArchive.DigestOf(expected);
        Assert.Equal(digest.ToString(), outcome.ResultDigest);
        Assert.Equal(new Hash32(System.Security.Cryptography.SHA256.HashData(archive)), digest);
        var message = ProtocolIds.EnclaveMessage(ProtocolIds.ResultHash(_taskId, digest), ProtocolIds.ResultSeal(_worker, _taskId, digest));
        Assert.True(Signature.TryFromBytes65(outcome.EnclaveSignature, out var signature, out _));
        Assert.True(EthereumMessage.TryRecover(message.ToArray(), signature!, out var signer));
        Assert.Equal(Secp256k1.AddressOf(_challengeKey), signer);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "private"))); // secrets and plaintext output gone
    }

    [Fact]
    public async Task Secrets_sealed_to_another_session_or_a_key_that_is_not_the_tasks_challenge_are_refused_in_one_line_and_nothing_runs()
    {
        var (session, own) = await OpenAsync();
        var (_, otherKey) = await OpenAsync();
        var marker = Path.Combine(_dir, "ran");
        var app = Script("marker.sh", $"#!/bin/sh\ntouch {marker}\n");

        var foreign = await _runner.HandleAsync(Run(session, SealedTask(otherKey, app, [])), CancellationToken.None);
        var notTheChallenge = await _runner.HandleAsync(Run(session, SealedTask(own, app, []) with { EnclaveChallenge = Secp256k1.AddressOf(Secp256k1.NewPrivateKey()).ToString() }), CancellationToken.None);

        Assert.Equal($"run: the enclave key of task {_taskId} does not open with this session's key (sealed to another session or task, or altered)", foreign.Error);
        Assert.StartsWith("run: the released key is not task ", notTheChallenge.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', foreign.Error!);
        Assert.False(File.Exists(marker));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "private")));
    }

    [Fact]
    public async Task A_closed_session_key_is_erased_and_bad_requests_name_the_rule()
    {
        var (session, _) = await OpenAsync();
        await CallAsync(new RunnerRequest { Op = RunnerProtocol.CloseSession, Session = session });

        var attest = await _runner.HandleAsync(new RunnerRequest { Op = RunnerProtocol.Attest, Session = session, Challenge = new byte[32] }, CancellationToken.None);
        var shortChallenge = await _runner.HandleAsync(new RunnerRequest { Op = RunnerProtocol.Attest, Session = session, Challenge = new byte[5] }, CancellationToken.None);
        var unknown = await _runner.HandleAsync(new RunnerRequest { Op = "export-key" }, CancellationToken.None);

        Assert.Equal($"no open session '{session}' in this enclave", attest.Error);
        Assert.Equal("attest: the challenge must be 32 bytes", shortChallenge.Error);
        Assert.Equal("unknown op 'export-key': one of open-session, attest, sign-fetch, run, close-session", unknown.Error);
    }

    [Fact]
    public async Task The_program_answers_over_its_pipes_and_refuses_a_missing_quote_interface_in_one_line()
    {
        var input = new StringReader(JsonSerializer.Serialize(new RunnerRequest { Id = 1, Op = RunnerProtocol.OpenSession }, RunnerProtocol.Json) + "\n");
        var output = new StringWriter();
        var code = await RunnerProgram.RunAsync(["--quote-provider", "Gramine", "--quote-root", _device.Root, "--private-dir", Path.Combine(_dir, "p2")], input, output, TextWriter.Null);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<RunnerResponse>(l, RunnerProtocol.Json)!).ToList();

        var error = new StringWriter();
        var missing = await RunnerProgram.RunAsync(["--quote-provider", "ConfigfsTsm", "--quote-root", Path.Combine(_dir, "absent")], TextReader.Null, TextWriter.Null, error);

        Assert.Equal(0, code);
        Assert.StartsWith("Gramine attestation files at ", lines[0].Provider, StringComparison.Ordinal);
        Assert.Equal(64, lines[1].PublicKey!.Length);
        Assert.Equal(2, missing);
        Assert.StartsWith($"orchestrator-enclave: no configfs-tsm report interface at {Path.Combine(_dir, "absent")}: not a TDX guest", error.ToString(), StringComparison.Ordinal);
        Assert.Single(error.ToString().Trim().Split('\n'));
    }

    public async Task DisposeAsync()
    {
        _runner.Dispose();
        await _device.DisposeAsync();
    }

    public void Dispose()
    {
        _tee.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(string Session, byte[] PublicKey)> OpenAsync()
    {
        var opened = await CallAsync(new RunnerRequest { Op = RunnerProtocol.OpenSession });
        return (opened.Session!, opened.PublicKey!);
    }

    private async Task<RunnerResponse> CallAsync(RunnerRequest request)
    {
        var response = await _runner.HandleAsync(request, CancellationToken.None);
        Assert.True(response.Error is null, response.Error);
        return response;
    }

    private RunnerRequest Run(string session, RunTask task) =>
        new() { Op = RunnerProtocol.Run, Session = session, Worker = _worker.ToString(), TaskId = _taskId.ToString(), Task = task };

    /// <summary>A task whose key and secrets are sealed to <paramref name="sessionKey"/>, as the secret service seals them.</summary>
    private RunTask SealedTask(byte[] sessionKey, string app, IReadOnlyList<(string Owner, string Name, string Value)> secrets) => new()
    {
        EnclaveChallenge = Secp256k1.AddressOf(_challengeKey).ToString(),
        SealedEnclaveKey = Ecies.Encrypt(sessionKey, _challengeKey, _taskId.ToArray()),
        Secrets = [.. secrets.Select(s => new SealedAppSecret(s.Owner, s.Name, Ecies.Encrypt(sessionKey, Encoding.UTF8.GetBytes(s.Value), _taskId.ToArray())))],
        Command = app,
        ResultPath = Path.Combine(_dir, "upload", Guid.NewGuid().ToString("n") + ".tar"),
        MaxRunSeconds = 60,
    };

    private string Script(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
