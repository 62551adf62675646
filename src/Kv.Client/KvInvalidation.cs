namespace Kv.Client;

/// <summary>
/// A notification from <see cref="KvClient.Invalidated"/>: some keys changed on the server, or all
/// of them must be assumed changed (<see cref="All"/>).
/// </summary>
public readonly struct KvInvalidation
{
    private readonly KvKey[]? _keys;

    internal KvInvalidation(KvInvalidationReason reason, KvKey[]? keys)
    {
        Reason = reason;
        _keys = keys;
    }

    /// <summary>Why the notification was sent.</summary>
    public KvInvalidationReason Reason { get; }

    /// <summary>
    /// True when every cached key must be dropped: <see cref="Keys"/> is then empty. Raised for a
    /// flush on the server and whenever notifications may have been missed (a lost connection).
    /// </summary>
    public bool All => Reason != KvInvalidationReason.KeysChanged;

    /// <summary>
    /// The keys that changed (were written, deleted, expired or evicted), as the server's bytes;
    /// <see cref="KvKey"/> compares and hashes them byte-wise. Empty when <see cref="All"/> is true.
    /// </summary>
    public IReadOnlyList<KvKey> Keys => _keys ?? [];

    /// <inheritdoc/>
    public override string ToString() => All ? $"all keys ({Reason})" : $"{Keys.Count} key(s): {string.Join(", ", Keys)}";
}

/// <summary>Why a <see cref="KvInvalidation"/> was sent.</summary>
public enum KvInvalidationReason
{
    /// <summary>The keys in <see cref="KvInvalidation.Keys"/> changed.</summary>
    KeysChanged,

    /// <summary>The server flushed its data (FLUSHALL, FLUSHDB): every key is gone.</summary>
    Flushed,

    /// <summary>
    /// A connection that carried notifications was lost (the main connection, or with RESP2 the
    /// subscriber connection they are redirected to), or the server reported the redirect broken:
    /// changes made meanwhile were not reported. Raised before any command is sent on the new connection.
    /// </summary>
    ConnectionLost,
}
