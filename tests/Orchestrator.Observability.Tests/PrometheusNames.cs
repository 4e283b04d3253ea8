using System.Diagnostics.Metrics;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Orchestrator.Observability.Tests;

/// <summary>
/// The Prometheus series of every instrument of the Orchestrator meters, derived as the OpenTelemetry
/// Prometheus exporter names them: dots become underscores, the unit is appended (s → seconds;
/// annotations in braces are dropped), counters end in _total, histograms expose _bucket/_sum/_count.
/// </summary>
public static class PrometheusNames
{
    /// <summary>Every instrument of the "Orchestrator.*" meters (their classes' static constructors run first).</summary>
    public static IReadOnlyList<Instrument> Instruments()
    {
        foreach (var type in OrchestratorAssemblies().SelectMany(SafeTypes).Where(t => t.IsClass && t.IsAbstract && t.IsSealed))
        {
            if (type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).Any(f => f.FieldType == typeof(Meter)))
            {
                RuntimeHelpers.RunClassConstructor(type.TypeHandle);
            }
        }

        var found = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name.StartsWith("Orchestrator.", StringComparison.Ordinal))
                {
                    lock (found) found.Add(instrument);
                }
            },
        };
        listener.Start();
        return found;
    }

    /// <summary>Every series name (a histogram's three).</summary>
    public static IEnumerable<string> Series()
    {
        foreach (var instrument in Instruments())
        {
            var name = Base(instrument);
            var type = instrument.GetType().GetGenericTypeDefinition();
            if (type == typeof(Histogram<>))
            {
                yield return name + "_bucket";
                yield return name + "_sum";
                yield return name + "_count";
            }
            else if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
            {
                yield return name + "_total";
            }
            else
            {
                yield return name;
            }
        }
    }

    private static string Base(Instrument instrument) => Base(instrument.Name, instrument.Unit);

    /// <summary>The series name the Prometheus exporter gives an instrument's name and unit (before _total, _bucket, ...).</summary>
    public static string Base(string instrumentName, string? instrumentUnit)
    {
        var name = instrumentName.Replace('.', '_').Replace('-', '_');
        var unit = instrumentUnit switch
        {
            null or "" => string.Empty,
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            var u when u.StartsWith('{') => string.Empty,
            var u => u,
        };
        return unit.Length == 0 || name.EndsWith("_" + unit, StringComparison.Ordinal) ? name : name + "_" + unit;
    }

    private static IEnumerable<Assembly> OrchestratorAssemblies()
        => Directory.GetFiles(AppContext.BaseDirectory, "Orchestrator.*.dll")
            .Where(f => !Path.GetFileName(f).Contains(".Tests", StringComparison.Ordinal))
            .Select(Assembly.LoadFrom);

    private static IEnumerable<Type> SafeTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }
}
