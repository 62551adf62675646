using System.Diagnostics;
using Kv.Server.Commands;
using Kv.Server.Configuration;
using Kv.Server.Storage;
using Microsoft.Extensions.Logging;

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
/// <para>
/// maxmemory-eviction-tenacity bounds the time one eviction pass may take, as in Redis 7.0's
/// evictionTimeLimitUs: 50 µs per step up to 10 (500 µs, the default), then 15% more per step, no limit
/// at 100. The clock is checked every 16 evicted keys; a pass that runs out of time lets the command
/// run (it is not -OOM) and an eviction task goes on evicting a slice at a time, releasing the keyspace
/// lock between slices so clients keep being served, until memory is under maxmemory or nothing is
/// left to evict (Redis's evictionTimeProc). CONFIG SET maxmemory starts that task too.
/// </para>
/// </remarks>
internal sealed class MemoryLimit
{
    private const int PoolSize = 16;

    private readonly ServerState _server;
    private readonly PoolEntry[] _pool = NewPool();
    private readonly Random _random = new();
    private int _nextDb;

    // Redis's isEvictionProcRunning (under the keyspace lock), and the server stopping.
    private bool _procRunning;
    private volatile bool _stopped;

    // stat_last_eviction_exceeded_time (a Stopwatch timestamp, 0 when under the limit) and stat_total_eviction_exceeded_time (ticks).
    private long _exceededSince;
    private long _exceededTotal;

    public MemoryLimit(ServerState server)
    {
        _server = server;
        server.Config.MemoryLimitsChanged = () =>
        {
            Apply();

            // Redis's updateMaxmemory: startEvictionTimeProc, so memory comes down without waiting for a command.
            if (Enabled)
            {
                StartEvictionProc();
            }
        };
        Apply();
    }

    /// <summary>total_eviction_exceeded_time of INFO stats: ms spent above maxmemory, not counting the current stretch.</summary>
    public long TotalExceededMilliseconds => _exceededTotal * 1000 / Stopwatch.Frequency;

    /// <summary>current_eviction_exceeded_time of INFO stats: ms since memory went above maxmemory, or 0.</summary>
    public long CurrentExceededMilliseconds => _exceededSince == 0 ? 0 : (long)Stopwatch.GetElapsedTime(_exceededSince).TotalMilliseconds;

    /// <summary>CONFIG RESETSTAT (Redis's resetServerStats).</summary>
    public void ResetStats()
    {
        _exceededTotal = 0;
        _exceededSince = 0;
    }

    /// <summary>Server shutdown: the eviction task stops at its next slice.</summary>
    public void Stop() => _stopped = true;

    public bool Enabled => _server.Config.MaxMemory > 0;

    /// <summary>
    /// used_memory: the estimated bytes of every database, scaled in the kv-server process by what the
    /// GC found live at its last full collection (<see cref="MemoryReclaim.Scale"/>), so eviction holds
    /// the memory really used to maxmemory even where the estimate falls short.
    /// </summary>
    public long Used => (long)(Estimated * _server.Reclaim.Scale);

    /// <summary>The estimate itself: each key's measure (<see cref="MemoryEstimate"/>) plus the tables' arrays.</summary>
    public long Estimated
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

