namespace Orchestrator.Bench;

/// <summary>The cheapest possible grain call: the floor a task lifecycle is measured against.</summary>
[Alias("bench.IPingGrain")]
public interface IPingGrain : IGrainWithIntegerKey
{
    [Alias("ping")]
    Task<int> PingAsync(int value);
}

/// <summary>Returns its input.</summary>
public sealed class PingGrain : Grain, IPingGrain
{
    public Task<int> PingAsync(int value) => Task.FromResult(value + 1);
}
