using Orchestrator.Telemetry;

namespace Orchestrator.Observability.Tests;

/// <summary>A live gauge sums its slots by tag whichever threads registered them, and forgets a disposed slot.</summary>
public sealed class LiveGaugeTests
{
    [Fact]
    public async Task Slots_registered_from_many_threads_are_summed_by_tag_and_a_disposed_slot_no_longer_counts()
    {
        var gauge = new LiveGauge("status");
        var slots = await Task.WhenAll(Enumerable.Range(0, 2_000).Select(i => Task.Run(() => gauge.Register(i % 3 == 0 ? "done" : "running", 2))));

        Assert.Equal(2_000, gauge.SlotCount);
        Assert.Equal(4_000, gauge.Total());
        var byTag = gauge.Observe().ToDictionary(m => (string)m.Tags[0].Value!, m => m.Value);
        Assert.Equal(667 * 2, byTag["done"]);
        Assert.Equal(1_333 * 2, byTag["running"]);

        slots[0].Tag = "running"; // a slot moves between tags with a plain write
        slots[1].Value = 10;
        foreach (var slot in slots.Skip(2))
        {
            slot.Dispose();
        }

        Assert.Equal(2, gauge.SlotCount);
        var left = gauge.Observe().Single();
        Assert.Equal(("running", 12L), ((string)left.Tags[0].Value!, left.Value));
    }
}