    /// <summary>Estimated bytes of collections removed so far, over every database (see <see cref="KeyTable.DroppedObjectBytes"/>).</summary>
    public long DroppedObjectBytes
    {
        get
        {
            long total = 0;
            foreach (var db in _server.Keyspace.Databases)
            {
                total += db.Table.DroppedObjectBytes;
            }

            return total + _server.Keyspace.Releases.UnpooledBytes;
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
        for (int k = 0; k < PoolSize; k++)
        {
            _pool[k].Used = false;
        }
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
            if (server.OwnsProcess)
            {
                server.Reclaim.LimitYoungGeneration();
            }

            var keyspace = server.Keyspace;
            keyspace.LfuLogFactor = server.Config.LfuLogFactor;
            keyspace.LfuDecayTime = server.Config.LfuDecayTime;
            bool outOfMemory = !server.Memory.PerformEvictions(keyspace.NowMilliseconds);
            server.Tracking.AfterEvictionsBeforeCommand(c.Client);
            if (outOfMemory)
            {
                bool reject = command.Has(CommandFlags.DenyOom) || server.Scripting.DeniesOom(c, command);
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

    /// <summary>
    /// Redis's performEvictions as processCommand uses it: false only when memory stays above maxmemory
    /// because nothing can be evicted (noeviction, or no candidate left) — not when the pass ran out of
    /// time and the eviction task goes on.
    /// </summary>
    public bool PerformEvictions(long now) => Evict(now) != EvictionResult.Fail;

    private EvictionResult Evict(long now)
    {
        var result = EvictOrFail(now);

        // Redis's update_metrics: the time spent above maxmemory (evicting, or unable to).
        if (result != EvictionResult.Ok)
        {
            if (_exceededSince == 0)
            {
                _exceededSince = Stopwatch.GetTimestamp();
            }
        }
        else if (_exceededSince != 0)
        {
            _exceededTotal += Stopwatch.GetTimestamp() - _exceededSince;
            _exceededSince = 0;
        }

        return result;
    }

    private EvictionResult EvictOrFail(long now)
    {
        long limit = _server.Config.MaxMemory;
        long used = Used;
        if (used <= limit)
        {
            return EvictionResult.Ok;
        }

        string policy = _server.Config.MaxMemoryPolicy;
        if (policy == "noeviction")
        {
            return EvictionResult.Fail;
        }

        long timeLimit = TimeLimitTicks(_server.Config.MaxMemoryEvictionTenacity);
        long start = Stopwatch.GetTimestamp();
        int freed = 0;
        var keyspace = _server.Keyspace;
        while (used > limit)
        {
            var (db, index) = policy.EndsWith("-random", StringComparison.Ordinal) ? RandomVictim(policy.StartsWith("volatile", StringComparison.Ordinal)) : PoolVictim(policy, now);
            if (db is null)
            {
                return EvictionResult.Fail;
            }

            // Redis's performEvictions: propagate DEL, notify "evicted", count it. The key's bytes stay
            // readable after the delete until the batch ends (BlockReleases).
            var key = db.Table.At(index).Key;
            db.Delete(key, now);
            keyspace.Stats.EvictedKeys++;
            keyspace.Propagation.Evicted(db.Id, key);
            keyspace.Modified(db, key, KeyspaceEvents.Evicted, "evicted"u8);
            used = Used;

            // Every 16 keys: out of time, the rest is left to the eviction task.
            if (++freed % 16 == 0 && Stopwatch.GetTimestamp() - start > timeLimit)
            {
                StartEvictionProc();
                break;
            }
        }

        return _procRunning ? EvictionResult.Running : EvictionResult.Ok;
    }

    /// <summary>Redis's evictionTimeLimitUs, in Stopwatch ticks: 50 µs a step up to 10, then a 15% geometric progression, unlimited at 100.</summary>
    private static long TimeLimitTicks(int tenacity)
    {
        if (tenacity >= 100)
        {
            return long.MaxValue;
        }

        double us = tenacity <= 10 ? 50.0 * tenacity : 500.0 * Math.Pow(1.15, tenacity - 10.0);
        return (long)(us * Stopwatch.Frequency / 1_000_000);
    }

    private void StartEvictionProc()
    {
        if (_procRunning || _stopped)
        {
            return;
        }

        _procRunning = true;
        _ = Task.Run(EvictionProcAsync);
    }

    // Redis's evictionTimeProc: one slice per turn until memory is under maxmemory or nothing is left to
    // evict; the keyspace lock is released between slices, as Redis's event loop serves clients between runs.
    private async Task EvictionProcAsync()
    {
        var keyspace = _server.Keyspace;
        bool again = true;
        try
        {
            while (again)
            {
                await Task.Yield();
                lock (keyspace.Lock)
                {
                    again = !_stopped && Enabled && Evict(keyspace.NowMilliseconds) == EvictionResult.Running;
                    keyspace.FreeReleased();
                    if (!again)
                    {
                        _procRunning = false;
                    }

                    // Evicted keys matching BCAST prefixes are announced now, as after a batch.
                    if (_server.Tracking.EndBatchPending)
                    {
                        _server.Tracking.EndBatch();
                    }
                }

                // The DELs are not tied to a client's batch: wake the AOF writer for them.
                if (_server.Aof.State == Aof.AofState.On)
                {
                    _server.Aof.Wake();
                }
            }
        }
        catch (Exception ex)
        {
            _server.Logger.LogError(ex, "Eviction failed.");
            lock (keyspace.Lock)
            {
                _procRunning = false;
            }
        }
    }

    private enum EvictionResult
    {
        Ok,
        Running,
        Fail,
    }

    private (Database? Db, int Index) RandomVictim(bool volatileOnly)
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
            return (db, index);
        }

        return (null, -1);
    }

    // evictionPoolPopulate over every database, then the best candidate that still exists.
    private (Database? Db, int Index) PoolVictim(string policy, long now)
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
                return (null, -1);
            }

