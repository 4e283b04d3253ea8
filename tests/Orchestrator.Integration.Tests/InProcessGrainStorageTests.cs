using Orchestrator.Host.Hosting;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orchestrator.Integration.Tests;

/// <summary>The embedded default's storage keeps the durable providers' contract: versions as ETags, stale writes refused.</summary>
public sealed class InProcessGrainStorageTests
{
    private static readonly GrainId Grain = GrainId.Create("test", "a");
    private readonly InProcessGrainStorage _storage = new(new JsonSerializer());

    [Fact]
    public async Task A_write_is_read_back_and_a_stale_write_is_refused_leaving_the_stored_state()
    {
        var first = new GrainState<Counter>(new Counter());
        await _storage.ReadStateAsync("counter", Grain, first);
        Assert.False(first.RecordExists);
        var second = new GrainState<Counter>(new Counter());
        await _storage.ReadStateAsync("counter", Grain, second);

        first.State!.Value = 1;
        await _storage.WriteStateAsync("counter", Grain, first);
        second.State!.Value = 2;
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("counter", Grain, second));

        var read = new GrainState<Counter>(new Counter());
        await _storage.ReadStateAsync("counter", Grain, read);
        Assert.True(read.RecordExists);
        Assert.Equal(1, read.State!.Value);
        Assert.Equal(first.ETag, read.ETag);
        first.State!.Value = 3; // the grain's object is not the store's: only a write changes the store
        await _storage.ReadStateAsync("counter", Grain, read);
        Assert.Equal(1, read.State!.Value);
    }

    [Fact]
    public async Task A_clear_removes_the_state_and_a_clear_with_a_stale_etag_is_refused()
    {
        var state = new GrainState<Counter>(new Counter { Value = 5 });
        await _storage.WriteStateAsync("counter", Grain, state);
        var stale = new GrainState<Counter>(new Counter()) { ETag = null };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync("counter", Grain, stale));

        await _storage.ClearStateAsync("counter", Grain, state);

        var read = new GrainState<Counter>(new Counter());
        await _storage.ReadStateAsync("counter", Grain, read);
        Assert.False(read.RecordExists);
        Assert.Equal(0, read.State!.Value);
    }

    [Fact]
    public async Task A_write_claiming_a_version_never_stored_is_refused_and_stores_nothing_and_a_cleared_state_keeps_counting()
    {
        var claim = new GrainState<Counter>(new Counter { Value = 7 }) { ETag = "3" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("counter", Grain, claim));
        var read = new GrainState<Counter>(new Counter());
        await _storage.ReadStateAsync("counter", Grain, read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);

        await _storage.WriteStateAsync("counter", Grain, read);
        var before = new GrainState<Counter>(new Counter()) { ETag = read.ETag }; // an activation that read version 1
        await _storage.ClearStateAsync("counter", Grain, read);
        Assert.Equal("2", read.ETag); // as the durable providers: the cleared row keeps its place in the count
        var cleared = new GrainState<Counter>(new Counter());
        await _storage.ReadStateAsync("counter", Grain, cleared);
        Assert.False(cleared.RecordExists);
        Assert.Equal("2", cleared.ETag);

        read.State = new Counter { Value = 9 };
        await _storage.WriteStateAsync("counter", Grain, read);
        var again = new GrainState<Counter>(new Counter());
        await _storage.ReadStateAsync("counter", Grain, again);
        Assert.Equal(9, again.State!.Value);
        Assert.Equal("3", again.ETag);

        // The activation from before the clear never matches again, though the state was rewritten since.
        before.State = new Counter { Value = 1 };
        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync("counter", Grain, before));
        await _storage.ReadStateAsync("counter", Grain, again);
        Assert.Equal(9, again.State!.Value);
    }

    public sealed class Counter
    {
        public int Value { get; set; }
    }

    private sealed class JsonSerializer : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => new(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(input));

        public T Deserialize<T>(BinaryData input) => System.Text.Json.JsonSerializer.Deserialize<T>(input.ToMemory().Span)!;
    }
}
