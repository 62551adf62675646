namespace Kv.AspNetCore;

/// <summary>The Kv server started inside the app when no endpoint is configured.</summary>
public sealed class KvEmbeddedServerOptions
{
    /// <summary>
    /// The folder of the server's data (its append-only file), relative to the app's content root
    /// unless absolute. Created when missing. Default: <c>kv-data</c>.
    /// </summary>
    public string DataDirectory { get; set; } = "kv-data";

    /// <summary>
    /// The loopback TCP port that stays open so redis-cli (or another process) can look inside; 0
    /// (default) picks a free port, which the server logs at start. The app itself reaches the server
    /// in memory (see <see cref="Transport"/>).
    /// </summary>
    public int Port { get; set; }

    /// <summary>
    /// The memory ceiling, in redis.conf units (<c>256mb</c>, <c>1gb</c>, or bytes); <c>0</c> for none.
    /// Past it, keys are evicted by <see cref="MaxMemoryPolicy"/>. Default: <c>256mb</c>.
    /// </summary>
    public string MaxMemory { get; set; } = "256mb";

    /// <summary>
    /// Which keys go when the ceiling is reached. Default <c>volatile-lru</c>: only keys with a TTL
    /// (cache entries and sessions), least recently used first, so leaderboards and locks are never
    /// evicted; writes fail with OOM once only keys without TTL remain. Any Redis policy name is accepted.
    /// </summary>
    public string MaxMemoryPolicy { get; set; } = "volatile-lru";

    /// <summary>Keep the append-only file (every write, fsync once a second), so data survives a restart. Default: true.</summary>
    public bool AppendOnly { get; set; } = true;

    /// <summary>How the app's own client reaches the server. Default: <see cref="KvEmbeddedTransport.InMemory"/>.</summary>
    public KvEmbeddedTransport Transport { get; set; } = KvEmbeddedTransport.InMemory;

    /// <summary>Further redis.conf settings as kv-server takes them on its command line, such as <c>["--hz", "50"]</c>.</summary>
    public IList<string> Arguments { get; set; } = [];
}

/// <summary>How an app reaches its embedded server.</summary>
public enum KvEmbeddedTransport
{
    /// <summary>An in-memory pipe into the server's connection handler: no socket, no loopback TCP stack.</summary>
    InMemory,

    /// <summary>A TCP connection to the loopback listener, as an external client would connect.</summary>
    Loopback,
}
