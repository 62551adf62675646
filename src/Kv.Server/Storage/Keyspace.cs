namespace Kv.Server.Storage;

/// <summary>
/// All databases and the lock that serializes commands against them. Like Redis, commands run one
/// at a time: a connection takes <see cref="Lock"/> once per pipelined batch.
/// </summary>
internal sealed class Keyspace
{
    public Keyspace(int databases, TimeProvider time)
    {
        Time = time;
        _systemClock = ReferenceEquals(time, TimeProvider.System);
        CalibrateClock();
        Databases = new Database[databases];
        for (int i = 0; i < databases; i++)
        {
            Databases[i] = new Database(i, this);
        }

        Blocking = new Blocking.BlockingKeys(this, databases);
    }

    public Lock Lock { get; } = new();

    /// <summary>
    /// Start-up is loading the data: nothing expires until it is done (Redis's keyIsExpired and
    /// checkAlreadyExpired while loading), so an AOF's later commands — a PERSIST, a new PEXPIREAT —
    /// still find keys whose old TTL has passed, as they did when they were written.
    /// </summary>
    public bool Loading { get; set; }

    /// <summary>Key blocks dropped by the running command, freed when it ends (<see cref="FreeReleased"/>).</summary>
    public BlockReleases Releases { get; } = new();

    /// <summary>Frees the key blocks dropped so far: at the end of each batch of commands and each cron slice, under <see cref="Lock"/>.</summary>
    public void FreeReleased()
    {
        if (Releases.Pending)
        {
            Releases.FreeAll();
        }
    }

    public Database[] Databases { get; }

    public TimeProvider Time { get; }

    /// <summary>Clients blocked on keys; writes that create a key signal it (Redis's dbAdd → signalKeyAsReady).</summary>
    public Blocking.BlockingKeys Blocking { get; }

    public KeyspaceStats Stats { get; } = new();

    /// <summary>Writes since the last save, as Redis's <c>dirty</c> counter.</summary>
    public long Dirty { get; set; }

    public long NowMilliseconds => NowAt(System.Diagnostics.Stopwatch.GetTimestamp());

    // With the system clock, unix time comes from the Stopwatch timestamp the dispatcher reads anyway
    // (one clock read per command for both the keyspace's time and commandstats, as Redis's call()
    // reads ustime() once for both), plus an offset in Stopwatch ticks the cron re-reads from the wall
    // clock. Kept in ticks, not milliseconds, so the millisecond it gives is the wall clock's own (as
    // Redis's mstime() is ustime() / 1000) rather than off by the two clocks' different fractions of a
    // millisecond; TIME reads the same clock (<see cref="NowMicroseconds"/>), so a script's TIME and
    // the expiry of a key it set from it agree.
    private readonly bool _systemClock;
    private long _wallOffsetTicks;

