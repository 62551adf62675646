namespace Kv.Server.Storage;

/// <summary>
/// One numbered database: a <see cref="KeyTable"/> with Redis's expiry rules applied on every
/// lookup (a key past its expiry is deleted when touched and reads as absent).
/// </summary>
internal sealed class Database
{
    // The access clock of the last lookup here. Every Add follows a lookup of the same key in the
    // same command, so a new key's access time is that command's time without Add taking it.
    private uint _clock;
    private long _now;

    public Database(int id, Keyspace keyspace)
    {
        Id = id;
        Keyspace = keyspace;
        Table = new KeyTable(keyspace.Releases);
    }

    public int Id { get; }

    public Keyspace Keyspace { get; }

    public KeyTable Table { get; private set; }

    /// <summary>Hashes that may hold fields with a TTL, sampled by the active expiry cycle.</summary>
    public VolatileHashIndex VolatileHashes { get; private set; } = new();

    /// <summary>Keys clients WATCH here; they stay with the database number across SWAPDB, as in Redis.</summary>
    public WatchedKeys Watched { get; } = new();

    public int Count => Table.Count;

    /// <summary>Index of a live key, or -1; deletes it first when it has expired. Marks the key accessed (OBJECT IDLETIME).</summary>
    public int Find(ReadOnlySpan<byte> key, long now)
    {
        var table = Table;
        int index = table.Find(key);
        _clock = Clock(now);
        _now = now;
        if (index >= 0)
        {
            if (table.IsDue(index, now) && !Keyspace.Loading)
            {
                Expire(index);
                return -1;
            }

            Touch(ref table.At(index));
        }

        return index;
    }

    /// <summary>As <see cref="Find"/> but leaves the access time alone, as Redis's LOOKUP_NOTOUCH (TYPE, TTL, EXISTS, OBJECT).</summary>
    public int Peek(ReadOnlySpan<byte> key, long now)
    {
        var table = Table;
        int index = table.Find(key);
        _clock = Clock(now);
        _now = now;
        if (index >= 0)
        {
            if (table.IsDue(index, now) && !Keyspace.Loading)
            {
                Expire(index);
                return -1;
            }
        }

        return index;
    }

    // An access: the LRU clock, or under an LFU maxmemory-policy Redis's updateLFU (decay, then a logarithmic increment).
    private void Touch(ref KeyEntry entry)
    {
        if (Keyspace.Lfu)
        {
            entry.LastAccess = Persistence.LfuCounter.Accessed(entry.LastAccess, _now, Keyspace.LfuLogFactor, Keyspace.LfuDecayTime);
        }
        else
        {
            entry.LastAccess = _clock;
        }
    }

    // A new key: the LRU clock, or LFU_INIT_VAL with the current minute under an LFU policy.
    private uint NewAccess() => Keyspace.Lfu ? Persistence.LfuCounter.Initial(_now) : _clock;

    /// <summary>True when the entry at <paramref name="index"/> is past its expiry (and so must read as absent).</summary>
    public bool IsExpired(int index, long now) => Table.IsDue(index, now) && !Keyspace.Loading;

    /// <summary>Redis's LRU_CLOCK_MAX: the access clock wraps after 2^24 seconds (about 194 days).</summary>
    public const uint ClockMax = (1 << 24) - 1;

    /// <summary>The seconds clock <see cref="KeyEntry.LastAccess"/> holds: Redis's LRU clock, 24 bits with a resolution of one second.</summary>
    public static uint Clock(long now) => (uint)(now / 1000) & ClockMax;

    /// <summary>Seconds between two access clocks, across a wrap as Redis's estimateObjectIdleTime.</summary>
    public static uint IdleSeconds(uint lastAccess, uint now) => now >= lastAccess ? now - lastAccess : now + (ClockMax - lastAccess);

