namespace Kv.AspNetCore;

/// <summary>The distributed cache registered by <c>AddKvCache</c>; configuration section <c>Kv:Cache</c>.</summary>
public sealed class KvCacheOptions
{
    /// <summary>
    /// Prepended to every key, exactly as Microsoft's Redis cache (<c>RedisCacheOptions.InstanceName</c>)
    /// prepends it, so both packages find the same entries; include a separator yourself (<c>shop:</c>).
    /// Null or empty: none.
    /// </summary>
    public string? InstanceName { get; set; }

    /// <summary>What the cache does when the server cannot be reached. Default: <see cref="KvFailureMode.Throw"/>.</summary>
    public KvFailureMode OnServerUnavailable { get; set; } = KvFailureMode.Throw;

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
