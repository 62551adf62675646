namespace Kv.Server.Storage;

/// <summary>
/// One database's WATCHed keys: key → the watches on it (Redis's db->watched_keys). A write
/// touching a key marks its watchers' transactions dirty, so their EXEC answers null.
/// </summary>
internal sealed class WatchedKeys
{
    private readonly Dictionary<byte[], List<WatchedKey>> _keys = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], List<WatchedKey>>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public WatchedKeys() => _lookup = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>Keys watched by at least one client; zero makes <see cref="Touch"/> a single branch.</summary>
    public int Count => _keys.Count;

    public void Add(WatchedKey watch)
    {
        if (!_keys.TryGetValue(watch.Key, out var watchers))
        {
            watchers = new List<WatchedKey>(1);
            _keys.Add(watch.Key, watchers);
        }

        watchers.Add(watch);
    }

    public void Remove(WatchedKey watch)
    {
        if (_keys.TryGetValue(watch.Key, out var watchers))
        {
            watchers.Remove(watch);
            if (watchers.Count == 0)
            {
                _keys.Remove(watch.Key);
            }
        }
    }

    /// <summary>Redis's touchWatchedKey: <paramref name="key"/> of <paramref name="db"/> changed.</summary>
    public void Touch(Database db, ReadOnlySpan<byte> key)
    {
        if (_keys.Count == 0 || !_lookup.TryGetValue(key, out var watchers))
        {
            return;
        }

        // Backwards: a dirtied transaction unwatches all its keys, which removes the current entry.
        for (int i = watchers.Count - 1; i >= 0; i--)
        {
            if (i >= watchers.Count)
            {
                continue;
            }

            var watch = watchers[i];
            if (watch.WasExpired)
            {
                // Watched while already expired (Redis 7.0): its deletion is no logical change;
                // anything that leaves the key in place is.
                if (db.Table.Find(key) < 0)
                {
                    watch.WasExpired = false;
                    continue;
                }
            }

            watch.Owner.MarkDirty(unwatch: true);
        }
    }

    /// <summary>
    /// Redis's touchAllWatchedKeysInDb: <paramref name="emptied"/> (this map's database) is being
    /// flushed, or swapped with <paramref name="replacedWith"/>. A watched key that exists before or
    /// after counts as touched, with the rules for keys watched while expired.
    /// </summary>
    public void TouchAll(Database emptied, Database? replacedWith, long now)
    {
        if (_keys.Count == 0)
        {
            return;
        }

        foreach (var (key, watchers) in _keys)
        {
            bool existsInEmptied = emptied.Table.Find(key) >= 0;
            int replacement = replacedWith is null ? -1 : replacedWith.Table.Find(key);
            if (!existsInEmptied && replacement < 0)
            {
                continue;
            }

            bool replacementExpired = replacement >= 0 && replacedWith!.Table.IsDue(replacement, now);
            foreach (var watch in watchers)
            {
                if (watch.WasExpired)
                {
                    if (replacement < 0)
                    {
                        // The expired key is deleted: no logical change.
                        watch.WasExpired = false;
                        continue;
                    }

                    if (replacementExpired)
                    {
                        continue;
                    }
                }
                else if (!existsInEmptied && replacementExpired)
                {
                    // A missing key replaced by an expired one still reads as missing.
                    watch.WasExpired = true;
                    continue;
                }

                // Not unwatched here (Redis neither): this loop walks the map being changed.
                watch.Owner.MarkDirty(unwatch: false);
            }
        }
    }
}

/// <summary>One client's watch on one key of one database (Redis's watchedKey).</summary>
internal sealed class WatchedKey
{
    public WatchedKey(byte[] key, Database db, IWatcher owner, bool wasExpired)
    {
        Key = key;
        Db = db;
        Owner = owner;
        WasExpired = wasExpired;
    }

    public byte[] Key { get; }

    public Database Db { get; }

    public IWatcher Owner { get; }

    /// <summary>The key existed but had expired when WATCH ran (Redis 7.0's wk->expired).</summary>
    public bool WasExpired { get; set; }
}

/// <summary>Whoever holds watches: told when a watched key changes.</summary>
internal interface IWatcher
{
    /// <summary>Marks the transaction dirty (CLIENT_DIRTY_CAS); with <paramref name="unwatch"/>, drops all its watches too.</summary>
    void MarkDirty(bool unwatch);
}
