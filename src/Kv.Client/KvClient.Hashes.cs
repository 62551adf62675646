using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>HSET: sets one field; true when the field is new.</summary>
    public ValueTask<bool> HSetAsync(KvKey key, KvValue field, KvValue value, CancellationToken cancellationToken = default)
        => Send(CommandNames.HSet, key, field, value, Replies.Boolean, cancellationToken);

    /// <summary>HSET: sets several fields; returns how many were new.</summary>
    public ValueTask<long> HSetAsync(KvKey key, params ReadOnlySpan<KvHashEntry> entries)
    {
        var op = Operation<long>.Rent(CommandNames.HSet, Replies.Int64);
        op.Add(key);
        foreach (var entry in entries)
        {
            op.Add(entry.Field);
            op.Add(entry.Value);
        }

        return Send(op, CancellationToken.None);
    }

    /// <summary>HSETNX: sets the field only when it does not exist; true when set.</summary>
    public ValueTask<bool> HSetNxAsync(KvKey key, KvValue field, KvValue value, CancellationToken cancellationToken = default)
        => Send(CommandNames.HSetNx, key, field, value, Replies.Boolean, cancellationToken);

    /// <summary>HGET: the field's value, or <see cref="KvValue.Null"/>.</summary>
    public ValueTask<KvValue> HGetAsync(KvKey key, KvValue field, CancellationToken cancellationToken = default)
        => Send(CommandNames.HGet, key, field, Replies.Value, cancellationToken);

    /// <summary>HGET into a pooled buffer, as <see cref="GetLeaseAsync"/>: dispose the lease to return it.</summary>
    /// <returns>The field's value, or null when the key or the field does not exist.</returns>
    public ValueTask<KvLease?> HGetLeaseAsync(KvKey key, KvValue field, CancellationToken cancellationToken = default)
    {
        var op = Operation<KvLease?>.Rent(CommandNames.HGet, Replies.Lease);
        op.LeasesReply = true;
        op.Add(key);
        op.Add(field);
        return Send(op, cancellationToken);
    }

    /// <summary>HMGET: the fields' values, <see cref="KvValue.Null"/> for missing ones.</summary>
    public ValueTask<KvValue[]> HMGetAsync(KvKey key, params ReadOnlySpan<KvValue> fields)
        => Send(CommandNames.HMGet, key, fields, Replies.Values, CancellationToken.None);

    /// <summary>HGETALL: every field and value.</summary>
    public ValueTask<KvHashEntry[]> HGetAllAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.HGetAll, key, Replies.HashEntries, cancellationToken);

    /// <summary>HDEL: removes fields; returns how many existed.</summary>
    public ValueTask<long> HDelAsync(KvKey key, params ReadOnlySpan<KvValue> fields)
        => Send(CommandNames.HDel, key, fields, Replies.Int64, CancellationToken.None);

    /// <summary>HEXISTS: whether the field exists.</summary>
    public ValueTask<bool> HExistsAsync(KvKey key, KvValue field, CancellationToken cancellationToken = default)
        => Send(CommandNames.HExists, key, field, Replies.Boolean, cancellationToken);

    /// <summary>HLEN: the number of fields.</summary>
    public ValueTask<long> HLenAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.HLen, key, Replies.Int64, cancellationToken);

    /// <summary>HKEYS: the field names.</summary>
    public ValueTask<KvValue[]> HKeysAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.HKeys, key, Replies.Values, cancellationToken);

    /// <summary>HVALS: the values.</summary>
    public ValueTask<KvValue[]> HValsAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.HVals, key, Replies.Values, cancellationToken);

    /// <summary>HINCRBY: adds to an integer field; returns the new value.</summary>
    public ValueTask<long> HIncrByAsync(KvKey key, KvValue field, long by = 1, CancellationToken cancellationToken = default)
        => Send(CommandNames.HIncrBy, key, field, by, Replies.Int64, cancellationToken);

    /// <summary>HINCRBYFLOAT: adds to a numeric field; returns the new value.</summary>
    public ValueTask<double> HIncrByFloatAsync(KvKey key, KvValue field, double by, CancellationToken cancellationToken = default)
        => Send(CommandNames.HIncrByFloat, key, field, by, Replies.Double, cancellationToken);

    /// <summary>HSTRLEN: the length of the field's value.</summary>
    public ValueTask<long> HStrLenAsync(KvKey key, KvValue field, CancellationToken cancellationToken = default)
        => Send(CommandNames.HStrLen, key, field, Replies.Int64, cancellationToken);

    /// <summary>HPEXPIRE: gives fields a time to live (Redis 7.4+, kv-server). Per field: 1 set, 0 a condition failed, 2 deleted (zero expiry), -2 no such field.</summary>
    public ValueTask<long[]> HExpireAsync(KvKey key, TimeSpan expiry, params ReadOnlySpan<KvValue> fields)
        => FieldCommand(CommandNames.HPExpire, key, (long)expiry.TotalMilliseconds, fields);

    /// <summary>HPEXPIREAT: expires fields at <paramref name="when"/>; per field as <see cref="HExpireAsync"/>.</summary>
    public ValueTask<long[]> HExpireAtAsync(KvKey key, DateTimeOffset when, params ReadOnlySpan<KvValue> fields)
        => FieldCommand(CommandNames.HPExpireAt, key, when.ToUnixTimeMilliseconds(), fields);

    /// <summary>HPTTL: per field the remaining time to live in milliseconds; -1 no expiry, -2 no such field.</summary>
    public ValueTask<long[]> HPTtlAsync(KvKey key, params ReadOnlySpan<KvValue> fields)
        => FieldCommand(CommandNames.HPTtl, key, null, fields);

    /// <summary>HPERSIST: removes fields' time to live; per field 1 removed, -1 had none, -2 no such field.</summary>
    public ValueTask<long[]> HPersistAsync(KvKey key, params ReadOnlySpan<KvValue> fields)
        => FieldCommand(CommandNames.HPersist, key, null, fields);

    private ValueTask<long[]> FieldCommand(KvValue command, KvKey key, long? argument, ReadOnlySpan<KvValue> fields)
    {
        var op = Operation<long[]>.Rent(command, Replies.Int64s);
        op.Add(key);
        if (argument is { } value)
        {
            op.Add(value);
        }

        op.Add(CommandNames.Fields);
        op.Add(fields.Length);
        op.AddRange(fields);
        return Send(op, CancellationToken.None);
    }
}
