namespace Orchestrator.Bridge.Tests.Infrastructure;

/// <summary>A fact on RabbitMQ + Anvil + PostgreSQL, skipped with the reason only when a binary is absent.</summary>
public sealed class ChainFactAttribute : FactAttribute
{
    public ChainFactAttribute()
    {
        if (Services.ChainSkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
