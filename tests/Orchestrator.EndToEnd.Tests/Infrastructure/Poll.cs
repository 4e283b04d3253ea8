namespace Orchestrator.EndToEnd.Tests.Infrastructure;

/// <summary>Waits for an observable condition across processes, with a deadline (never a fixed sleep).</summary>
public static class Poll
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> and <paramref name="diagnostics"/> at the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, Func<string>? diagnostics = null)
    {
        var end = DateTime.UtcNow + deadline;
        var interval = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (await condition())
            {
                return;
            }

            if (DateTime.UtcNow > end)
            {
                Assert.Fail($"timed out after {deadline} waiting for {what}\n{diagnostics?.Invoke()}");
            }

            await Task.Delay(interval);
            interval = TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds * 2, 500));
        }
    }

    /// <summary>Polls a value until <paramref name="accept"/> holds for it; returns it.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T>> read, Func<T, bool> accept, TimeSpan deadline, string what, Func<string>? diagnostics = null)
    {
        T value = default!;
        await UntilAsync(async () => accept(value = await read()), deadline, what, () => $"last value: {value}\n{diagnostics?.Invoke()}");
        return value;
    }
}
