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
        StartedAt = time.GetUtcNow();
        StartTimestamp = Stopwatch.GetTimestamp();
        RunId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20));
    }

    public ServerConfig Config { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public Keyspace Keyspace { get; }

    public CommandTable Commands { get; }

    public ClientRegistry Clients { get; } = new();

    public ServerStats Stats { get; } = new();

    public SlowLog SlowLog { get; } = new();

    public DateTimeOffset StartedAt { get; }

    public long StartTimestamp { get; }

    public string RunId { get; }

    /// <summary>The TCP port actually bound (differs from the config when it asked for 0).</summary>
    public int BoundPort { get; set; }

    /// <summary>Asks the host to stop (SHUTDOWN).</summary>
    public Action? RequestShutdown { get; set; }

    public bool RequiresPassword => Config.RequirePass.Length > 0;
}

/// <summary>Server-wide counters INFO stats reports.</summary>
internal sealed class ServerStats
{
    public long TotalConnectionsReceived;
    public long TotalCommandsProcessed;
    public long RejectedConnections;
    public long TotalNetInputBytes;
    public long TotalNetOutputBytes;
    public long TotalErrorReplies;
    public long UnexpectedErrorReplies;
}
