namespace Kv.AspNetCore;

/// <summary>The distributed cache registered by <c>AddKvCache</c>; configuration section <c>Kv:Cache</c>.</summary>
public sealed class KvCacheOptions
{
    /// <summary>
    /// Prepended to every key, exactly as Microsoft's Redis cache (<c>RedisCacheOptions.InstanceName</c>)
    /// prepends it, so both packages find the same entries; include a separator yourself (<c>shop:</c>).
    /// Null or empty: none. With <see cref="UseGenerations"/>, the generation and a colon follow it.
    /// </summary>
    public string? InstanceName { get; set; }

    /// <summary>What the cache does when the server cannot be reached. Default: <see cref="KvFailureMode.Throw"/>.</summary>
    public KvFailureMode OnServerUnavailable { get; set; } = KvFailureMode.Throw;

    /// <summary>
    /// Puts a generation number after the instance name in every key (<c>shop:&lt;generation&gt;:cart</c>
    /// for the key <c>cart</c>, the generation kept at <c>shop:__generation</c>), so that <c>ClearAsync</c>
    /// is one command, O(1), however many entries there are: it moves the generation on, the old
    /// entries are invisible at once (to other app instances as soon as the server's invalidation
    /// reaches them: milliseconds) and a sweep in the background removes them. Default: false.
    /// <para>
    /// This departs from the layout of Microsoft's Redis cache: entries are not shared with an app
    /// that uses its <c>RedisCache</c> (nor with this cache with generations off), and no other keys
    /// may start with the instance name. Needs <see cref="InstanceName"/> (checked when the host
    /// starts). Generations come from the server's clock (microseconds), so a generation key lost from
    /// the server (evicted, deleted) starts a new generation: losing it clears the cache, and never
    /// brings back entries cleared before. Off, <c>ClearAsync</c> walks the whole database with SCAN, O(n).
    /// </para>
    /// </summary>
    public bool UseGenerations { get; set; }

    /// <summary>The in-process copy of hot entries, kept fresh by the server's invalidations. Off by default.</summary>
    public KvNearCacheOptions NearCache { get; set; } = new();
}

/// <summary>An in-process copy of entries read recently, invalidated by the server (CLIENT TRACKING).</summary>
public sealed class KvNearCacheOptions
{
    /// <summary>Keep a near cache. Default: false.</summary>
    public bool Enabled { get; set; }

    /// <summary>The most bytes of values it holds (keys and bookkeeping are counted too); least recently used go first. Default: 64 MB.</summary>
    public long MaxBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>What a building block does when the server cannot be reached.</summary>
public enum KvFailureMode
{
    /// <summary>Throw <c>KvConnectionException</c> (or <see cref="TimeoutException"/>) to the caller (fail closed).</summary>
    Throw,

    /// <summary>Log a warning and go on without the server (fail open): a cache read is a miss, a write is skipped.</summary>
    Ignore,
}
