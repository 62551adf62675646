using System.Runtime.CompilerServices;
using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>SCAN: every key matching <paramref name="pattern"/> (glob; null for all), fetched <paramref name="pageSize"/> at a time. Keys changed during the scan may be seen twice or not at all, as SCAN guarantees.</summary>
    public IAsyncEnumerable<KvKey> ScanAsync(string? pattern = null, int pageSize = 100, string? type = null, CancellationToken cancellationToken = default)
        => ScanKeys(pattern, pageSize, type, cancellationToken);

    /// <summary>HSCAN: every field and value of the hash, page by page.</summary>
    public async IAsyncEnumerable<KvHashEntry> HScanAsync(KvKey key, string? pattern = null, int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in Pages(CommandNames.HScan, key, pattern, pageSize, null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in Replies.HashEntries(page))
            {
                yield return entry;
            }
        }
    }

    /// <summary>SSCAN: every member of the set, page by page.</summary>
    public async IAsyncEnumerable<KvValue> SScanAsync(KvKey key, string? pattern = null, int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in Pages(CommandNames.SScan, key, pattern, pageSize, null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var member in Replies.ToValues(page))
            {
                yield return member;
            }
        }
    }

    /// <summary>ZSCAN: every member of the sorted set with its score, page by page.</summary>
    public async IAsyncEnumerable<KvSortedSetEntry> ZScanAsync(KvKey key, string? pattern = null, int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var page in Pages(CommandNames.ZScan, key, pattern, pageSize, null, cancellationToken).ConfigureAwait(false))
        {
            foreach (var entry in Replies.ToSortedSetEntries(page))
            {
                yield return entry;
            }
        }
    }

    private async IAsyncEnumerable<KvKey> ScanKeys(string? pattern, int pageSize, string? type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var page in Pages(CommandNames.Scan, null, pattern, pageSize, type, cancellationToken).ConfigureAwait(false))
        {
            foreach (var key in Replies.ToValues(page))
            {
                yield return key.ToArray();
            }
        }
    }

    /// <summary>Runs the cursor until it returns to 0, yielding each page's items reply.</summary>
    private async IAsyncEnumerable<KvResult> Pages(KvValue command, KvKey? key, string? pattern, int pageSize, string? type, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        KvValue cursor = 0;
        do
        {
            var op = Operation<KvResult>.Rent(command, Replies.Result);
            if (key is { } k)
            {
                op.Add(k);
            }

            op.Add(cursor);
            if (pattern is not null)
            {
                op.Add(CommandNames.Match);
                op.Add(pattern);
            }

            op.Add(CommandNames.Count);
            op.Add(pageSize);
            if (type is not null)
            {
                op.Add(CommandNames.TypeOption);
                op.Add(type);
            }

            var reply = await Send(op, cancellationToken).ConfigureAwait(false);
            cursor = reply[0].AsValue();
            yield return reply[1];
        }
        while (!IsZero(cursor));
    }

    private static bool IsZero(KvValue cursor) => cursor.TryGetInt64(out long n) && n == 0;
}
