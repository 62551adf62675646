using Kv.Server.Transactions;

namespace Kv.Server.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c).</summary>
internal static class TransactionCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("multi", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "@transaction", Multi, "transactions", "Mark the start of a transaction block", "1.2.0", "O(1)");
        table.Add("exec", 1, "noscript loading stale skip_slowlog", 0, 0, 0, "@transaction", Exec, "transactions", "Execute all commands issued after MULTI", "1.2.0", "Depends on commands in the transaction");
        table.Add("discard", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "@transaction", Discard, "transactions", "Discard all commands issued after MULTI", "2.0.0", "O(N), when N is the number of queued commands");
        table.Add("watch", -2, "noscript loading stale fast allow_busy", 1, -1, 1, "@transaction", Watch, "transactions", "Watch the given keys to determine execution of the MULTI/EXEC block", "2.2.0", "O(1) for every key.")
            .WithKeys("RO | index 1 | range -1 1 0")
            .WithArgs("key:key#0*");
        table.Add("unwatch", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "@transaction", Unwatch, "transactions", "Forget about all watched keys", "2.2.0", "O(1)");
    }

    /// <summary>
    /// The commands Redis runs at once inside MULTI instead of queuing them (processCommand's
    /// exception list): EXEC, DISCARD, MULTI, WATCH, QUIT, RESET.
    /// </summary>
    public static bool RunsInsideMulti(CommandDefinition command) =>
        command.Name is "exec" or "discard" or "multi" or "watch" or "quit" or "reset";

    public static bool IsExec(CommandDefinition command) => command.Name == "exec";

    /// <summary>Redis's execCommandAbort: EXEC itself was rejected; the transaction is discarded.</summary>
    public static void AbortExec(CommandContext c, string error)
    {
        c.Client.Transaction?.Discard();
        // Redis drops the error's leading '-'; its generic "ERR " prefix is not part of the message here.
        if (error.StartsWith("ERR ", StringComparison.Ordinal))
        {
            error = error[4..];
        }

        c.Reply.Error("EXECABORT Transaction discarded because of: " + error);
    }

    private static MultiState State(CommandContext c) => c.Client.Transaction ??= new MultiState(c.Client);

    private static void Multi(CommandContext c)
    {
        var state = State(c);
        if (state.Active)
        {
            c.Reply.Error(Errors.NestedMulti);
            return;
        }

        state.Begin();
        c.Reply.Ok();
    }

    private static void Discard(CommandContext c)
    {
        if (c.Client.Transaction is not { Active: true } state)
        {
            c.Reply.Error(Errors.DiscardWithoutMulti);
            return;
        }

        state.Discard();
        c.Reply.Ok();
    }

    private static void Exec(CommandContext c)
    {
        if (c.Client.Transaction is not { Active: true } state)
        {
            c.Reply.Error(Errors.ExecWithoutMulti);
            return;
        }

        // Redis 7.0: a watched key that expired since WATCH fails the EXEC even if nobody deleted it yet.
        if (!state.DirtyCas && state.IsWatchedKeyExpired(c.Now))
        {
            state.MarkDirty(unwatch: false);
        }

        if (state.DirtyExec)
        {
            c.Reply.Error(Errors.ExecAbort);
            state.Discard();
            return;
        }

        if (state.DirtyCas)
        {
            c.Reply.NullArray();
            state.Discard();
            return;
        }

        state.UnwatchAll();
        var exec = c.Command;
        var arguments = c.Arguments;
        bool wasInTransaction = c.InTransaction;

        // Redis sets CLIENT_DENY_BLOCKING for the queued commands: BLPOP and friends answer as on a timeout.
        c.InTransaction = true;
        try
        {
            c.Reply.ArrayHeader(state.Count);
            for (int i = 0; i < state.Count; i++)
            {
                var queued = state[i];
                c.SetArguments(state.Source, state.Ranges, queued.FirstArg, queued.ArgCount);
                c.Command = queued.Command;

                // HELLO inside the transaction changes the protocol of the replies after it.
                c.Reply.Protocol = c.Client.Protocol;
                CommandDispatcher.Call(c, queued.Command);
            }
        }
        finally
        {
            c.InTransaction = wasInTransaction;
            c.Arguments = arguments;
            c.Command = exec;
            state.Discard();
        }
    }

    private static void Watch(CommandContext c)
    {
        var state = State(c);
        if (state.Active)
        {
            c.Reply.Error(Errors.WatchInsideMulti);
            return;
        }

        // Redis: no point in watching once a watched key was touched; EXEC will fail anyway.
        if (!state.DirtyCas)
        {
            var db = c.Db;
            for (int i = 1; i < c.ArgCount; i++)
            {
                state.Watch(db, c.Arg(i), c.Now);
            }
        }

        c.Reply.Ok();
    }

    private static void Unwatch(CommandContext c)
    {
        c.Client.Transaction?.Unwatch();
        c.Reply.Ok();
    }
}
