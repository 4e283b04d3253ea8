using System.Collections.Concurrent;
using Orchestrator.Abstractions.Grains;
using Orchestrator.Abstractions.Messages;

namespace Orchestrator.Api.Tests.Infrastructure;

/// <summary>
/// A grain call filter in the probed silo that makes the worker grain's timing races happen on cue:
/// it pushes a command through a session's observer the moment that session attaches (as the grain
/// does when a reveal or cancel lands at that instant), and reports when a worker grain has handled
/// a reveal request, so a test knows the command is waiting in the grain.
/// </summary>
public sealed class WorkerGrainProbe : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<GrainId, TaskCompletionSource> _reveals = new();
    private WorkerCommand? _pushOnAttach;

    /// <summary>The next session to attach gets <paramref name="command"/> pushed before its attach call returns.</summary>
    public void PushOnNextAttach(WorkerCommand command) => Volatile.Write(ref _pushOnAttach, command);

    /// <summary>Completes once <paramref name="worker"/>'s grain handled a reveal request.</summary>
    public Task RevealRequestedAsync(IWorkerGrain worker) => Reveal(worker.GetGrainId()).Task;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        if (context.Grain is not IWorkerGrain)
        {
            return;
        }

        switch (context.InterfaceMethod?.Name)
        {
            case nameof(IWorkerGrain.AttachAsync) when context.Result is true && Interlocked.Exchange(ref _pushOnAttach, null) is { } command:
                await ((IWorkerSessionObserver)context.Request.GetArgument(1)!).CommandAsync(command);
                break;
            case nameof(IWorkerGrain.RevealRequestedAsync):
                Reveal(context.TargetId).TrySetResult();
                break;
        }
    }

    private TaskCompletionSource Reveal(GrainId grain) => _reveals.GetOrAdd(grain, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
