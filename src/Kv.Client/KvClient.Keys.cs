using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>DEL: removes the keys; returns how many existed.</summary>
    public ValueTask<long> DelAsync(params ReadOnlySpan<KvKey> keys) => Send(CommandNames.Del, keys, Replies.Int64, CancellationToken.None);

    /// <summary>UNLINK: removes the keys, reclaiming memory in the background; returns how many existed.</summary>
    public ValueTask<long> UnlinkAsync(params ReadOnlySpan<KvKey> keys) => Send(CommandNames.Unlink, keys, Replies.Int64, CancellationToken.None);

    /// <summary>EXISTS: how many of the keys exist (a key named twice counts twice).</summary>
    public ValueTask<long> ExistsAsync(params ReadOnlySpan<KvKey> keys) => Send(CommandNames.Exists, keys, Replies.Int64, CancellationToken.None);

    /// <summary>TYPE: <c>string</c>, <c>list</c>, <c>hash</c>, <c>set</c>, <c>zset</c>, <c>stream</c> or <c>none</c>.</summary>
    public ValueTask<string> TypeAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.Type, key, Replies.Text, cancellationToken);

    /// <summary>RENAME (RENAMENX with <see cref="KvWhen.NotExists"/>); false when NX found the new name taken.</summary>
    /// <exception cref="KvServerException">ERR no such key.</exception>
    public ValueTask<bool> RenameAsync(KvKey key, KvKey newKey, KvWhen when = KvWhen.Always, CancellationToken cancellationToken = default)
        => Send(when == KvWhen.NotExists ? CommandNames.RenameNx : CommandNames.Rename, key, newKey.Value, Replies.Boolean, cancellationToken);

    /// <summary>PEXPIRE: sets the time to live (millisecond precision); false when the key does not exist.</summary>
    public ValueTask<bool> ExpireAsync(KvKey key, TimeSpan expiry, CancellationToken cancellationToken = default)
        => Send(CommandNames.PExpire, key, (long)expiry.TotalMilliseconds, Replies.Boolean, cancellationToken);

    /// <summary>PEXPIREAT: expires the key at <paramref name="when"/>; false when the key does not exist.</summary>
    public ValueTask<bool> ExpireAtAsync(KvKey key, DateTimeOffset when, CancellationToken cancellationToken = default)
        => Send(CommandNames.PExpireAt, key, when.ToUnixTimeMilliseconds(), Replies.Boolean, cancellationToken);

    /// <summary>PERSIST: removes the time to live; false when there was none or no key.</summary>
    public ValueTask<bool> PersistAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.Persist, key, Replies.Boolean, cancellationToken);

    /// <summary>PTTL: the remaining time to live; null when the key has no expiry or does not exist.</summary>
    public ValueTask<TimeSpan?> TtlAsync(KvKey key, CancellationToken cancellationToken = default)
        => Send(CommandNames.PTtl, key, TtlReply, cancellationToken);

    /// <summary>DBSIZE: the number of keys in the selected database.</summary>
    public ValueTask<long> DbSizeAsync(CancellationToken cancellationToken = default)
        => Send(Operation<long>.Rent(CommandNames.DbSize, Replies.Int64), cancellationToken);

    /// <summary>FLUSHDB: removes every key of the selected database.</summary>
    public ValueTask<bool> FlushDbAsync(CancellationToken cancellationToken = default)
        => Send(Operation<bool>.Rent(CommandNames.FlushDb, Replies.Boolean), cancellationToken);

    private static readonly ReplyConverter<TimeSpan?> TtlReply = static (in KvResult r) =>
        r.AsInt64() is var ms && ms >= 0 ? TimeSpan.FromMilliseconds(ms) : null;
}
