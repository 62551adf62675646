using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>GET: the value of <paramref name="key"/>, or <see cref="KvValue.Null"/> when it does not exist.</summary>
    public ValueTask<KvValue> GetAsync(KvKey key, CancellationToken cancellationToken = default)
    {
        var op = Operation<KvValue>.Rent(CommandNames.Get, Replies.Value);
        op.Add(key);
        return Send(op, cancellationToken);
    }

    /// <summary>
    /// GET into a pooled buffer: the value's bytes are copied once, from the socket buffer into an
    /// array rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>, for large values read often.
    /// Dispose the lease to return the buffer.
    /// </summary>
    /// <returns>The value, or null when the key does not exist.</returns>
    /// <example><code>
    /// using var lease = await client.GetLeaseAsync("report");
    /// if (lease is not null) await output.WriteAsync(lease.Memory);
    /// </code></example>
    public ValueTask<KvLease?> GetLeaseAsync(KvKey key, CancellationToken cancellationToken = default)
    {
        var op = Operation<KvLease?>.Rent(CommandNames.Get, Replies.Lease);
        op.LeasesReply = true;
        op.Add(key);
        return Send(op, cancellationToken);
    }

    /// <summary>SET: stores <paramref name="value"/>, optionally with an expiry and a condition.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="expiry">PX: the time to live (millisecond precision); null keeps no expiry.</param>
    /// <param name="when">NX or XX.</param>
    /// <param name="cancellationToken">Stops waiting for the reply.</param>
    /// <returns>False when NX/XX prevented the write.</returns>
    public ValueTask<bool> SetAsync(KvKey key, KvValue value, TimeSpan? expiry = null, KvWhen when = KvWhen.Always, CancellationToken cancellationToken = default)
    {
        var op = Operation<bool>.Rent(CommandNames.Set, Replies.Boolean);
        op.Add(key);
        op.Add(value);
        if (expiry is { } ttl)
        {
            op.Add(CommandNames.Px);
            op.Add(Milliseconds(ttl));
        }

        AddWhen(op, when);
        return Send(op, cancellationToken);
    }

    /// <summary>GETDEL: the value, deleting the key.</summary>
    public ValueTask<KvValue> GetDelAsync(KvKey key, CancellationToken cancellationToken = default)
    {
        var op = Operation<KvValue>.Rent(CommandNames.GetDel, Replies.Value);
        op.Add(key);
        return Send(op, cancellationToken);
    }

    /// <summary>GETEX: the value, setting a new time to live (null: PERSIST, removing it).</summary>
    public ValueTask<KvValue> GetExAsync(KvKey key, TimeSpan? expiry, CancellationToken cancellationToken = default)
    {
        var op = Operation<KvValue>.Rent(CommandNames.GetEx, Replies.Value);
        op.Add(key);
        if (expiry is { } ttl)
        {
            op.Add(CommandNames.Px);
            op.Add(Milliseconds(ttl));
        }
        else
        {
            op.Add(CommandNames.Persist);
        }

        return Send(op, cancellationToken);
    }

    /// <summary>MGET: the values of <paramref name="keys"/>, <see cref="KvValue.Null"/> for the missing ones.</summary>
    public ValueTask<KvValue[]> MGetAsync(params ReadOnlySpan<KvKey> keys)
    {
        var op = Operation<KvValue[]>.Rent(CommandNames.MGet, Replies.Values);
        op.AddRange(keys);
        return Send(op, CancellationToken.None);
    }

    /// <summary>MSET: stores every pair at once.</summary>
    public ValueTask<bool> MSetAsync(params ReadOnlySpan<KeyValuePair<KvKey, KvValue>> pairs)
    {
        var op = Operation<bool>.Rent(CommandNames.MSet, Replies.Boolean);
        foreach (var (key, value) in pairs)
        {
            op.Add(key);
            op.Add(value);
        }

        return Send(op, CancellationToken.None);
    }

    /// <summary>INCRBY (INCR for 1): adds <paramref name="by"/> and returns the new value.</summary>
    public ValueTask<long> IncrByAsync(KvKey key, long by = 1, CancellationToken cancellationToken = default)
    {
        var op = Operation<long>.Rent(by == 1 ? CommandNames.Incr : CommandNames.IncrBy, Replies.Int64);
        op.Add(key);
        if (by != 1)
        {
            op.Add(by);
        }

        return Send(op, cancellationToken);
    }

    /// <summary>DECRBY (DECR for 1): subtracts <paramref name="by"/> and returns the new value.</summary>
    public ValueTask<long> DecrByAsync(KvKey key, long by = 1, CancellationToken cancellationToken = default)
    {
        var op = Operation<long>.Rent(by == 1 ? CommandNames.Decr : CommandNames.DecrBy, Replies.Int64);
        op.Add(key);
        if (by != 1)
        {
            op.Add(by);
        }

        return Send(op, cancellationToken);
    }

    /// <summary>INCRBYFLOAT: adds <paramref name="by"/> and returns the new value.</summary>
    public ValueTask<double> IncrByFloatAsync(KvKey key, double by, CancellationToken cancellationToken = default)
        => Send(CommandNames.IncrByFloat, key, by, Replies.Double, cancellationToken);

    /// <summary>APPEND: appends and returns the new length.</summary>
    public ValueTask<long> AppendAsync(KvKey key, KvValue value, CancellationToken cancellationToken = default)
        => Send(CommandNames.Append, key, value, Replies.Int64, cancellationToken);

    /// <summary>STRLEN: the value's length in bytes (0 when missing).</summary>
    public ValueTask<long> StrLenAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.StrLen, key, Replies.Int64, cancellationToken);

    /// <summary>GETRANGE: the bytes from <paramref name="start"/> to <paramref name="end"/> inclusive (negative counts from the end).</summary>
    public ValueTask<KvValue> GetRangeAsync(KvKey key, long start, long end, CancellationToken cancellationToken = default)
        => Send(CommandNames.GetRange, key, start, end, Replies.Value, cancellationToken);

    /// <summary>SETRANGE: overwrites from <paramref name="offset"/>; returns the new length.</summary>
    public ValueTask<long> SetRangeAsync(KvKey key, long offset, KvValue value, CancellationToken cancellationToken = default)
        => Send(CommandNames.SetRange, key, offset, value, Replies.Int64, cancellationToken);

    private static long Milliseconds(TimeSpan time)
    {
        long ms = (long)Math.Ceiling(time.TotalMilliseconds);
        return ms > 0 ? ms : throw new ArgumentOutOfRangeException(nameof(time), time, "An expiry must be at least 1 ms.");
    }

    private static void AddWhen(Operation op, KvWhen when)
    {
        if (when == KvWhen.NotExists)
        {
            op.Add(CommandNames.Nx);
        }
        else if (when == KvWhen.Exists)
        {
            op.Add(CommandNames.Xx);
        }
    }

    private ValueTask<T> Send<T>(KvValue command, KvKey key, ReplyConverter<T> converter, CancellationToken cancellationToken)
    {
        var op = Operation<T>.Rent(command, converter);
        op.Add(key);
        return Send(op, cancellationToken);
    }

    private ValueTask<T> Send<T>(KvValue command, KvKey key, KvValue a, ReplyConverter<T> converter, CancellationToken cancellationToken)
    {
        var op = Operation<T>.Rent(command, converter);
        op.Add(key);
        op.Add(a);
        return Send(op, cancellationToken);
    }

    private ValueTask<T> Send<T>(KvValue command, KvKey key, KvValue a, KvValue b, ReplyConverter<T> converter, CancellationToken cancellationToken)
    {
        var op = Operation<T>.Rent(command, converter);
        op.Add(key);
        op.Add(a);
        op.Add(b);
        return Send(op, cancellationToken);
    }

    private ValueTask<T> Send<T>(KvValue command, KvKey key, ReadOnlySpan<KvValue> rest, ReplyConverter<T> converter, CancellationToken cancellationToken)
    {
        var op = Operation<T>.Rent(command, converter);
        op.Add(key);
        op.AddRange(rest);
        return Send(op, cancellationToken);
    }

    private ValueTask<T> Send<T>(KvValue command, ReadOnlySpan<KvKey> keys, ReplyConverter<T> converter, CancellationToken cancellationToken)
    {
        var op = Operation<T>.Rent(command, converter);
        op.AddRange(keys);
        return Send(op, cancellationToken);
    }
}
