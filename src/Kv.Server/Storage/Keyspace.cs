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
        Databases = new Database[databases];
        for (int i = 0; i < databases; i++)
        {
            Databases[i] = new Database(i, this);
        }

        Blocking = new Blocking.BlockingKeys(this, databases);
    }

    public Lock Lock { get; } = new();

    public Database[] Databases { get; }

    public TimeProvider Time { get; }

    /// <summary>Clients blocked on keys; writes that create a key signal it (Redis's dbAdd → signalKeyAsReady).</summary>
    public Blocking.BlockingKeys Blocking { get; }

    public KeyspaceStats Stats { get; } = new();

    /// <summary>Writes since the last save, as Redis's <c>dirty</c> counter.</summary>
    public long Dirty { get; set; }

    public long NowMilliseconds => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Client-side caching; set by the server (null for a bare keyspace).</summary>
    public Tracking.TrackingTable? Tracking { get; set; }

    // TEMPORARY until the per-key modification hook (Keyspace.Modified, helper tx) is merged: the
    // Database write paths below call this so tracking can be tested. Removed at the merge.
    internal void TrackingModified(Database db, ReadOnlySpan<byte> key, bool expired = false)
    {
        if (Tracking is { HasEntries: true } tracking)
        {
            tracking.Invalidate(db.Id, key, expired);
        }
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
