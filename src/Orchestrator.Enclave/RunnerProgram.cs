using Orchestrator.Enclave.Quoting;
using Orchestrator.Enclave.Runner;

namespace Orchestrator.Enclave;

/// <summary>
/// <c>orchestrator-enclave --quote-provider Gramine|ConfigfsTsm [--quote-root DIR] [--private-dir DIR]</c>:
/// the trusted runner, started by the worker agent inside the TEE (the entry of the Gramine manifest, or a
/// process in the TD). It speaks <see cref="RunnerProtocol"/> on stdin/stdout; stderr is for one-line errors.
/// Exit 0 when stdin ends, 2 on a bad option or a missing quote interface.
/// </summary>
public static class RunnerProgram
{
    /// <summary>Runs the runner.</summary>
    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(error);
        if (!TryParse(args, out var quoteOptions, out var privateRoot, out var problem))
        {
            await error.WriteLineAsync("orchestrator-enclave: " + problem).ConfigureAwait(false);
            return 2;
        }

        IQuoteProvider? provider;
        try
        {
            provider = QuoteProviders.Create(quoteOptions, TimeProvider.System);
        }
        catch (QuoteProviderException ex)
        {
            await error.WriteLineAsync("orchestrator-enclave: " + ex.Message).ConfigureAwait(false);
            return 2;
        }

        if (provider is null)
        {
            await error.WriteLineAsync("orchestrator-enclave: --quote-provider is required (Gramine or ConfigfsTsm): a runner without quotes cannot be attested").ConfigureAwait(false);
            return 2;
        }

        using var runner = new EnclaveRunner(provider, privateRoot, TimeProvider.System);
        await runner.ServeAsync(input, output, CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    private static bool TryParse(string[] args, out QuoteProviderOptions options, out string privateRoot, out string problem)
    {
        options = new QuoteProviderOptions();
        privateRoot = Path.Combine(Path.GetTempPath(), "orchestrator-enclave-" + Environment.ProcessId);
        problem = string.Empty;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--quote-provider" when value is not null:
                    if (!Enum.TryParse<QuoteProviderKind>(value, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || kind == QuoteProviderKind.None)
                    {
                        problem = $"--quote-provider is '{value}', not Gramine or ConfigfsTsm";
                        return false;
                    }

                    options = options with { Kind = kind };
                    break;
                case "--quote-root" when value is not null:
                    options = options with { Root = value };
                    break;
                case "--private-dir" when value is not null:
                    privateRoot = value;
                    break;
                default:
                    problem = $"unknown option or missing value: '{args[i]}' (options: --quote-provider, --quote-root, --private-dir)";
                    return false;
            }

            i++;
        }

        return true;
    }
}
