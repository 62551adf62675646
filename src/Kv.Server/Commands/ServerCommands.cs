namespace Kv.Server.Commands;

/// <summary>Server commands: INFO, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN, SLOWLOG, CLUSTER.</summary>
internal static class ServerCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("dbsize", 1, "readonly fast", 0, 0, 0, "@keyspace", DbSize, "server", "Returns the number of keys in the database.");
        table.Add("flushdb", -1, "write", 0, 0, 0, "@keyspace @dangerous", FlushDb, "server", "Removes all keys from the current database.", "1.0.0", "O(N) where N is the number of keys in the selected database");
        table.Add("flushall", -1, "write", 0, 0, 0, "@keyspace @dangerous", FlushAll, "server", "Removes all keys from all databases.", "1.0.0", "O(N) where N is the total number of keys in all databases");
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
}
