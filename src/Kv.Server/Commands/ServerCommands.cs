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

    public static void Register(CommandTable table)
    {
        InfoCommand.Register(table);
        table.Add("dbsize", 1, "readonly fast", 0, 0, 0, "@keyspace", DbSize, "server", "Return the number of keys in the selected database")
            .WithTips("request_policy:all_shards", "response_policy:agg_sum");
        table.Add("flushdb", -1, "write", 0, 0, 0, "@keyspace @dangerous", FlushDb, "server", "Remove all keys from the current database", "1.0.0", "O(N) where N is the number of keys in the selected database")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded")
            .WithArgs("async:oneof?(async:pure-token=ASYNC@4.0.0 sync:pure-token=SYNC@6.2.0)")
            .WithHistory(("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier."));
        table.Add("flushall", -1, "write", 0, 0, 0, "@keyspace @dangerous", FlushAll, "server", "Remove all keys from all databases", "1.0.0", "O(N) where N is the total number of keys in all databases")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded")
            .WithArgs("async:oneof?(async:pure-token=ASYNC@4.0.0 sync:pure-token=SYNC@6.2.0)")
            .WithHistory(("4.0.0", "Added the `ASYNC` flushing mode modifier."), ("6.2.0", "Added the `SYNC` flushing mode modifier."));
        table.Add("swapdb", 3, "write fast", 0, 0, 0, "@keyspace @dangerous", SwapDb, "server", "Swaps two Redis databases", "4.0.0", "O(N) where N is the count of clients watching or blocking on keys from both databases.")
            .WithArgs("index1:integer index2:integer");
        table.Add("time", 1, "loading stale fast", 0, 0, 0, "", Time, "server", "Return the current server time", "2.6.0")
            .WithTips("nondeterministic_output");
        table.Add("shutdown", -1, "admin noscript loading stale no_multi allow_busy", 0, 0, 0, "", Shutdown, "server", "Synchronously save the dataset to disk and then shut down the server", "1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)")
            .WithArgs("nosave_save:oneof?(nosave:pure-token=NOSAVE save:pure-token=SAVE) now:pure-token=NOW@7.0.0? force:pure-token=FORCE@7.0.0? abort:pure-token=ABORT@7.0.0?")
            .WithHistory(("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."));
        table.Add("readonly", 1, "loading stale fast", 0, 0, 0, "@connection", Disabled, "cluster", "Enables read queries for a connection to a cluster replica node", "3.0.0");
        table.Add("readwrite", 1, "loading stale fast", 0, 0, 0, "@connection", Disabled, "cluster", "Disables read queries for a connection to a cluster replica node", "3.0.0");

        var slowlog = table.Add("slowlog", -2, "", 0, 0, 0, "", null, "server", "A container for slow log commands", "2.2.12", "Depends on subcommand.");
        slowlog.AddSubcommand(CommandTable.Create("get", -2, "admin loading stale", 0, 0, 0, "", SlowLogGet, "server", "Get the slow log's entries", "2.2.12", "O(N) where N is the number of entries returned")
            .WithTips("request_policy:all_nodes", "nondeterministic_output")
            .WithArgs("count:integer?")
            .WithHistory(("4.0.0", "Added client IP address, port and name to the reply.")));
        slowlog.AddSubcommand(CommandTable.Create("len", 2, "admin loading stale", 0, 0, 0, "", SlowLogLen, "server", "Get the slow log's length", "2.2.12")
            .WithTips("request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"));
        slowlog.AddSubcommand(CommandTable.Create("reset", 2, "admin loading stale", 0, 0, 0, "", SlowLogReset, "server", "Clear all entries from the slow log", "2.2.12", "O(N) where N is the number of entries in the slowlog")
            .WithTips("request_policy:all_nodes", "response_policy:all_succeeded"));
        slowlog.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "", SlowLogHelpCommand, "server", "Show helpful text about the different subcommands", "6.2.0"));

        // Cluster support is disabled: every CLUSTER subcommand of Redis 7.0 answers so, while other names get
        // the usual unknown-subcommand error, as in Redis.
        var cluster = table.Add("cluster", -2, "", 0, 0, 0, "", null, "cluster", "A container for cluster commands", "3.0.0", "Depends on subcommand.");
        cluster.AddSubcommand(CommandTable.Create("addslots", -3, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Assign new hash slots to receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments")
            .WithArgs("slot:integer*"));
        cluster.AddSubcommand(CommandTable.Create("addslotsrange", -4, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Assign new hash slots to receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.")
            .WithArgs("start-slot_end-slot:block*(start-slot:integer end-slot:integer)"));
        cluster.AddSubcommand(CommandTable.Create("bumpepoch", 2, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Advance the cluster config epoch", "3.0.0")
            .WithTips("nondeterministic_output"));
        cluster.AddSubcommand(CommandTable.Create("count-failure-reports", 3, "admin stale", 0, 0, 0, "", Disabled, "cluster", "Return the number of failure reports active for a given node", "3.0.0", "O(N) where N is the number of failure reports")
            .WithTips("nondeterministic_output")
            .WithArgs("node-id:string"));
        cluster.AddSubcommand(CommandTable.Create("countkeysinslot", 3, "stale", 0, 0, 0, "", Disabled, "cluster", "Return the number of local keys in the specified hash slot", "3.0.0")
            .WithArgs("slot:integer"));
        cluster.AddSubcommand(CommandTable.Create("delslots", -3, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Set hash slots as unbound in receiving node", "3.0.0", "O(N) where N is the total number of hash slot arguments")
            .WithArgs("slot:integer*"));
        cluster.AddSubcommand(CommandTable.Create("delslotsrange", -4, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Set hash slots as unbound in receiving node", "7.0.0", "O(N) where N is the total number of the slots between the start slot and end slot arguments.")
            .WithArgs("start-slot_end-slot:block*(start-slot:integer end-slot:integer)"));
        cluster.AddSubcommand(CommandTable.Create("failover", -2, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Forces a replica to perform a manual failover of its master.", "3.0.0")
            .WithArgs("options:oneof?(force:pure-token=FORCE takeover:pure-token=TAKEOVER)"));
        cluster.AddSubcommand(CommandTable.Create("flushslots", 2, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Delete a node's own slots information", "3.0.0"));
        cluster.AddSubcommand(CommandTable.Create("forget", 3, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Remove a node from the nodes table", "3.0.0")
            .WithArgs("node-id:string"));
        cluster.AddSubcommand(CommandTable.Create("getkeysinslot", 4, "stale", 0, 0, 0, "", Disabled, "cluster", "Return local key names in the specified hash slot", "3.0.0", "O(log(N)) where N is the number of requested keys")
            .WithTips("nondeterministic_output")
            .WithArgs("slot:integer count:integer"));
        cluster.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "", Disabled, "cluster", "Show helpful text about the different subcommands", "5.0.0"));
        cluster.AddSubcommand(CommandTable.Create("info", 2, "stale", 0, 0, 0, "", Disabled, "cluster", "Provides info about Redis Cluster node state", "3.0.0")
            .WithTips("nondeterministic_output"));
        cluster.AddSubcommand(CommandTable.Create("keyslot", 3, "stale", 0, 0, 0, "", Disabled, "cluster", "Returns the hash slot of the specified key", "3.0.0", "O(N) where N is the number of bytes in the key")
            .WithArgs("key:string"));
        cluster.AddSubcommand(CommandTable.Create("links", 2, "stale", 0, 0, 0, "", Disabled, "cluster", "Returns a list of all TCP links to and from peer nodes in cluster", "7.0.0", "O(N) where N is the total number of Cluster nodes")
            .WithTips("nondeterministic_output"));
        cluster.AddSubcommand(CommandTable.Create("meet", -4, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Force a node cluster to handshake with another node", "3.0.0")
            .WithArgs("ip:string port:integer cluster_bus_port:integer@4.0.0?")
            .WithHistory(("4.0.0", "Added the optional `cluster_bus_port` argument.")));
        cluster.AddSubcommand(CommandTable.Create("myid", 2, "stale", 0, 0, 0, "", Disabled, "cluster", "Return the node id", "3.0.0"));
        cluster.AddSubcommand(CommandTable.Create("nodes", 2, "stale", 0, 0, 0, "", Disabled, "cluster", "Get Cluster config for the node", "3.0.0", "O(N) where N is the total number of Cluster nodes")
            .WithTips("nondeterministic_output"));
        cluster.AddSubcommand(CommandTable.Create("replicas", 3, "admin stale", 0, 0, 0, "", Disabled, "cluster", "List replica nodes of the specified master node", "5.0.0")
            .WithTips("nondeterministic_output")
            .WithArgs("node-id:string"));
        cluster.AddSubcommand(CommandTable.Create("replicate", 3, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Reconfigure a node as a replica of the specified master node", "3.0.0")
            .WithArgs("node-id:string"));
        cluster.AddSubcommand(CommandTable.Create("reset", -2, "admin noscript stale", 0, 0, 0, "", Disabled, "cluster", "Reset a Redis Cluster node", "3.0.0", "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.")
            .WithArgs("hard_soft:oneof?(hard:pure-token=HARD soft:pure-token=SOFT)"));
        cluster.AddSubcommand(CommandTable.Create("saveconfig", 2, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Forces the node to save cluster state on disk", "3.0.0"));
        cluster.AddSubcommand(CommandTable.Create("set-config-epoch", 3, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Set the configuration epoch in a new node", "3.0.0")
            .WithArgs("config-epoch:integer"));
        cluster.AddSubcommand(CommandTable.Create("setslot", -4, "admin stale no_async_loading", 0, 0, 0, "", Disabled, "cluster", "Bind a hash slot to a specific node", "3.0.0")
            .WithArgs("slot:integer subcommand:oneof(node-id:string=IMPORTING node-id:string=MIGRATING node-id:string=NODE stable:pure-token=STABLE)"));
        cluster.AddSubcommand(CommandTable.Create("shards", 2, "stale", 0, 0, 0, "", Disabled, "cluster", "Get array of cluster slots to node mappings", "7.0.0", "O(N) where N is the total number of cluster nodes")
            .WithTips("nondeterministic_output"));
        cluster.AddSubcommand(CommandTable.Create("slaves", 3, "admin stale", 0, 0, 0, "", Disabled, "cluster", "List replica nodes of the specified master node", "3.0.0")
            .WithTips("nondeterministic_output")
            .WithArgs("node-id:string")
            .Deprecated("5.0.0", "`CLUSTER REPLICAS`"));
        cluster.AddSubcommand(CommandTable.Create("slots", 2, "stale", 0, 0, 0, "", Disabled, "cluster", "Get array of Cluster slot to node mappings", "3.0.0", "O(N) where N is the total number of Cluster nodes")
            .WithTips("nondeterministic_output")
            .WithHistory(("4.0.0", "Added node IDs."), ("7.0.0", "Added additional networking metadata field."))
            .Deprecated("7.0.0", "`CLUSTER SHARDS`"));
    }

    private static void DbSize(CommandContext c) => c.Reply.Integer(c.Db.Count);

    private static void FlushDb(CommandContext c)
    {
        if (!ValidFlushMode(c))
        {
            return;
        }

        if (c.Db.Count > 0)
        {
            c.Server.Reclaim.Request();
        }

        c.Dirty(c.Db.Count);
        c.Keyspace.Flushing(c.Db, c.Now);
        c.Db.Clear();
        c.Keyspace.Blocking.SignalDatabase(c.Db.Id); // Redis 7.0's signalFlushedDb: XREADGROUP waiters on deleted streams are unblocked
        c.Server.Tracking.InvalidateAll(); // Redis's signalFlushedDb → trackingInvalidateKeysOnFlush
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
            if (db.Count > 0)
            {
                c.Server.Reclaim.Request();
            }

            c.Dirty(db.Count);
            c.Keyspace.Flushing(db, c.Now);
            db.Clear();
            c.Keyspace.Blocking.SignalDatabase(db.Id);
        }

        c.Server.Tracking.InvalidateAll(); // Redis's signalFlushedDb → trackingInvalidateKeysOnFlush

        // Redis 7.0's flushAllDataAndResetRDB: a running BGSAVE is stopped, and with save points the
        // (now empty) data set is saved at once, so a restart does not bring the flushed keys back.
        var rdb = c.Server.Rdb;
        rdb.CancelBackground();
        if (Persistence.Rdb.SavePoints.Parse(c.Server.Config.Save).Count > 0)
        {
            rdb.SaveForeground();
        }

        c.Dirty();
        c.Reply.Ok();
    }

    // FLUSHDB/FLUSHALL [ASYNC|SYNC]: both free the keys' blocks when the batch ends; the cron then hands the
    // memory back to the OS (MemoryReclaim).
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
            c.Keyspace.Swapping(databases[first], databases[second], c.Now);
            databases[first].SwapWith(databases[second]);
            c.Keyspace.Blocking.SignalDatabase(first);
            c.Keyspace.Blocking.SignalDatabase(second);
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

    // TIME: unix seconds and the microseconds within the second, both as bulk strings. Read afresh (Redis's
    // gettimeofday, inside a script too) from the clock keys expire by, so a key set to expire at a time
    // TIME gave lives until a later TIME reports that time.
    private static void Time(CommandContext c)
    {
        long micros = c.Keyspace.NowMicroseconds;
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

        if (!noSave && c.BusyError is { } busy)
        {
            // Redis's shutdownCommand: while a script is busy only SHUTDOWN NOSAVE may stop the server.
            c.Reply.Error(busy);
            return;
        }

        if (abort)
        {
            // Shutdown here is immediate, so there is never one in progress to abort.
            c.Reply.Error("ERR No shutdown in progress.");
            return;
        }

        // prepareForShutdown: save when asked to, or by default when save points are configured; a failed
        // save keeps the server up unless FORCE (Redis: "Error trying to save the DB, can't exit").
        if (!noSave && (save || Persistence.Rdb.SavePoints.Parse(c.Server.Config.Save).Count > 0))
        {
            var rdb = c.Server.Rdb;
            rdb.CancelBackground();
            c.Server.Logger.LogInformation("Saving the final RDB snapshot before exiting.");
            if (rdb.SaveForeground() is not null && !force)
            {
                c.Server.Logger.LogWarning("Error trying to save the DB, can't exit.");
                c.Reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
                return;
            }
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
