namespace Kv.Server.Commands;

/// <summary>Generic key commands: DEL, EXISTS, TYPE, expiry, RENAME, COPY, MOVE, KEYS, SCAN, RANDOMKEY, OBJECT.</summary>
internal static class KeyCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("del", -2, "write", 1, -1, 1, "@keyspace", Del, "generic", "Deletes one or more keys.", "1.0.0", "O(N) where N is the number of keys that will be removed.");
        table.Add("exists", -2, "readonly fast", 1, -1, 1, "@keyspace", Exists, "generic", "Determines whether one or more keys exist.", "1.0.0", "O(N) where N is the number of keys to check.");
    }

    private static void Del(CommandContext c)
    {
        var db = c.Db;
        long deleted = 0;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (db.Delete(c.Arg(i), c.Now))
            {
                deleted++;
            }
        }

        c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    private static void Exists(CommandContext c)
    {
        var db = c.Db;
        long found = 0;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (db.Find(c.Arg(i), c.Now) >= 0)
            {
                found++;
            }
        }

        c.Reply.Integer(found);
    }
}
