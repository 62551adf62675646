using Kv.Server.Commands;
using Kv.Server.Configuration;
using Kv.Server.Storage;

namespace Kv.Server.Persistence;

/// <summary>
/// maxmemory (Redis's evict.c): before each command, while the estimated memory is above the limit,
/// keys are evicted by maxmemory-policy; when nothing can be evicted, commands flagged denyoom get
/// -OOM. LRU, LFU and TTL policies sample maxmemory-samples keys per database into a pool of the 16
/// best candidates seen so far and evict the best of it, as Redis approximates them.
/// </summary>
/// <remarks>
/// What is measured is the data set: <see cref="KeyTable.EstimatedBytes"/> of every database (kept
/// incrementally, see <see cref="MemoryEstimate"/>) plus the tables' own arrays. The runtime's heap
/// beyond that (connections' buffers, the JIT, Lua) is not counted — as Redis leaves replication and
/// AOF buffers out of the eviction decision — so the process's resident size is the limit plus that
/// fixed overhead (about 30-40 MB for the JIT build, less for Native AOT).
/// </remarks>
internal sealed class MemoryLimit
{
    private const int PoolSize = 16;

    private readonly ServerState _server;
    private readonly PoolEntry[] _pool = new PoolEntry[PoolSize];
    private readonly Random _random = new();
    private int _nextDb;

    public MemoryLimit(ServerState server)
    {
        _server = server;
        server.Config.MemoryLimitsChanged = Apply;
        Apply();
    }

    public bool Enabled => _server.Config.MaxMemory > 0;

    /// <summary>used_memory: the estimated bytes of every database.</summary>
    public long Used
    {
        get
        {
            long total = 0;
            foreach (var db in _server.Keyspace.Databases)
            {
                total += db.Table.EstimatedBytes + db.Table.OverheadBytes;
            }

            return total;
        }
    }

    public long Dataset
    {
        get
        {
            long total = 0;
            foreach (var db in _server.Keyspace.Databases)
            {
                total += db.Table.EstimatedBytes;
            }

            return total;
        }
    }

    public bool IsLfu => _server.Config.MaxMemoryPolicy.EndsWith("-lfu", StringComparison.Ordinal);

    /// <summary>maxmemory, its policy or the LFU settings changed: switch tracking on or off (under the keyspace lock at run time).</summary>
    public void Apply()
    {
        var keyspace = _server.Keyspace;
        var config = _server.Config;
        bool track = config.MaxMemory > 0;
        if (track && !keyspace.TrackMemory)
        {
            // Collections changed in place while nobody measured them: measure everything once.
            foreach (var db in keyspace.Databases)
            {
                db.Table.Recount();
            }
        }

        keyspace.TrackMemory = track;
        keyspace.Lfu = IsLfu;
        keyspace.LfuLogFactor = config.LfuLogFactor;
        keyspace.LfuDecayTime = config.LfuDecayTime;
        Array.Clear(_pool);
    }

    /// <summary>
    /// The checks Redis's processCommand makes before running a command, in its order: evict down to
    /// maxmemory and refuse denyoom commands when that fails (-OOM; inside MULTI every command but
    /// EXEC, DISCARD, QUIT and RESET); refuse writes (and PING) while the AOF cannot be written
    /// (-MISCONF). Null when the command may run.
    /// </summary>
    public static string? RejectsBeforeRun(CommandContext c, CommandDefinition command)
    {
        var server = c.Server;
        if (c.Client.Id == Aof.AofLoader.ClientId)
        {
            return null;
        }

        if (server.Memory.Enabled)
        {
            var keyspace = server.Keyspace;
            keyspace.LfuLogFactor = server.Config.LfuLogFactor;
            keyspace.LfuDecayTime = server.Config.LfuDecayTime;
            bool outOfMemory = !server.Memory.PerformEvictions(keyspace.NowMilliseconds);
            if (outOfMemory)
            {
                bool reject = command.Has(CommandFlags.DenyOom);
                if (c.Client.Transaction is { Active: true } && command.Name is not ("exec" or "discard" or "quit" or "reset"))
                {
                    reject = true;
                }
                else if (command.Name == "exec" && c.Client.Transaction is { Active: true } transaction && QueuesDenyOom(transaction))
                {
                    reject = true;
                }

                if (reject)
                {
                    return "OOM command not allowed when used memory > 'maxmemory'.";
                }
            }
        }

        if (!server.Aof.LastWriteOk && server.Aof.State != Aof.AofState.Off && (command.Has(CommandFlags.Write) || command.Name == "ping"))
        {
            return "MISCONF Errors writing to the AOF file: " + server.Aof.LastWriteError;
        }

        return null;
    }

