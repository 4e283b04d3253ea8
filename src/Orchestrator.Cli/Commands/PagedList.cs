using Google.Protobuf;
using Google.Protobuf.Collections;

namespace Orchestrator.Cli.Commands;

/// <summary>
/// Reads a paged registry list to its end and answers one reply holding every item, so `app list` and
/// `dataset list` print one JSON object whatever the page size the server allows.
/// </summary>
internal static class PagedList
{
    /// <summary>The page size asked for; the server may answer with fewer.</summary>
    public const int PageSize = 1000;

    public static async Task<TReply> AllAsync<TReply, TItem>(
        Func<string, Task<TReply>> fetchPage,
        Func<TReply, RepeatedField<TItem>> itemsOf,
        Func<TReply, string> nextTokenOf,
        Action<TReply, TReply> copyTotal)
        where TReply : IMessage<TReply>, new()
    {
        var all = new TReply();
        var next = string.Empty;
        do
        {
            var page = await fetchPage(next);
            itemsOf(all).AddRange(itemsOf(page));
            copyTotal(page, all);
            next = nextTokenOf(page);
        }
        while (next.Length > 0);
        return all;
    }
}
