namespace Orchestrator.Enclave.Quoting;

/// <summary>Picks the quote provider named by configuration and checks at once that its interface is there.</summary>
public static class QuoteProviders
{
    /// <summary>
    /// The configured provider, or null for <see cref="QuoteProviderKind.None"/>. Throws
    /// <see cref="QuoteProviderException"/> with a one-line reason when the interface is missing.
    /// </summary>
    public static IQuoteProvider? Create(QuoteProviderOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        return options.Kind switch
        {
            QuoteProviderKind.None => null,
            QuoteProviderKind.ConfigfsTsm => ConfigfsTsmQuoteProvider.Open(options with { Root = options.Root ?? QuoteProviderOptions.DefaultConfigfsTsmRoot }, time),
            QuoteProviderKind.Gramine => GramineQuoteProvider.Open(options with { Root = options.Root ?? QuoteProviderOptions.DefaultGramineRoot }, time),
            _ => throw new QuoteProviderException($"quote provider kind {options.Kind} is not one of None, ConfigfsTsm, Gramine"),
        };
    }
}
