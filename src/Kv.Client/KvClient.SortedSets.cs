using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>ZADD: adds or updates one member; true when it was new.</summary>
    public ValueTask<bool> ZAddAsync(KvKey key, KvValue member, double score, KvWhen when = KvWhen.Always, CancellationToken cancellationToken = default)
    {
        var op = Operation<bool>.Rent(CommandNames.ZAdd, Replies.Boolean);
        op.Add(key);
        AddWhen(op, when);
        op.Add(score);
        op.Add(member);
        return Send(op, cancellationToken);
    }

    /// <summary>ZADD: adds or updates members; returns how many were new.</summary>
    public ValueTask<long> ZAddAsync(KvKey key, params ReadOnlySpan<KvSortedSetEntry> entries)
    {
        var op = Operation<long>.Rent(CommandNames.ZAdd, Replies.Int64);
        op.Add(key);
        foreach (var entry in entries)
        {
            op.Add(entry.Score);
            op.Add(entry.Member);
        }

        return Send(op, CancellationToken.None);
    }

    /// <summary>ZINCRBY: adds to a member's score; returns the new score.</summary>
    public ValueTask<double> ZIncrByAsync(KvKey key, KvValue member, double by, CancellationToken cancellationToken = default)
        => Send(CommandNames.ZIncrBy, key, by, member, Replies.Double, cancellationToken);

    /// <summary>ZREM: removes members; returns how many existed.</summary>
    public ValueTask<long> ZRemAsync(KvKey key, params ReadOnlySpan<KvValue> members) => Send(CommandNames.ZRem, key, members, Replies.Int64, CancellationToken.None);

    /// <summary>ZCARD: the number of members.</summary>
    public ValueTask<long> ZCardAsync(KvKey key, CancellationToken cancellationToken = default) => Send(CommandNames.ZCard, key, Replies.Int64, cancellationToken);

    /// <summary>ZSCORE: the member's score, or null.</summary>
    public ValueTask<double?> ZScoreAsync(KvKey key, KvValue member, CancellationToken cancellationToken = default) => Send(CommandNames.ZScore, key, member, Replies.NullableDouble, cancellationToken);

    /// <summary>ZMSCORE: each member's score, or null.</summary>
    public ValueTask<double?[]> ZMScoreAsync(KvKey key, params ReadOnlySpan<KvValue> members) => Send(CommandNames.ZMScore, key, members, Replies.NullableDoubles, CancellationToken.None);

    /// <summary>ZRANK (ZREVRANK with <paramref name="reverse"/>): the member's 0-based rank, or null.</summary>
    public ValueTask<long?> ZRankAsync(KvKey key, KvValue member, bool reverse = false, CancellationToken cancellationToken = default)
        => Send(reverse ? CommandNames.ZRevRank : CommandNames.ZRank, key, member, Replies.NullableInt64, cancellationToken);

    /// <summary>ZCOUNT: how many members score between <paramref name="min"/> and <paramref name="max"/> (<c>(1</c> exclusive, <c>-inf</c>, <c>+inf</c>).</summary>
    public ValueTask<long> ZCountAsync(KvKey key, KvValue min, KvValue max, CancellationToken cancellationToken = default)
        => Send(CommandNames.ZCount, key, min, max, Replies.Int64, cancellationToken);

    /// <summary>ZRANGE in all its forms: by rank, BYSCORE or BYLEX, REV, LIMIT (see <see cref="KvRangeOptions"/>).</summary>
    /// <param name="key">The sorted set.</param>
    /// <param name="start">Rank, score (<c>(1.5</c>, <c>-inf</c>) or lex bound (<c>[a</c>, <c>-</c>); for REV the higher end comes first.</param>
    /// <param name="stop">The other end.</param>
    /// <param name="options">BYSCORE/BYLEX, REV and LIMIT.</param>
    /// <param name="cancellationToken">Stops waiting for the reply.</param>
    public ValueTask<KvValue[]> ZRangeAsync(KvKey key, KvValue start, KvValue stop, KvRangeOptions options = default, CancellationToken cancellationToken = default)
        => Send(ZRange(Operation<KvValue[]>.Rent(CommandNames.ZRange, Replies.Values), key, start, stop, options, withScores: false), cancellationToken);

    /// <summary>ZRANGE … WITHSCORES in all its forms (see <see cref="ZRangeAsync"/>).</summary>
    public ValueTask<KvSortedSetEntry[]> ZRangeWithScoresAsync(KvKey key, KvValue start, KvValue stop, KvRangeOptions options = default, CancellationToken cancellationToken = default)
        => Send(ZRange(Operation<KvSortedSetEntry[]>.Rent(CommandNames.ZRange, Replies.SortedSetEntries), key, start, stop, options, withScores: true), cancellationToken);

    /// <summary>ZRANGESTORE: stores the range in <paramref name="destination"/>; returns its size.</summary>
    public ValueTask<long> ZRangeStoreAsync(KvKey destination, KvKey key, KvValue start, KvValue stop, KvRangeOptions options = default, CancellationToken cancellationToken = default)
    {
        var op = Operation<long>.Rent(CommandNames.ZRangeStore, Replies.Int64);
        op.Add(destination);
        return Send(ZRange(op, key, start, stop, options, withScores: false), cancellationToken);
    }

    /// <summary>ZPOPMIN (ZPOPMAX with <paramref name="max"/>): removes and returns up to <paramref name="count"/> members.</summary>
    public ValueTask<KvSortedSetEntry[]> ZPopAsync(KvKey key, long count = 1, bool max = false, CancellationToken cancellationToken = default)
        => Send(max ? CommandNames.ZPopMax : CommandNames.ZPopMin, key, count, Replies.SortedSetEntries, cancellationToken);

    /// <summary>ZREMRANGEBYSCORE: removes members scoring between <paramref name="min"/> and <paramref name="max"/>; returns how many.</summary>
    public ValueTask<long> ZRemRangeByScoreAsync(KvKey key, KvValue min, KvValue max, CancellationToken cancellationToken = default)
        => Send(CommandNames.ZRemRangeByScore, key, min, max, Replies.Int64, cancellationToken);

    private static Operation<T> ZRange<T>(Operation<T> op, KvKey key, KvValue start, KvValue stop, KvRangeOptions options, bool withScores)
    {
        op.Add(key);
        op.Add(start);
        op.Add(stop);
        if (options.By == KvRangeBy.Score)
        {
            op.Add(CommandNames.ByScore);
        }
        else if (options.By == KvRangeBy.Lex)
        {
            op.Add(CommandNames.ByLex);
        }

        if (options.Reverse)
        {
            op.Add(CommandNames.Rev);
        }

        if (options.Count is { } count)
        {
            op.Add(CommandNames.Limit);
            op.Add(options.Offset);
            op.Add(count);
        }

        if (withScores)
        {
            op.Add(CommandNames.WithScores);
        }

        return op;
    }
}
