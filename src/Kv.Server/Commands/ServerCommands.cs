using Kv.Protocol;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Commands;

/// <summary>Server commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN, SLOWLOG, CLUSTER, READONLY, READWRITE.</summary>
internal static class ServerCommands
{
    private const string ClusterDisabled = "ERR This instance has cluster support disabled";

    private static readonly string[] SlowLogHelp =
    [
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];

    // Redis 7.0's CLUSTER subcommands (name, arity, flags): all answer "cluster support disabled",
    // while a name that is not among them gets the usual unknown-subcommand error, as in Redis.
    private static readonly (string Name, int Arity, string Flags)[] ClusterSubcommands =
    [
        ("addslots", -3, "admin stale"), ("addslotsrange", -4, "admin stale"), ("bumpepoch", 2, "admin stale"),
        ("count-failure-reports", 3, "admin stale"), ("countkeysinslot", 3, "stale"), ("delslots", -3, "admin stale"),
        ("delslotsrange", -4, "admin stale"), ("failover", -2, "admin stale"), ("flushslots", 2, "admin stale"),
        ("forget", 3, "admin stale"), ("getkeysinslot", 4, "stale"), ("help", 2, "loading stale"), ("info", 2, "stale"),
        ("keyslot", 3, "stale"), ("links", 2, "stale"), ("meet", -4, "admin stale"), ("myid", 2, "stale"),
        ("nodes", 2, "stale"), ("replicas", 3, "admin stale"), ("replicate", 3, "admin stale"), ("reset", -2, "admin noscript stale"),
        ("saveconfig", 2, "admin stale"), ("set-config-epoch", 3, "admin stale"), ("setslot", -4, "admin stale"),
        ("shards", 2, "stale"), ("slaves", 3, "admin stale"), ("slots", 2, "stale"),
    ];

    public static void Register(CommandTable table)
    {
        InfoCommand.Register(table);
        table.Add("dbsize", 1, "readonly fast", 0, 0, 0, "@keyspace", DbSize, "server", "Returns the number of keys in the database.")
            .Tips = ["request_policy:all_shards", "response_policy:agg_sum"];
        table.Add("flushdb", -1, "write", 0, 0, 0, "@keyspace @dangerous", FlushDb, "server", "Removes all keys from the current database.", "1.0.0", "O(N) where N is the number of keys in the selected database")
            .Tips = ["request_policy:all_shards", "response_policy:all_succeeded"];
        table.Add("flushall", -1, "write", 0, 0, 0, "@keyspace @dangerous", FlushAll, "server", "Removes all keys from all databases.", "1.0.0", "O(N) where N is the total number of keys in all databases")
            .Tips = ["request_policy:all_shards", "response_policy:all_succeeded"];
        table.Add("swapdb", 3, "write fast", 0, 0, 0, "@keyspace @dangerous", SwapDb, "server", "Swaps two Redis databases.", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.");
        table.Add("time", 1, "loading stale fast", 0, 0, 0, "", Time, "server", "Returns the server time.", "2.6.0")
            .Tips = ["nondeterministic_output"];
        table.Add("shutdown", -1, "admin noscript loading stale no_multi allow_busy", 0, 0, 0, "", Shutdown, "server", "Synchronously saves the database(s) to disk and shuts down the Redis server.", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)");
        table.Add("readonly", 1, "loading stale fast", 0, 0, 0, "@connection", Disabled, "cluster", "Enables read-only queries for a connection to a Redis Cluster replica node.", "3.0.0");
        table.Add("readwrite", 1, "loading stale fast", 0, 0, 0, "@connection", Disabled, "cluster", "Enables read-write queries for a connection to a Redis Cluster replica node.", "3.0.0");

        var slowlog = table.Add("slowlog", -2, "", 0, 0, 0, "", null, "server", "A container for slow log commands.", "2.2.12", "Depends on subcommand.");
        slowlog.AddSubcommand(CommandTable.Create("get", -2, "admin loading stale", 0, 0, 0, "", SlowLogGet, "server", "Returns the slow log's entries.", "2.2.12", "O(N) where N is the number of entries returned"));
        slowlog.AddSubcommand(CommandTable.Create("len", 2, "admin loading stale", 0, 0, 0, "", SlowLogLen, "server", "Returns the number of entries in the slow log.", "2.2.12"));
        slowlog.AddSubcommand(CommandTable.Create("reset", 2, "admin loading stale", 0, 0, 0, "", SlowLogReset, "server", "Clears all entries from the slow log.", "2.2.12", "O(N) where N is the number of entries in the slowlog"));
        slowlog.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "", SlowLogHelpCommand, "server", "Show helpful text about the different subcommands", "6.2.0"));
        slowlog.Subcommands["get"].Tips = ["request_policy:all_nodes", "nondeterministic_output"];
        slowlog.Subcommands["len"].Tips = ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"];
        slowlog.Subcommands["reset"].Tips = ["request_policy:all_nodes", "response_policy:all_succeeded"];

