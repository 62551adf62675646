using System.Diagnostics;
using Kv.Server.Commands;
using Kv.Server.Configuration;
using Kv.Server.Network;
using Kv.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Kv.Server;

/// <summary>Everything a running server shares between connections.</summary>
internal sealed class ServerState
{
    public ServerState(ServerConfig config, TimeProvider time, ILogger logger)
    {
        Config = config;
        Time = time;
        Logger = logger;
        Keyspace = new Keyspace(config.Databases, time);
        Commands = CommandTable.CreateDefault();
        PubSub = new PubSub.PubSubHub(config, time, logger);
        Keyspace.Notifier = new PubSub.KeyspaceNotifier(config, PubSub);
        Tracking = new Tracking.TrackingTable(config, Clients, PubSub);
        Keyspace.Tracking = Tracking;
        StartedAt = time.GetUtcNow();
        StartTimestamp = Stopwatch.GetTimestamp();
        // Random identities as Redis makes them (40 hex characters). Not secrets: Random rather than
        // the crypto RNG, which would load OpenSSL (about 5 MB of resident memory) at every start.
        Scripting = new Scripting.ScriptingEngine(this);
        RunId = RandomHex();
        ReplicationId = RandomHex();
        Keyspace.Propagation.Bind(this);
        Aof = new Persistence.Aof.AppendOnlyFile(this);
        Aof.Initialize();
        Memory = new Persistence.MemoryLimit(this);
        Rdb = new Persistence.Rdb.RdbPersistence(this);
    }

    public ServerConfig Config { get; }

    /// <summary>Error replies by code (INFO errorstats).</summary>
    public ErrorStats ErrorStats { get; } = new();

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public Keyspace Keyspace { get; }

    public CommandTable Commands { get; }

    public ClientRegistry Clients { get; } = new();

    public ServerStats Stats { get; } = new();

    public SlowLog SlowLog { get; } = new();

    public PubSub.PubSubHub PubSub { get; }

    /// <summary>The append-only file (off unless appendonly yes).</summary>
    public Persistence.Aof.AppendOnlyFile Aof { get; }

    /// <summary>RDB snapshots: SAVE, BGSAVE, save points, loading state.</summary>
    public Persistence.Rdb.RdbPersistence Rdb { get; }

    /// <summary>maxmemory: accounting and eviction.</summary>
    public Persistence.MemoryLimit Memory { get; }

    /// <summary>
    /// True for the kv-server process, false for a server embedded in an app: only the process's own
    /// server tunes the GC for the whole process (<see cref="Persistence.MemoryReclaim.LimitYoungGeneration"/>).
    /// </summary>
    public bool OwnsProcess { get; set; }

    /// <summary>Memory given back to the OS after a large drop (FLUSHALL, big deletions) and on MEMORY PURGE.</summary>
    public Persistence.MemoryReclaim Reclaim { get; } = new();

    /// <summary>Client-side caching: tracked keys, BCAST prefixes, invalidations.</summary>
    public Tracking.TrackingTable Tracking { get; }

    /// <summary>EVAL scripts and functions (their Lua states are made on first use).</summary>
    public Scripting.ScriptingEngine Scripting { get; }

    public DateTimeOffset StartedAt { get; }

    public long StartTimestamp { get; }

    public string RunId { get; }

    /// <summary>master_replid of INFO replication.</summary>
    public string ReplicationId { get; }

    /// <summary>The TCP port actually bound (differs from the config when it asked for 0).</summary>
    public int BoundPort { get; set; }

    /// <summary>Asks the host to stop (SHUTDOWN).</summary>
    public Action? RequestShutdown { get; set; }

    public bool RequiresPassword => Config.RequirePass.Length > 0;

    /// <summary>
    /// Runs <paramref name="work"/> under the keyspace lock; while a script past busy-reply-threshold holds
    /// it, on the script's thread instead (its hook runs handed-over work), so no connection ever waits
    /// for a runaway script to end. For the rare paths outside a batch: a client closing, a blocked
    /// client giving up.
    /// </summary>
    public void UnderKeyspaceLock(Action work)
    {
        var gate = Keyspace.Lock;
        while (true)
        {
            if (gate.TryEnter(20))
            {
                try
                {
                    work();
                }
                finally
                {
                    gate.Exit();
                }

                return;
            }

            if (Scripting.BusyError() is not null && Scripting.WhileBusy.TryRun(work))
            {
                return;
            }
        }
    }

    private static string RandomHex()
    {
        Span<byte> bytes = stackalloc byte[20];
        Random.Shared.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}

/// <summary>Server-wide counters INFO stats reports.</summary>
internal sealed class ServerStats
{
    public long TotalConnectionsReceived;
    public long TotalCommandsProcessed;
    public long RejectedConnections;
    public long TotalNetInputBytes;
    public long TotalNetOutputBytes;
    public long UnexpectedErrorReplies;
}