    // Redis keeps the union of the queued commands' flags: EXEC is denyoom when one of them is.
    private static bool QueuesDenyOom(Transactions.MultiState transaction)
    {
        for (int i = 0; i < transaction.Count; i++)
        {
            if (transaction[i].Command.Has(CommandFlags.DenyOom))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Redis's performEvictions: false when memory stays above maxmemory (noeviction, or nothing left to evict).</summary>
    public bool PerformEvictions(long now)
    {
        long limit = _server.Config.MaxMemory;
        long used = Used;
        if (used <= limit)
        {
            return true;
        }

        string policy = _server.Config.MaxMemoryPolicy;
        if (policy == "noeviction")
        {
            return false;
        }

        var keyspace = _server.Keyspace;
        while (used > limit)
        {
            var (db, key) = policy.EndsWith("-random", StringComparison.Ordinal) ? RandomVictim(policy.StartsWith("volatile", StringComparison.Ordinal)) : PoolVictim(policy, now);
            if (db is null)
            {
                return false;
            }

            // Redis's performEvictions: propagate DEL, notify "evicted", count it.
            db.Delete(key, now);
            keyspace.Stats.EvictedKeys++;
            keyspace.Propagation.Evicted(db.Id, key);
            keyspace.Modified(db, key, KeyspaceEvents.Evicted, "evicted"u8);
            used = Used;
        }

        return true;
    }

    private (Database? Db, byte[] Key) RandomVictim(bool volatileOnly)
    {
        var databases = _server.Keyspace.Databases;
        for (int i = 0; i < databases.Length; i++)
        {
            var db = databases[_nextDb++ % databases.Length];
            var table = db.Table;
            if (volatileOnly ? table.VolatileCount == 0 : table.Count == 0)
            {
                continue;
            }

            int index = volatileOnly ? table.VolatileAt(_random.Next(table.VolatileCount)).Index : table.RandomIndex(_random);
            return (db, table.At(index).Key.ToArray());
        }

        return (null, []);
    }

    // evictionPoolPopulate over every database, then the best candidate that still exists.
    private (Database? Db, byte[] Key) PoolVictim(string policy, long now)
    {
        var databases = _server.Keyspace.Databases;
        bool volatileOnly = policy.StartsWith("volatile", StringComparison.Ordinal);
        while (true)
        {
            long keys = 0;
            foreach (var db in databases)
            {
                int count = volatileOnly ? db.Table.VolatileCount : db.Table.Count;
                if (count > 0)
                {
                    Populate(db, policy, volatileOnly, now);
                    keys += count;
                }
            }

            if (keys == 0)
            {
                return (null, []);
            }

            // The best candidate is at the end (the largest score).
            for (int k = PoolSize - 1; k >= 0; k--)
            {
                if (_pool[k].Key is not { } key)
                {
                    continue;
                }

                var db = databases[_pool[k].Db];
                _pool[k] = default;
                int index = db.Table.Find(key);
                if (index >= 0 && (!volatileOnly || db.Table.ExpiresAt(index) > 0))
                {
                    return (db, key);
                }
            }

            // Every pooled key was gone (deleted meanwhile): sample again.
        }
    }

    private void Populate(Database db, string policy, bool volatileOnly, long now)
    {
        var table = db.Table;
        int samples = Math.Max(1, _server.Config.MaxMemorySamples);
        uint clock = Database.Clock(now);
        for (int s = 0; s < samples; s++)
        {
            int index = volatileOnly ? table.VolatileAt(_random.Next(table.VolatileCount)).Index : table.RandomIndex(_random);
            if (index < 0)
            {
                return;
            }

            ref readonly var entry = ref table.At(index);
            ulong score = policy switch
            {
                "allkeys-lru" or "volatile-lru" => Database.IdleSeconds(entry.LastAccess, clock) * 1000UL,
                "allkeys-lfu" or "volatile-lfu" => 255UL - LfuCounter.Decayed(entry.LastAccess, now, _server.Config.LfuDecayTime),
                _ => ulong.MaxValue - (ulong)table.ExpiresAt(index),
            };

            Insert(score, entry.Key, db.Id);
        }
    }

    // Redis's pool insertion: ascending by score; a full pool drops its worst (first) entry.
    private void Insert(ulong score, ReadOnlySpan<byte> key, int db)
    {
        int k = 0;
        while (k < PoolSize && _pool[k].Key is not null && _pool[k].Score < score)
        {
            k++;
        }

        for (int i = 0; i < PoolSize; i++)
        {
            if (_pool[i].Key is { } existing && _pool[i].Db == db && key.SequenceEqual(existing))
            {
                return; // already a candidate
            }
        }

        if (k == 0 && _pool[PoolSize - 1].Key is not null)
        {
            return; // worse than every candidate of a full pool
        }

        if (k < PoolSize && _pool[k].Key is null)
        {
            // An empty slot right here.
        }
        else if (_pool[PoolSize - 1].Key is null)
        {
            System.Array.Copy(_pool, k, _pool, k + 1, PoolSize - k - 1);
        }
        else
        {
            k--;
            System.Array.Copy(_pool, 1, _pool, 0, k);
        }

        _pool[k] = new PoolEntry(score, key.ToArray(), db);
    }

    private record struct PoolEntry(ulong Score, byte[]? Key, int Db);
}