            // The best candidate is at the end (the largest score).
            for (int k = PoolSize - 1; k >= 0; k--)
            {
                ref var candidate = ref _pool[k];
                if (!candidate.Used)
                {
                    continue;
                }

                var db = databases[candidate.Db];
                candidate.Used = false;
                int index = db.Table.Find(candidate.Key);
                if (index >= 0 && (!volatileOnly || db.Table.ExpiresAt(index) > 0))
                {
                    return (db, index);
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

    // Redis's pool insertion: ascending by score; a full pool drops its worst (first) entry. Each slot
    // keeps a buffer for its key, handed on as entries shift (Redis's EVPOOL_CACHED_SDS_SIZE), so
    // sampling allocates nothing.
    private void Insert(ulong score, ReadOnlySpan<byte> key, int db)
    {
        int k = 0;
        while (k < PoolSize && _pool[k].Used && _pool[k].Score < score)
        {
            k++;
        }

        for (int i = 0; i < PoolSize; i++)
        {
            if (_pool[i].Used && _pool[i].Db == db && key.SequenceEqual(_pool[i].Key))
            {
                return; // already a candidate
            }
        }

        if (k == 0 && _pool[PoolSize - 1].Used)
        {
            return; // worse than every candidate of a full pool
        }

        if (k < PoolSize && !_pool[k].Used)
        {
            // An empty slot right here.
        }
        else if (!_pool[PoolSize - 1].Used)
        {
            var spare = _pool[PoolSize - 1].Buffer;
            Array.Copy(_pool, k, _pool, k + 1, PoolSize - k - 1);
            _pool[k].Buffer = spare;
        }
        else
        {
            k--;
            var spare = _pool[0].Buffer;
            Array.Copy(_pool, 1, _pool, 0, k);
            _pool[k].Buffer = spare;
        }

        ref var slot = ref _pool[k];
        if (slot.Buffer.Length < key.Length)
        {
            slot.Buffer = new byte[key.Length];
        }

        key.CopyTo(slot.Buffer);
        slot.Length = key.Length;
        slot.Score = score;
        slot.Db = db;
        slot.Used = true;
    }

    private static PoolEntry[] NewPool()
    {
        var pool = new PoolEntry[PoolSize];
        for (int k = 0; k < PoolSize; k++)
        {
            pool[k].Buffer = new byte[255];
        }

        return pool;
    }

    private struct PoolEntry
    {
        public ulong Score;
        public byte[] Buffer;
        public int Length;
        public int Db;
        public bool Used;

        public readonly ReadOnlySpan<byte> Key => Buffer.AsSpan(0, Length);
    }
}