        var cluster = table.Add("cluster", -2, "", 0, 0, 0, "", null, "cluster", "A container for Redis Cluster commands.", "3.0.0", "Depends on subcommand.");
        foreach (var (name, arity, flags) in ClusterSubcommands)
        {
            cluster.AddSubcommand(CommandTable.Create(name, arity, flags, 0, 0, 0, "", Disabled, "cluster", $"Redis Cluster's CLUSTER {name.ToUpperInvariant()} (cluster support is disabled in kv-server).", "3.0.0"));
        }
    }

    private static void DbSize(CommandContext c) => c.Reply.Integer(c.Db.Count);

    private static void FlushDb(CommandContext c)
    {
        if (!ValidFlushMode(c))
        {
            return;
        }

        c.Dirty(c.Db.Count);
        c.Db.Clear();
        c.Reply.Ok();
    }

    private static void FlushAll(CommandContext c)
    {
        if (!ValidFlushMode(c))
        {
            return;
        }

        foreach (var db in c.Keyspace.Databases)
        {
            c.Dirty(db.Count);
            db.Clear();
        }

        c.Reply.Ok();
    }

    // FLUSHDB/FLUSHALL [ASYNC|SYNC]: both free memory at once here (the old table is left to the GC).
    private static bool ValidFlushMode(CommandContext c)
    {
        if (c.ArgCount > 2 || (c.ArgCount == 2 && !c.ArgIs(1, "sync"u8) && !c.ArgIs(1, "async"u8)))
        {
            c.Reply.Error(Errors.Syntax);
            return false;
        }

        return true;
    }

    // SWAPDB index1 index2: Redis parses each as an int ("invalid first/second DB index"), then checks the range.
    private static void SwapDb(CommandContext c)
    {
        if (!TryDbIndex(c.Arg(1), out int first))
        {
            c.Reply.Error("ERR invalid first DB index");
            return;
        }

        if (!TryDbIndex(c.Arg(2), out int second))
        {
            c.Reply.Error("ERR invalid second DB index");
            return;
        }

        var databases = c.Keyspace.Databases;
        if (first < 0 || first >= databases.Length || second < 0 || second >= databases.Length)
        {
            c.Reply.Error(Errors.DbIndexOutOfRange);
            return;
        }

        if (first != second)
        {
            databases[first].SwapWith(databases[second]);
        }

        c.Dirty();
        c.Reply.Ok();
    }

    private static bool TryDbIndex(ReadOnlySpan<byte> text, out int index)
    {
        index = 0;
        if (!RespNumber.TryParseInt64(text, out long value) || value < int.MinValue || value > int.MaxValue)
        {
            return false;
        }

        index = (int)value;
        return true;
    }

    // TIME: unix seconds and the microseconds within the second, both as bulk strings.
    private static void Time(CommandContext c)
    {
        long micros = (c.Server.Time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks / 10;
        c.Reply.ArrayHeader(2);
        c.Reply.BulkInteger(micros / 1_000_000);
        c.Reply.BulkInteger(micros % 1_000_000);
    }

    // SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], parsed as Redis 7.0's shutdownCommand. On
    // success nothing is replied: the connection just closes, as the server goes away.
    private static void Shutdown(CommandContext c)
    {
        bool noSave = false, save = false, now = false, force = false, abort = false;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "nosave"u8))
            {
                noSave = true;
            }
            else if (c.ArgIs(i, "save"u8))
            {
                save = true;
            }
            else if (c.ArgIs(i, "now"u8))
            {
                now = true;
            }
            else if (c.ArgIs(i, "force"u8))
            {
                force = true;
            }
            else if (c.ArgIs(i, "abort"u8))
            {
                abort = true;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        if ((abort && (noSave || save || now || force)) || (noSave && save))
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (abort)
        {
            // Shutdown here is immediate, so there is never one in progress to abort.
            c.Reply.Error("ERR No shutdown in progress.");
            return;
        }

        if (save && !force)
        {
            // Redis answers this when the final save fails; kv-server has no snapshots to save yet.
            c.Server.Logger.LogWarning("SHUTDOWN SAVE refused: snapshots are not implemented yet in kv-server (use SHUTDOWN NOSAVE, or FORCE).");
            c.Reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
            return;
        }

        c.Server.Logger.LogWarning("User requested shutdown...");
        c.Client.CloseRequested = true;
        c.Server.RequestShutdown?.Invoke();
    }

    private static void Disabled(CommandContext c) => c.Reply.Error(ClusterDisabled);

    // SLOWLOG GET [count]: newest first; count -1 means all, default 10.
    private static void SlowLogGet(CommandContext c)
    {
        if (c.ArgCount > 3)
        {
            c.Reply.Error("ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.");
            return;
        }

        long count = 10;
        if (c.ArgCount == 3)
        {
            if (!RespNumber.TryParseInt64(c.Arg(2), out count) || count < -1)
            {
                c.Reply.Error("ERR count should be greater than or equal to -1");
                return;
            }
        }

        var log = c.Server.SlowLog;
        if (count == -1 || count > log.Count)
        {
            count = log.Count;
        }

        var reply = c.Reply;
        reply.ArrayHeader(count);
        foreach (var entry in log.Entries)
        {
            if (count-- == 0)
            {
                break;
            }

            reply.ArrayHeader(6);
            reply.Integer(entry.Id);
            reply.Integer(entry.Timestamp);
            reply.Integer(entry.Microseconds);
            reply.ArrayHeader(entry.Arguments.Length);
            foreach (var argument in entry.Arguments)
            {
                reply.Bulk(argument);
            }

            reply.Bulk(entry.ClientAddress);
            reply.Bulk(entry.ClientName);
        }
    }

    private static void SlowLogLen(CommandContext c) => c.Reply.Integer(c.Server.SlowLog.Count);

    private static void SlowLogReset(CommandContext c)
    {
        c.Server.SlowLog.Reset();
        c.Reply.Ok();
    }

    private static void SlowLogHelpCommand(CommandContext c) => ClientCommands.WriteHelp(c.Reply, SlowLogHelp);
}
