using System.Diagnostics;

namespace Orchestrator.Testing;

/// <summary>
/// The one way a test waits for behaviour it cannot drive with a fake clock (another process, a
/// broker, a real database): poll a condition until it holds or a deadline passes. A timeout names
/// what was awaited and what was seen last, so a failure explains itself.
/// </summary>
public static class Eventually
{
    /// <summary>The default deadline, generous because the test machines are small and shared.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(250);

    /// <summary>Waits until <paramref name="read"/> returns a value <paramref name="accept"/> holds for, and returns it.</summary>
    /// <param name="what">What the test waits for, in words ("every task final").</param>
    /// <param name="read">Reads the current value; an exception counts as "not yet" when <paramref name="tolerate"/> says so.</param>
    /// <param name="accept">Whether the value is the one awaited.</param>
    /// <param name="timeout">The deadline (default <see cref="DefaultTimeout"/>).</param>
    /// <param name="tolerate">Exceptions that mean "the system is recovering, ask again" (none by default).</param>
    /// <param name="describe">Renders the last value in the failure message (default: ToString).</param>
    public static async Task<T> ForAsync<T>(
        string what,
        Func<Task<T>> read,
        Func<T, bool> accept,
        TimeSpan? timeout = null,
        Func<Exception, bool>? tolerate = null,
        Func<T, string>? describe = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(accept);
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        var pause = FirstPause;
        // What was seen last is kept as is and described only when the wait fails: describing it can cost
        // (a call, a copy of a process's output) and would otherwise run at every poll.
        var seenValue = default(T);
        var hasValue = false;
        Exception? seenError = null;
        while (true)
        {
            try
            {
                var value = await read().ConfigureAwait(false);
                if (accept(value))
                {
                    return value;
                }

                (seenValue, hasValue, seenError) = (value, true, null);
            }
            catch (Exception ex) when (tolerate?.Invoke(ex) == true)
            {
                seenError = ex;
            }

            if (clock.Elapsed > limit)
            {
                var seen = seenError is not null ? $"{seenError.GetType().Name}: {seenError.Message}"
                    : !hasValue ? "nothing yet"
                    : describe is null ? seenValue?.ToString() ?? "null" : describe(seenValue!);
                throw new WaitTimedOutException($"timed out after {limit.TotalSeconds:0.#} s waiting for {what}; last seen: {seen}");
            }

            await Task.Delay(pause).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; <paramref name="state"/> says what was seen when it fails.</summary>
    public static Task UntilAsync(string what, Func<Task<bool>> condition, TimeSpan? timeout = null, Func<string>? state = null, Func<Exception, bool>? tolerate = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return ForAsync(what, condition, ok => ok, timeout, tolerate, _ => state?.Invoke() ?? "the condition did not hold");
    }

    /// <summary>Waits until a synchronous <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(string what, Func<bool> condition, TimeSpan? timeout = null, Func<string>? state = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(what, () => Task.FromResult(condition()), timeout, state);
    }
}

/// <summary>A wait of <see cref="Eventually"/> that passed its deadline; the message says what it waited for and saw.</summary>
public sealed class WaitTimedOutException(string message) : TimeoutException(message);
