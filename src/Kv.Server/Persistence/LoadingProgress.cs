using System.Globalization;

namespace Kv.Server.Persistence;

/// <summary>
/// How far start-up loading has got, for INFO persistence's loading_* fields (Redis 7.0's
/// startLoading / loadingAbsProgress and genRedisInfoString). The loader writes, INFO reads from
/// other threads: plain 64-bit fields, read and written whole.
/// </summary>
internal sealed class LoadingProgress
{
    private long _startTime;
    private long _totalBytes;
    private long _loadedBytes;
    private long _rdbUsedMemory;

    /// <summary>startLoading: the unix time and the bytes of every file to load (the RDB, or the AOF's base and incr files).</summary>
    public void Start(long unixSeconds, long totalBytes)
    {
        Volatile.Write(ref _startTime, unixSeconds);
        Volatile.Write(ref _totalBytes, totalBytes);
        Volatile.Write(ref _loadedBytes, 0);
        Volatile.Write(ref _rdbUsedMemory, 0);
    }

    /// <summary>loadingAbsProgress: bytes of the files loaded so far.</summary>
    public void Loaded(long bytes) => Volatile.Write(ref _loadedBytes, bytes);

    /// <summary>The used-mem AUX field of the RDB being loaded (loading_rdb_used_mem).</summary>
    public void RdbUsedMemory(long bytes) => Volatile.Write(ref _rdbUsedMemory, bytes);

    /// <summary>The fields Redis adds to INFO persistence while it loads, with its ETA estimate.</summary>
    public void Describe(long nowSeconds, Action<string, long> number, Action<string, string> text)
    {
        long start = Volatile.Read(ref _startTime);
        long total = Volatile.Read(ref _totalBytes);
        long loaded = Math.Min(Volatile.Read(ref _loadedBytes), Math.Max(total, 0));
        double percent = 0;
        long remaining = 1;
        if (total > 0)
        {
            percent = (double)loaded / total * 100;
            remaining = total - loaded;
        }

        // Redis: a fake 1 second figure while no whole second has passed.
        long elapsed = nowSeconds - start;
        long eta = elapsed == 0 ? 1 : elapsed * remaining / (loaded + 1);
        number("loading_start_time", start);
        number("loading_total_bytes", total);
        number("loading_rdb_used_mem", Volatile.Read(ref _rdbUsedMemory));
        number("loading_loaded_bytes", loaded);
        text("loading_loaded_perc", percent.ToString("F2", CultureInfo.InvariantCulture));
        number("loading_eta_seconds", eta);
    }
}

/// <summary>
/// Redis's debugDelay, behind key-load-delay (per key or command loaded) and rdb-key-save-delay (per
/// key saved): positive, microseconds each;
/// negative -N, one microsecond every N. Sleeps are gathered to whole milliseconds.
/// </summary>
internal struct DebugDelay(int setting)
{
    private long _pendingMicroseconds;

    /// <summary>True when a millisecond or more of delay is owed (the loader lets go of the keyspace lock, then calls <see cref="Sleep"/>).</summary>
    public readonly bool Due => _pendingMicroseconds >= 1000;

    /// <summary>One more key (or command) loaded, the <paramref name="loaded"/>th.</summary>
    public void Count(long loaded)
    {
        if (setting > 0)
        {
            _pendingMicroseconds += setting;
        }
        else if (setting < 0 && loaded % -(long)setting == 0)
        {
            _pendingMicroseconds++;
        }
    }

    public void Sleep()
    {
        Thread.Sleep((int)Math.Min(_pendingMicroseconds / 1000, int.MaxValue));
        _pendingMicroseconds %= 1000;
    }
}
