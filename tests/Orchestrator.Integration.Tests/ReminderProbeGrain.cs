using System.Collections.Concurrent;
using Orleans.Runtime;

namespace Orchestrator.Integration.Tests;

/// <summary>A grain that registers a durable reminder and records which silo it fires on.</summary>
[Alias("orch.it.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the reminder (first tick after <paramref name="due"/>) and returns the hosting silo.</summary>
    [Alias("arm")]
    Task<string> ArmAsync(TimeSpan due);

    /// <summary>The silo this activation lives on.</summary>
    [Alias("where")]
    Task<string> WhereAsync();
}

/// <summary>The probe: firings go to a process-wide map, since all test silos share the process.</summary>
public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    /// <summary>Grain key to the silo the reminder fired on.</summary>
    public static ConcurrentDictionary<long, string> Fired { get; } = new();

    /// <inheritdoc />
    public async Task<string> ArmAsync(TimeSpan due)
    {
        await this.RegisterOrUpdateReminder("probe", due, TimeSpan.FromMinutes(1));
        return RuntimeIdentity;
    }

    /// <inheritdoc />
    public Task<string> WhereAsync() => Task.FromResult(RuntimeIdentity);

    /// <inheritdoc />
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Fired[this.GetPrimaryKeyLong()] = RuntimeIdentity;
        var reminder = await this.GetReminder("probe");
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
    }
}
