using Orchestrator.Domain.Crypto;

namespace Orchestrator.Domain.Registry;

/// <summary>
/// Pages over a sorted list of addresses (the registry's indexes): a page starts after the address its
/// token names, so pages stay consistent while addresses are added (a new one appears in its place and
/// nothing is shown twice).
/// </summary>
public static class AddressPaging
{
    /// <summary>The page size when the caller names none.</summary>
    public const int DefaultSize = 100;

    /// <summary>The largest page.</summary>
    public const int MaxSize = 1000;

    /// <summary>
    /// The addresses after <paramref name="after"/> (from the first when null), at most <paramref name="size"/>,
    /// and the token of the next page (the page's last address), or null when this page is the last.
    /// </summary>
    public static (IReadOnlyList<Address> Page, Address? Next) Of(IReadOnlyList<Address> sorted, Address? after, int size)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var start = 0;
        if (after is { } token)
        {
            while (start < sorted.Count && sorted[start].CompareTo(token) <= 0)
            {
                start++;
            }
        }

        var page = sorted.Skip(start).Take(size).ToList();
        return (page, start + page.Count < sorted.Count ? page[^1] : null);
    }
}
