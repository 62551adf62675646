using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>LPUSH: prepends values; returns the new length.</summary>
    public ValueTask<long> LPushAsync(KvKey key, params ReadOnlySpan<KvValue> values) => Send(CommandNames.LPush, key, values, Replies.Int64, CancellationToken.None);

    /// <summary>RPUSH: appends values; returns the new length.</summary>
    public ValueTask<long> RPushAsync(KvKey key, params ReadOnlySpan<KvValue> values) => Send(CommandNames.RPush, key, values, Replies.Int64, CancellationToken.None);

    /// <summary>LPOP: removes and returns the first value, or <see cref="KvValue.Null"/> when the list is empty.</summary>
    public ValueTask<KvValue> LPopAsync(KvKey key, CancellationToken cancellationToken = default) => Send(CommandNames.LPop, key, Replies.Value, cancellationToken);

    /// <summary>LPOP with a count: up to <paramref name="count"/> values from the head.</summary>
    public ValueTask<KvValue[]> LPopAsync(KvKey key, long count, CancellationToken cancellationToken = default) => Send(CommandNames.LPop, key, count, Replies.Values, cancellationToken);

    /// <summary>RPOP: removes and returns the last value, or <see cref="KvValue.Null"/>.</summary>
    public ValueTask<KvValue> RPopAsync(KvKey key, CancellationToken cancellationToken = default) => Send(CommandNames.RPop, key, Replies.Value, cancellationToken);

    /// <summary>RPOP with a count: up to <paramref name="count"/> values from the tail.</summary>
    public ValueTask<KvValue[]> RPopAsync(KvKey key, long count, CancellationToken cancellationToken = default) => Send(CommandNames.RPop, key, count, Replies.Values, cancellationToken);

    /// <summary>LLEN: the list's length.</summary>
    public ValueTask<long> LLenAsync(KvKey key, CancellationToken cancellationToken = default) => Send(CommandNames.LLen, key, Replies.Int64, cancellationToken);

    /// <summary>LRANGE: the values from <paramref name="start"/> to <paramref name="stop"/> inclusive (negative counts from the end).</summary>
    public ValueTask<KvValue[]> LRangeAsync(KvKey key, long start = 0, long stop = -1, CancellationToken cancellationToken = default)
        => Send(CommandNames.LRange, key, start, stop, Replies.Values, cancellationToken);

    /// <summary>LINDEX: the value at <paramref name="index"/>, or <see cref="KvValue.Null"/>.</summary>
    public ValueTask<KvValue> LIndexAsync(KvKey key, long index, CancellationToken cancellationToken = default) => Send(CommandNames.LIndex, key, index, Replies.Value, cancellationToken);

    /// <summary>LSET: replaces the value at <paramref name="index"/>.</summary>
    public ValueTask<bool> LSetAsync(KvKey key, long index, KvValue value, CancellationToken cancellationToken = default)
        => Send(CommandNames.LSet, key, index, value, Replies.Boolean, cancellationToken);

    /// <summary>LREM: removes <paramref name="count"/> occurrences (0: all; negative: from the tail); returns how many.</summary>
    public ValueTask<long> LRemAsync(KvKey key, long count, KvValue value, CancellationToken cancellationToken = default)
        => Send(CommandNames.LRem, key, count, value, Replies.Int64, cancellationToken);

    /// <summary>LTRIM: keeps only the values from <paramref name="start"/> to <paramref name="stop"/>.</summary>
    public ValueTask<bool> LTrimAsync(KvKey key, long start, long stop, CancellationToken cancellationToken = default)
        => Send(CommandNames.LTrim, key, start, stop, Replies.Boolean, cancellationToken);

    /// <summary>LMOVE: moves one value between lists; <paramref name="fromLeft"/>/<paramref name="toLeft"/> pick the ends. Null when the source is empty.</summary>
    public ValueTask<KvValue> LMoveAsync(KvKey source, KvKey destination, bool fromLeft, bool toLeft, CancellationToken cancellationToken = default)
    {
        var op = Operation<KvValue>.Rent(CommandNames.LMove, Replies.Value);
        op.Add(source);
        op.Add(destination);
        op.Add(fromLeft ? CommandNames.Left : CommandNames.Right);
        op.Add(toLeft ? CommandNames.Left : CommandNames.Right);
        return Send(op, cancellationToken);
    }

    /// <summary>BLPOP on a connection of its own: waits up to <paramref name="timeout"/> (zero: forever) for a value at the head of one of <paramref name="keys"/>; null on timeout.</summary>
    public ValueTask<KvPopResult?> BLPopAsync(ReadOnlySpan<KvKey> keys, TimeSpan timeout, CancellationToken cancellationToken = default)
        => BlockingPop(CommandNames.BLPop, keys, timeout, Replies.Pop, cancellationToken);

    /// <summary>BRPOP on a connection of its own: as <see cref="BLPopAsync"/>, from the tail.</summary>
    public ValueTask<KvPopResult?> BRPopAsync(ReadOnlySpan<KvKey> keys, TimeSpan timeout, CancellationToken cancellationToken = default)
        => BlockingPop(CommandNames.BRPop, keys, timeout, Replies.Pop, cancellationToken);

    /// <summary>BLMOVE on a connection of its own: as <see cref="LMoveAsync"/>, waiting up to <paramref name="timeout"/> (zero: forever); null on timeout.</summary>
    public ValueTask<KvValue> BLMoveAsync(KvKey source, KvKey destination, bool fromLeft, bool toLeft, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var op = Operation<KvValue>.Rent(CommandNames.BLMove, Replies.Value);
        op.Add(source);
        op.Add(destination);
        op.Add(fromLeft ? CommandNames.Left : CommandNames.Right);
        op.Add(toLeft ? CommandNames.Left : CommandNames.Right);
        op.Add(timeout.TotalSeconds);
        return BlockingAsync(op, timeout, cancellationToken);
    }

    /// <summary>BZPOPMIN (or BZPOPMAX with <paramref name="max"/>) on a connection of its own; null on timeout.</summary>
    public ValueTask<KvSortedSetPopResult?> BZPopAsync(ReadOnlySpan<KvKey> keys, TimeSpan timeout, bool max = false, CancellationToken cancellationToken = default)
        => BlockingPop(max ? CommandNames.BZPopMax : CommandNames.BZPopMin, keys, timeout, Replies.SortedSetPop, cancellationToken);

    private ValueTask<T> BlockingPop<T>(KvValue command, ReadOnlySpan<KvKey> keys, TimeSpan timeout, ReplyConverter<T> converter, CancellationToken cancellationToken)
    {
        var op = Operation<T>.Rent(command, converter);
        op.AddRange(keys);
        op.Add(timeout.TotalSeconds);
        return BlockingAsync(op, timeout, cancellationToken);
    }

    private async ValueTask<T> BlockingAsync<T>(Operation<T> op, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "A blocking timeout cannot be negative; use TimeSpan.Zero to wait forever.");
        }

        var connection = await _dedicated.RentAsync(cancellationToken).ConfigureAwait(false);
        bool reusable = false;
        try
        {
            // The server answers at its timeout; the client waits that long plus the usual command timeout.
            op.Deadline = timeout == TimeSpan.Zero || _options.CommandTimeout == Timeout.InfiniteTimeSpan
                ? long.MaxValue
                : Environment.TickCount64 + (long)(timeout + _options.CommandTimeout).TotalMilliseconds;
            connection.Submit(op, cancellationToken);
            var result = await op.Task.ConfigureAwait(false);
            reusable = true;
            return result;
        }
        catch (KvServerException)
        {
            reusable = true;
            throw;
        }
        finally
        {
            await _dedicated.ReturnAsync(connection, reusable).ConfigureAwait(false);
        }
    }
}