    /// <summary>Unix milliseconds at Stopwatch timestamp <paramref name="timestamp"/> (the injected clock's now when it is not the system's).</summary>
    public long NowAt(long timestamp) =>
        _systemClock ? (Volatile.Read(ref _wallOffsetTicks) + timestamp) / TicksPerMillisecond : Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Unix microseconds now, by the clock <see cref="NowAt"/> reads (TIME, INFO server_time_usec).</summary>
    public long NowMicroseconds
    {
        get
        {
            if (!_systemClock)
            {
                return (Time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
            }

            long ticks = Volatile.Read(ref _wallOffsetTicks) + System.Diagnostics.Stopwatch.GetTimestamp();
            long frequency = System.Diagnostics.Stopwatch.Frequency;
            return (ticks / frequency * 1_000_000) + (ticks % frequency * 1_000_000 / frequency);
        }
    }

    private static readonly long TicksPerMillisecond = System.Diagnostics.Stopwatch.Frequency / 1000;

    // A wall-clock read whose two surrounding Stopwatch reads are further apart than this was
    // interrupted (the thread was descheduled between them: under load, for a whole time slice of
    // several milliseconds); another read is tried.
    private static readonly long CalibrationBracket = System.Diagnostics.Stopwatch.Frequency / 20_000; // 50 µs
    private const int CalibrationAttempts = 4;

    /// <summary>Re-reads the wall clock (at start and every cron tick), so a clock step shows within 100 ms, as Redis's cached time.</summary>
    public void CalibrateClock()
    {
        if (!_systemClock)
        {
            return;
        }

        // The wall clock is read between two Stopwatch reads and paired with the first: the offset is
        // then never behind the wall clock (a time read here is not earlier than the wall clock a
        // client read before sending, or an EXPIREAT of now + 1 h would show a TTL just over an hour),
        // and ahead of it by at most the bracket. A bracket stretched by a descheduled thread would put
        // the clock behind by as much, so the narrowest of a few reads is kept.
        long best = 0, bestWidth = long.MaxValue;
        for (int attempt = 0; attempt < CalibrationAttempts && bestWidth > CalibrationBracket; attempt++)
        {
            long before = System.Diagnostics.Stopwatch.GetTimestamp();
            long wallTicks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
            long after = System.Diagnostics.Stopwatch.GetTimestamp();
            if (after - before < bestWidth)
            {
                bestWidth = after - before;
                // + 1 DateTime tick: the wall clock read is truncated to 100 ns.
                best = (long)((Int128)(wallTicks + 1) * System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond) - before;
            }
        }

        Volatile.Write(ref _wallOffsetTicks, best);
    }

    /// <summary>Where write effects go for the append-only file (Redis's propagate); records nothing until the AOF is on.</summary>
    public Persistence.Propagation Propagation { get; } = new();

    /// <summary>maxmemory-policy is an LFU one: access times hold Redis's LFU counter instead (set by <see cref="Persistence.MemoryLimit"/>).</summary>
    public bool Lfu { get; set; }

    public int LfuLogFactor { get; set; } = 10;

    public int LfuDecayTime { get; set; } = 1;

    /// <summary>maxmemory is set: a changed key's estimated size is refreshed after each write.</summary>
    public bool TrackMemory { get; set; }

    /// <summary>Client-side caching; set by the server (null for a bare keyspace).</summary>
    public Tracking.TrackingTable? Tracking { get; set; }

    /// <summary>Publishes keyspace notifications; set by the server (null for a bare keyspace).</summary>
    public PubSub.KeyspaceNotifier? Notifier { get; set; }

    /// <summary>
    /// A write changed <paramref name="key"/> of <paramref name="db"/>: Redis's signalModifiedKey
    /// (touches WATCHed keys, invalidates tracked keys) plus notifyKeyspaceEvent. Nobody watching and
    /// notify-keyspace-events empty cost two branches.
    /// </summary>
    public void Modified(Database db, ReadOnlySpan<byte> key, int eventClass, ReadOnlySpan<byte> eventName)
    {
        if (db.Watched.Count != 0)
        {
            db.Watched.Touch(db, key);
        }

        if (Propagation.Observing)
        {
            Propagation.Observe(db.Id, key, eventClass);
        }

        if (TrackMemory)
        {
            db.Table.Refresh(key);
        }

        // Client tracking: clients that may cache the key are told (Redis's trackingInvalidateKey).
        if (Tracking is { HasEntries: true } tracking)
        {
            tracking.Invalidate(db.Id, key, expired: eventClass == Configuration.KeyspaceEvents.Expired);
        }

        Notifier?.Notify(eventClass, eventName, key, db.Id);
    }

    /// <summary>
    /// FLUSHDB/FLUSHALL is about to empty <paramref name="db"/> (Redis's signalFlushedDb): every
    /// watched key that exists there is touched. Call before clearing.
    /// </summary>
    public void Flushing(Database db, long now)
    {
        db.Watched.TouchAll(db, null, now);
        Propagation.Tracker?.Flushed(db.Id);
    }

    /// <summary>SWAPDB is about to exchange two databases: watched keys present in either are touched. Call before swapping.</summary>
    public void Swapping(Database first, Database second, long now)
    {
        first.Watched.TouchAll(first, second, now);
        second.Watched.TouchAll(second, first, now);
        Propagation.Tracker?.Swapped();
    }
}

/// <summary>Counters INFO stats reports; changed only under the keyspace lock.</summary>
internal sealed class KeyspaceStats
{
    public long ExpiredKeys;
    public long EvictedKeys;
    public long KeyspaceHits;
    public long KeyspaceMisses;
    public long ExpiredStalePercent;
    public long ExpireCycleCpuMilliseconds;
}
