namespace Orchestrator.Testing;

// The facts of tests that need a real service. Each is skipped, with the reason shown, only when the
// service is not installed here and cannot be installed; scripts/test.sh installs every one of them,
// and under CI=true it fails the run when anything was skipped, so CI never passes by skipping.

/// <summary>A fact on the local PostgreSQL (started, and installed on Debian, at discovery when needed).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>Checks, and if needed starts, the server.</summary>
    public PostgresFactAttribute() => Skip = PostgresServer.UnavailableReason;
}

/// <summary>A fact on a real Anvil node.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AnvilFactAttribute : FactAttribute
{
    /// <summary>Checks that the binary is installed.</summary>
    public AnvilFactAttribute() => Skip = AnvilNode.UnavailableReason;
}

/// <summary>A fact on the local RabbitMQ broker.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RabbitFactAttribute : FactAttribute
{
    /// <summary>Checks that the broker is installed.</summary>
    public RabbitFactAttribute() => Skip = RabbitBroker.UnavailableReason;
}

/// <summary>A fact on the whole chain path: RabbitMQ, Anvil and PostgreSQL.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChainFactAttribute : FactAttribute
{
    /// <summary>Checks every service the chain path needs.</summary>
    public ChainFactAttribute() => Skip = ChainServices.UnavailableReason;
}
