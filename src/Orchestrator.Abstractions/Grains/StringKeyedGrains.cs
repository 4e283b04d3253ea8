namespace Orchestrator.Abstractions.Grains;

/// <summary>
/// References to string-keyed grains without Orleans resolving the interface on each call: its
/// <c>GetGrain&lt;T&gt;(string)</c> reads the interface's attributes by reflection and formats its type name
/// every time (Orleans 10 does not cache that), which was 8–9 % of a silo's CPU on the task path. The grain
/// type and interface type of <typeparamref name="T"/> are names fixed by the types themselves (the same on
/// every silo and client of these assemblies), so they are resolved once, from the first reference made.
/// </summary>
internal static class StringKeyedGrains<T> where T : IGrainWithStringKey
{
    private static Resolved? s_resolved;

    public static T Get(IGrainFactory factory, string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (s_resolved is { } resolved)
        {
            return (T)factory.GetGrain(GrainId.Create(resolved.Type, IdSpan.Create(key)), resolved.Interface);
        }

        var reference = factory.GetGrain<T>(key);
        if (reference is GrainReference made)
        {
            s_resolved = new Resolved(made.GrainId.Type, made.InterfaceType);
        }

        return reference;
    }

    private sealed record Resolved(GrainType Type, GrainInterfaceType Interface);
}
