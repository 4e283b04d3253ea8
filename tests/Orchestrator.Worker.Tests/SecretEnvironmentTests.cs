using System.Text;
using Orchestrator.Domain.Crypto;
using Orchestrator.Worker.Execution;

namespace Orchestrator.Worker.Tests;

/// <summary>How a TEE task's released secrets reach the app: variables (iExec names) and exact files.</summary>
public sealed class SecretEnvironmentTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void Text_secrets_get_iexec_named_variables_binary_ones_only_files_and_no_secrets_no_variables()
    {
        byte[] binary = [0x00, 0xff, 0x10];
        var request = Request([
            new AppSecret(AppSecretOwner.Dataset, "key", "ZGF0YXNldA=="u8.ToArray()),
            new AppSecret(AppSecretOwner.Requester, "1", "requester one"u8.ToArray()),
            new AppSecret(AppSecretOwner.App, "api.token-v2", "app token"u8.ToArray()),
            new AppSecret(AppSecretOwner.App, "blob", binary),
        ]);

        var env = IexecEnvironment.Secrets(request, "/secrets");

        Assert.Equal("/secrets", env["IEXEC_SECRETS_DIR"]);
        Assert.Equal("ZGF0YXNldA==", env["IEXEC_DATASET_KEY"]);
        Assert.Equal("requester one", env["IEXEC_REQUESTER_SECRET_1"]);
        Assert.Equal("app token", env["IEXEC_APP_DEVELOPER_SECRET_API_TOKEN_V2"]);
        Assert.False(env.ContainsKey("IEXEC_APP_DEVELOPER_SECRET_BLOB")); // not text: its file only
        Assert.Empty(IexecEnvironment.Secrets(Request([]), "/secrets"));

        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);
        workspace.WriteSecrets(request.Secrets);
        Assert.Equal(binary, File.ReadAllBytes(Path.Combine(workspace.SecretDirectory, "app", "blob")));
        Assert.Equal("requester one", File.ReadAllText(Path.Combine(workspace.SecretDirectory, "requester", "1"), Encoding.UTF8));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(workspace.SecretDirectory, "dataset", "key")));
        workspace.DeleteSecrets();
        Assert.False(Directory.Exists(workspace.SecretDirectory));
    }

    [Fact]
    public async Task The_process_executor_gives_the_app_its_secrets_and_removes_them_when_it_ends()
    {
        var script = _dir.Write("app.sh", "#!/bin/sh\nprintf '%s|%s' \"$IEXEC_DATASET_KEY\" \"$(cat \"$IEXEC_SECRETS_DIR/dataset/key\")\" > \"$IEXEC_OUT/seen.txt\"\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var request = Request([new AppSecret(AppSecretOwner.Dataset, "key", "k3y"u8.ToArray())]) with
        {
            App = new AllowedApp(Address.Parse("0x00000000000000000000000000000000000000a1"), script, [], null, null),
        };
        var workspace = TaskWorkspace.Create(_dir.Path, request.TaskId);

        var result = await new ProcessExecutor(1 << 20, Microsoft.Extensions.Logging.Abstractions.NullLogger<ProcessExecutor>.Instance)
            .RunAsync(request, workspace, CancellationToken.None);

        Assert.Equal(ExecutionOutcome.Completed, result.Outcome);
        Assert.Equal("k3y|k3y", File.ReadAllText(Path.Combine(workspace.OutputDirectory, "seen.txt")));
        Assert.False(Directory.Exists(workspace.SecretDirectory));
    }

    private static ExecutionRequest Request(IReadOnlyList<AppSecret> secrets) => new()
    {
        TaskId = Hash32.Parse("0x" + new string('7', 64)),
        DealId = Hash32.Parse("0x" + new string('d', 64)),
        Index = 0,
        App = new AllowedApp(Address.Parse("0x00000000000000000000000000000000000000a1"), "/bin/true", [], null, null),
        MaxRunTime = TimeSpan.FromSeconds(30),
        Secrets = secrets,
    };

    public void Dispose() => _dir.Dispose();
}
