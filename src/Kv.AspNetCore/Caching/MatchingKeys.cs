using System.Runtime.CompilerServices;
using System.Text;
using Kv.Client;

namespace Kv.AspNetCore.Caching;

/// <summary>
/// Removes the keys that match a glob pattern: SCAN … MATCH walks the database in short steps that
/// never block the server for long, and each page's keys go in one UNLINK (freed off the server's
/// main thread), sent with the request for the next page: one round trip a page.
/// </summary>
internal static class MatchingKeys
{
    private const int PageSize = 1000;

    /// <summary>
    /// Unlinks every key that matches <paramref name="pattern"/> (and <paramref name="select"/>, when
    /// given), counting them in <paramref name="removed"/> as the pages are confirmed, so a caller
    /// interrupted half way still knows how many went.
    /// </summary>
    /// <param name="client">The client the commands go through.</param>
    /// <param name="pattern">The SCAN MATCH pattern (escape literal text with <see cref="EscapeGlob"/>).</param>
    /// <param name="select">Picks, among the keys that match, those to remove (null: all).</param>
    /// <param name="removed">Counts the keys removed.</param>
    /// <param name="token">Stops between pages (the pages already sent are removed).</param>
    public static async Task UnlinkAsync(KvClient client, string pattern, Func<ReadOnlyMemory<byte>, bool>? select, StrongBox<long> removed, CancellationToken token)
    {
        var page = await client.ExecuteAsync("SCAN", ["0", "MATCH", pattern, "COUNT", PageSize], token).ConfigureAwait(false);
        while (true)
        {
            KvValue cursor = page[0].AsValue();
            bool last = cursor.TryGetInt64(out long position) && position == 0;
            var keys = page[1].Items;
            if (keys.Length == 0 && last)
            {
                return;
            }

            var names = new List<KvValue>(keys.Length);
            foreach (var key in keys)
            {
                KvValue name = key.AsValue();
                if (select is null || select(name.Memory))
                {
                    names.Add(name);
                }
            }

            var batch = client.CreateBatch();
            ValueTask<KvResult>? unlink = names.Count > 0 ? batch.Add("UNLINK", [.. names]) : null;
            ValueTask<KvResult>? next = last ? null : batch.Add("SCAN", cursor, "MATCH", pattern, "COUNT", PageSize);
            if (unlink is null && next is null)
            {
                return;
            }

            batch.Execute(token);
            try
            {
                if (unlink is { } removal)
                {
                    removed.Value += (await removal.ConfigureAwait(false)).AsInt64();
                }
            }
            finally
            {
                if (next is { } scan)
                {
                    page = await scan.ConfigureAwait(false);
                }
            }

            if (last)
            {
                return;
            }
        }
    }

    /// <summary>Escapes Redis's glob characters (<c>* ? [ ] \</c>) so MATCH takes the text literally.</summary>
    public static string EscapeGlob(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
