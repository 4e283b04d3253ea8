using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Orchestrator.Telemetry;

/// <summary>
/// The current value of something many grain activations hold a part of (tasks by status, depth per
/// partition, connected workers), observed without a call per change: each activation registers one
/// slot when it activates, updates it with a plain write, and disposes it when it deactivates. An
/// observable instrument sums the slots by tag when the exporter collects. A silo that dies takes its
/// slots with it, so the cluster-wide sum over silos never drifts.
/// </summary>
public sealed class LiveGauge
{
    // Every grain activation registers a slot: with the default (one lock per core) activations queued on each other's
    // adds, a tenth of a silo's CPU spinning on the task path. Spread over stripes besides: each new task adds a slot,
    // and a table that grows copies every slot under all its locks while every other activation waits; a stripe's
    // growth copies and blocks a sixteenth of them.
    private const int StripeCount = 16;
    private readonly ConcurrentDictionary<LiveGaugeSlot, byte>[] _stripes =
        [.. Enumerable.Range(0, StripeCount).Select(_ => new ConcurrentDictionary<LiveGaugeSlot, byte>(concurrencyLevel: 16, capacity: 64))];

    /// <summary>Creates a gauge whose measurements carry one tag.</summary>
    /// <param name="tagName">The tag's name (e.g. "status").</param>
    public LiveGauge(string tagName) => TagName = tagName;

    /// <summary>The tag the slots are grouped by.</summary>
    public string TagName { get; }

    /// <summary>Slots registered now.</summary>
    public int SlotCount => _stripes.Sum(stripe => stripe.Count);

    /// <summary>Registers a slot; dispose it when its owner goes away.</summary>
    public LiveGaugeSlot Register(string tagValue, long value = 0)
    {
        // The registering thread picks the stripe: threads registering at once mostly land on different ones.
        var slot = new LiveGaugeSlot(this, tagValue, value, Environment.CurrentManagedThreadId % StripeCount);
        _stripes[slot.Stripe].TryAdd(slot, 0);
        return slot;
    }

    /// <summary>The sum of the slots' values per tag value (one measurement per tag value).</summary>
    public IEnumerable<Measurement<long>> Observe()
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var slot in Slots())
        {
            sums.TryGetValue(slot.Tag, out var sum);
            sums[slot.Tag] = sum + slot.Value;
        }

        var measurements = new List<Measurement<long>>(sums.Count);
        foreach (var (tag, sum) in sums)
        {
            measurements.Add(new Measurement<long>(sum, new KeyValuePair<string, object?>(TagName, tag)));
        }

        return measurements;
    }

    /// <summary>The sum of every slot's value regardless of tag.</summary>
    public long Total()
    {
        long total = 0;
        foreach (var slot in Slots())
        {
            total += slot.Value;
        }

        return total;
    }

    internal void Remove(LiveGaugeSlot slot) => _stripes[slot.Stripe].TryRemove(slot, out _);

    private IEnumerable<LiveGaugeSlot> Slots() => _stripes.SelectMany(stripe => stripe.Keys);
}

/// <summary>One activation's part of a <see cref="LiveGauge"/>. Updates are plain writes: no allocation, no lock.</summary>
public sealed class LiveGaugeSlot : IDisposable
{
    private readonly LiveGauge _gauge;
    private string _tag;
    private long _value;

    internal LiveGaugeSlot(LiveGauge gauge, string tag, long value, int stripe)
    {
        _gauge = gauge;
        Stripe = stripe;
        _tag = tag;
        _value = value;
    }

    /// <summary>Which of the gauge's stripes holds this slot.</summary>
    internal int Stripe { get; }

    /// <summary>The tag value this slot counts under (e.g. the task's status).</summary>
    public string Tag
    {
        get => Volatile.Read(ref _tag);
        set => Volatile.Write(ref _tag, value);
    }

    /// <summary>This slot's value.</summary>
    public long Value
    {
        get => Volatile.Read(ref _value);
        set => Volatile.Write(ref _value, value);
    }

    /// <summary>Removes the slot from its gauge.</summary>
    public void Dispose() => _gauge.Remove(this);
}