    /// <summary>The value of a live key, or null. A small string comes back as a copy (see <see cref="KeyTable.ValueAt"/>); string commands use <see cref="TryGetString"/>.</summary>
    public object? Get(ReadOnlySpan<byte> key, long now)
    {
        int index = Find(key, now);
        return index < 0 ? null : Table.ValueAt(index);
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, clearing any TTL (as SET does); returns the index.</summary>
    public int Set(ReadOnlySpan<byte> key, object value, long now)
    {
        var table = Table;
        int hash = KeyTable.Hash(key);
        int index = table.Find(key, hash);
        if (index >= 0)
        {
            table.Replace(index, value);
            _clock = Clock(now);
            _now = now;
            Touch(ref table.At(index));
            table.SetExpiry(index, 0);

            Keyspace.Blocking.SignalReady(Id, key);
            return index;
        }

        _clock = Clock(now);
        _now = now;
        return Add(key, hash, value);
    }

    /// <summary>Adds a key known to be absent (the caller just looked it up, which set the access clock).</summary>
    public int Add(ReadOnlySpan<byte> key, object value) => Add(key, KeyTable.Hash(key), value);

    private int Add(ReadOnlySpan<byte> key, int hash, object value)
    {
        var table = Table;
        int index = table.Add(key, hash, value);
        table.At(index).LastAccess = NewAccess();
        Keyspace.Notifier?.Notify(Configuration.KeyspaceEvents.New, "new"u8, key, Id);
        // A hash with field TTLs arriving under a new name (RENAME, COPY, MOVE) keeps expiring actively.
        if (value is HashValue { VolatileCount: > 0 })
        {
            VolatileHashes.Add(key);
        }

        Keyspace.Blocking.SignalReady(Id, key);
        return index;
    }

    /// <summary>Adds a key known to be absent with a string value (the caller just looked it up).</summary>
    public int AddString(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var table = Table;
        int index = table.AddString(key, KeyTable.Hash(key), value);
        table.At(index).LastAccess = NewAccess();
        Keyspace.Notifier?.Notify(Configuration.KeyspaceEvents.New, "new"u8, key, Id);
        return index;
    }

    /// <summary>The bytes of the string at <paramref name="index"/>; false when the key holds another type.</summary>
    public bool TryGetString(int index, out ReadOnlySpan<byte> bytes) => Table.TryGetString(index, out bytes);

    /// <summary>Deletes a live key; true when it existed.</summary>
    public bool Delete(ReadOnlySpan<byte> key, long now)
    {
        int index = Find(key, now);
        if (index < 0)
        {
            return false;
        }

        SignalIfStream(index);
        Table.RemoveAt(index);
        return true;
    }

    /// <summary>Deletes an expired key, counts it and signals it (Redis's deleteExpiredKeyAndPropagate: an "expired" event, WATCH touched).</summary>
    public void Expire(int index)
    {
        SignalIfStream(index);

        // The span stays valid after the removal: the key's block is freed when the command (or cron slice) ends.
        var key = Table.At(index).Key;
        Table.RemoveAt(index);
        Keyspace.Stats.ExpiredKeys++;
        Keyspace.Propagation.Expired(Id, key);
        Keyspace.Modified(this, key, Configuration.KeyspaceEvents.Expired, "expired"u8);
    }

    /// <summary>
    /// Before the value at <paramref name="index"/> is deleted or overwritten: Redis 7.0 (dbGenericDelete,
    /// setKey) signals a stream's key so clients blocked in XREADGROUP on it are unblocked.
    /// </summary>
    public void SignalIfStream(int index)
    {
        if (Table.RawValueAt(index) is StreamValue)
        {
            Keyspace.Blocking.SignalReady(Id, Table.At(index).Key);
        }
    }

    /// <summary>Empties the database.</summary>
    public void Clear()
    {
        Table.Retire();
        Table = new KeyTable(Keyspace.Releases);
        VolatileHashes = new VolatileHashIndex();
    }

    /// <summary>Exchanges contents with <paramref name="other"/> (SWAPDB).</summary>
    public void SwapWith(Database other)
    {
        (Table, other.Table) = (other.Table, Table);
        (VolatileHashes, other.VolatileHashes) = (other.VolatileHashes, VolatileHashes);
    }
}
