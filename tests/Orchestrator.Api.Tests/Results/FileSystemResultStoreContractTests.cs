using Microsoft.Extensions.Options;
using Orchestrator.Api.Hosting;
using Orchestrator.Api.Results;

namespace Orchestrator.Api.Tests.Results;

/// <summary>The store contract on a real directory (the embedded dev store).</summary>
public sealed class FileSystemResultStoreContractTests : ResultStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "orch-store-contract-" + Guid.NewGuid().ToString("n"));

    /// <inheritdoc />
    public override Task DisposeAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<IResultStore> CreateStoreAsync(bool sameSpace)
        => Task.FromResult<IResultStore>(new FileSystemResultStore(Options.Create(new ApiOptions { ResultDirectory = _directory }), Clock));

    /// <inheritdoc />
    protected override Task<int> StoredObjectCountAsync()
        => Task.FromResult(Directory.Exists(_directory) ? Directory.EnumerateFiles(_directory, "*", SearchOption.AllDirectories).Count() : 0);
}
