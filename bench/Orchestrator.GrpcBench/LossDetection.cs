using System.Diagnostics;
using Orchestrator.Simulation;

namespace Orchestrator.GrpcBench;

/// <summary>
/// How long the cluster takes to notice a lost worker: some held sessions stop heartbeating (their
/// streams stay open, as a hung worker's would) and each one's detection time runs from its last beat
/// sent to the moment its stream is ended by the server.
/// </summary>
internal static class LossDetection
{
    public static async Task<Detection> MeasureAsync(IReadOnlyList<ApiSimulatedWorker> sessions, HeartbeatLoop beats, int count, TimeSpan giveUp)
    {
        var silenced = new List<(ApiSimulatedWorker Worker, long LastBeat)>();
        for (var i = 0; i < sessions.Count && silenced.Count < count; i++)
        {
            if (sessions[i].Open)
            {
                silenced.Add((sessions[i], beats.Silence(i)));
            }
        }

        var detected = new double?[silenced.Count];
        var byGrain = 0;
        var clock = Stopwatch.StartNew();
        while (detected.Any(d => d is null) && clock.Elapsed < giveUp)
        {
            await Task.Delay(50);
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < silenced.Count; i++)
            {
                if (detected[i] is null && silenced[i].Worker.Ended is { } ended)
                {
                    detected[i] = Stopwatch.GetElapsedTime(silenced[i].LastBeat, now).TotalSeconds;
                    byGrain += ended.Status.Detail.Contains("declared this worker lost", StringComparison.Ordinal) ? 1 : 0;
                }
            }
        }

        var seconds = detected.Where(d => d is not null).Select(d => d!.Value).Order().ToList();
        return new Detection(silenced.Count, seconds.Count, byGrain,
            seconds.Count == 0 ? double.NaN : seconds[seconds.Count / 2],
            seconds.Count == 0 ? double.NaN : seconds[^1]);
    }
}

/// <summary>Silenced sessions, how many were ended (how many by the worker grain's loss), and the median and worst time from last beat to end.</summary>
internal sealed record Detection(int Silenced, int Ended, int ByGrain, double MedianSeconds, double MaxSeconds);
