using Kv.Server.Scripting;

namespace Kv.Server.Commands;

/// <summary>EVAL, EVALSHA, their _RO forms, SCRIPT.</summary>
internal static class ScriptingCommands
{
    private static readonly string[] HelpLines =
    [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ];

    public static void Register(CommandTable table)
    {
        const string Complexity = "Depends on the script that is executed.";
        table.Add("eval", -3, "noscript stale skip_monitor no_mandatory_keys movablekeys", 0, 0, 0, "@scripting", c => c.Server.Scripting.Eval(c, bySha: false, readOnlyCommand: false), "scripting", "Execute a Lua script server side", "2.6.0", Complexity)
            .WithKeys("RW access update | index 2 | keynum 0 1 1 | We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")
            .WithArgs("script:string numkeys:integer key:key#0?* arg:string?*");
        table.Add("evalsha", -3, "noscript stale skip_monitor no_mandatory_keys movablekeys", 0, 0, 0, "@scripting", c => c.Server.Scripting.Eval(c, bySha: true, readOnlyCommand: false), "scripting", "Execute a Lua script server side", "2.6.0", Complexity)
            .WithKeys("RW access update | index 2 | keynum 0 1 1")
            .WithArgs("sha1:string numkeys:integer key:key#0?* arg:string?*");
        table.Add("eval_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", 0, 0, 0, "@scripting", c => c.Server.Scripting.Eval(c, bySha: false, readOnlyCommand: true), "scripting", "Execute a read-only Lua script server side", "7.0.0", Complexity)
            .WithKeys("RO access | index 2 | keynum 0 1 1 | We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")
            .WithArgs("script:string numkeys:integer key:key#0?* arg:string?*");
        table.Add("evalsha_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", 0, 0, 0, "@scripting", c => c.Server.Scripting.Eval(c, bySha: true, readOnlyCommand: true), "scripting", "Execute a read-only Lua script server side", "7.0.0", Complexity)
            .WithKeys("RO access | index 2 | keynum 0 1 1")
            .WithArgs("sha1:string numkeys:integer key:key#0?* arg:string?*");

        var script = table.Add("script", -2, "", 0, 0, 0, "", null, "scripting", "A container for Lua scripts management commands", "2.6.0", "Depends on subcommand.");
        script.AddSubcommand(CommandTable.Create("load", 3, "noscript stale", 0, 0, 0, "@scripting", Load, "scripting", "Load the specified Lua script into the script cache.", "2.6.0", "O(N) with N being the length in bytes of the script body.")
            .WithTips("request_policy:all_nodes", "response_policy:all_succeeded")
            .WithArgs("script:string"));
        script.AddSubcommand(CommandTable.Create("exists", -3, "noscript", 0, 0, 0, "@scripting", Exists, "scripting", "Check existence of scripts in the script cache.", "2.6.0", "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).")
            .WithTips("request_policy:all_shards", "response_policy:agg_logical_and")
            .WithArgs("sha1:string*"));
        script.AddSubcommand(CommandTable.Create("flush", -2, "noscript", 0, 0, 0, "@scripting", Flush, "scripting", "Remove all the scripts from the script cache.", "2.6.0", "O(N) with N being the number of scripts in cache")
            .WithTips("request_policy:all_nodes", "response_policy:all_succeeded")
            .WithArgs("async:oneof@6.2.0?(async:pure-token=ASYNC sync:pure-token=SYNC)")
            .WithHistory(("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")));
        script.AddSubcommand(CommandTable.Create("kill", 2, "noscript allow_busy", 0, 0, 0, "@scripting", Kill, "scripting", "Kill the script currently in execution.", "2.6.0")
            .WithTips("request_policy:all_shards", "response_policy:one_succeeded"));
        script.AddSubcommand(CommandTable.Create("debug", 3, "noscript", 0, 0, 0, "@scripting", Debug, "scripting", "Set the debug mode for executed scripts.", "3.2.0")
            .WithArgs("mode:oneof(yes:pure-token=YES sync:pure-token=SYNC no:pure-token=NO)"));
        script.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@scripting", c => ClientCommands.WriteHelp(c.Reply, HelpLines), "scripting", "Show helpful text about the different subcommands", "5.0.0"));
    }

    private static void Load(CommandContext c) => c.Server.Scripting.Load(c);

    private static void Exists(CommandContext c)
    {
        var scripts = c.Server.Scripting.Scripts;
        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            c.Reply.Integer(scripts.Find(c.Arg(i)) is null ? 0 : 1);
        }
    }

    private static void Flush(CommandContext c)
    {
        if (c.ArgCount > 3 || (c.ArgCount == 3 && !c.ArgIs(2, "sync"u8) && !c.ArgIs(2, "async"u8)))
        {
            c.Reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            return;
        }

        c.Server.Scripting.FlushScripts();
        c.Reply.Ok();
    }

    // Runs without the keyspace lock while a script is busy (allow_busy): the engine guards its own state.
    private static void Kill(CommandContext c)
    {
        string? error = c.Server.Scripting.Kill(eval: true);
        if (error is null)
        {
            c.Reply.Ok();
        }
        else
        {
            c.Reply.Error(error);
        }
    }

    // The Lua debugger (LDB) is not implemented: NO is accepted, YES and SYNC refused.
    private static void Debug(CommandContext c)
    {
        if (c.ArgIs(2, "no"u8))
        {
            c.Reply.Ok();
        }
        else if (c.ArgIs(2, "yes"u8) || c.ArgIs(2, "sync"u8))
        {
            c.Reply.Error("ERR SCRIPT DEBUG is not supported by kv-server");
        }
        else
        {
            c.Reply.Error("ERR Use SCRIPT DEBUG YES/SYNC/NO");
        }
    }
}
