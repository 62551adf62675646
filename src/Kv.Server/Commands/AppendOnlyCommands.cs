namespace Kv.Server.Commands;

/// <summary>BGREWRITEAOF (Redis's aof.c bgrewriteaofCommand).</summary>
internal static class AppendOnlyCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("bgrewriteaof", 1, "admin noscript no_async_loading", 0, 0, 0, "@admin @slow @dangerous", BgRewriteAof, "server", "Asynchronously rewrite the append-only file", "1.0.0", "O(1)");
    }

    private static void BgRewriteAof(CommandContext c)
    {
        var rewrite = c.Server.Aof.Rewrite;
        if (rewrite.InProgress)
        {
            c.Reply.Error("ERR Background append only file rewriting already in progress"u8);
            return;
        }

        if (c.InTransaction || c.Server.Rdb.InProgress)
        {
            // Redis schedules it when asked inside MULTI (server.in_exec) or while a child runs.
            rewrite.Scheduled = true;
            c.Reply.SimpleString("Background append only file rewriting scheduled"u8);
            return;
        }

        rewrite.Start(c.Server.Aof.State == Persistence.Aof.AofState.Off ? Persistence.Aof.AofRewriteMode.Offline : Persistence.Aof.AofRewriteMode.Normal);
        c.Reply.SimpleString("Background append only file rewriting started"u8);
    }
}
