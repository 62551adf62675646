using System.Text;
using Kv.Server.Scripting;
using Kv.Server.Text;

namespace Kv.Server.Commands;

/// <summary>FUNCTION and FCALL.</summary>
internal static class FunctionCommands
{
    private static readonly string[] HelpLines =
    [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ];

    public static void Register(CommandTable table)
    {
        const string Complexity = "Depends on the function that is executed.";
        table.Add("fcall", -3, "noscript stale skip_monitor no_mandatory_keys movablekeys", 0, 0, 0, "@scripting", c => c.Server.Scripting.Functions.Call(c, readOnlyCommand: false), "scripting", "Invoke a function", "7.0.0", Complexity)
            .WithKeys("RW access update | index 2 | keynum 0 1 1 | We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")
            .WithArgs("function:string numkeys:integer key:key#0?* arg:string?*");
        table.Add("fcall_ro", -3, "readonly noscript stale skip_monitor no_mandatory_keys movablekeys", 0, 0, 0, "@scripting", c => c.Server.Scripting.Functions.Call(c, readOnlyCommand: true), "scripting", "Invoke a read-only function", "7.0.0", Complexity)
            .WithKeys("RO access | index 2 | keynum 0 1 1 | We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")
            .WithArgs("function:string numkeys:integer key:key#0?* arg:string?*");

        var function = table.Add("function", -2, "", 0, 0, 0, "", null, "scripting", "A container for function commands", "7.0.0", "Depends on subcommand.");
        function.AddSubcommand(CommandTable.Create("load", -3, "write denyoom noscript", 0, 0, 0, "@scripting", Load, "scripting", "Create a function with the given arguments (name, code, description)", "7.0.0", "O(1) (considering compilation time is redundant)")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded")
            .WithArgs("replace:pure-token=REPLACE? function-code:string"));
        function.AddSubcommand(CommandTable.Create("list", -2, "noscript", 0, 0, 0, "@scripting", List, "scripting", "List information about all the functions", "7.0.0", "O(N) where N is the number of functions")
            .WithTips("nondeterministic_output_order")
            .WithArgs("library-name-pattern:string=LIBRARYNAME? withcode:pure-token=WITHCODE?"));
        function.AddSubcommand(CommandTable.Create("delete", 3, "write noscript", 0, 0, 0, "@scripting", Delete, "scripting", "Delete a function by name", "7.0.0")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded")
            .WithArgs("library-name:string"));
        function.AddSubcommand(CommandTable.Create("flush", -2, "write noscript", 0, 0, 0, "@scripting", Flush, "scripting", "Deleting all functions", "7.0.0", "O(N) where N is the number of functions deleted")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded")
            .WithArgs("async:oneof?(async:pure-token=ASYNC sync:pure-token=SYNC)"));
        function.AddSubcommand(CommandTable.Create("dump", 2, "noscript", 0, 0, 0, "@scripting", Dump, "scripting", "Dump all functions into a serialized binary payload", "7.0.0", "O(N) where N is the number of functions"));
        function.AddSubcommand(CommandTable.Create("restore", -3, "write denyoom noscript", 0, 0, 0, "@scripting", Restore, "scripting", "Restore all the functions on the given payload", "7.0.0", "O(N) where N is the number of functions on the payload")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded")
            .WithArgs("serialized-value:string policy:oneof?(flush:pure-token=FLUSH append:pure-token=APPEND replace:pure-token=REPLACE)"));
        function.AddSubcommand(CommandTable.Create("stats", 2, "noscript allow_busy", 0, 0, 0, "@scripting", Stats, "scripting", "Return information about the function currently running (name, description, duration)", "7.0.0")
            .WithTips("nondeterministic_output", "request_policy:all_shards", "response_policy:special"));
        function.AddSubcommand(CommandTable.Create("kill", 2, "noscript allow_busy", 0, 0, 0, "@scripting", Kill, "scripting", "Kill the function currently in execution.", "7.0.0")
            .WithTips("request_policy:all_shards", "response_policy:one_succeeded"));
        function.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@scripting", c => ClientCommands.WriteHelp(c.Reply, HelpLines), "scripting", "Show helpful text about the different subcommands", "7.0.0"));
    }

    private static void Load(CommandContext c)
    {
        bool replace = false;
        int codeIndex = 2;
        for (; codeIndex < c.ArgCount - 1; codeIndex++)
        {
            if (c.ArgIs(codeIndex, "replace"u8))
            {
                replace = true;
                continue;
            }

            c.Reply.Error($"ERR Unknown option given: {c.ArgString(codeIndex)}");
            return;
        }

        if (codeIndex != c.ArgCount - 1)
        {
            c.Reply.Error("ERR Function code is missing");
            return;
        }

        // Redis's LOAD_TIMEOUT_MS applies unless the command is replayed (mustObeyClient: AOF loading).
        string? name = c.Server.Scripting.Functions.Load(c.ArgBytes(codeIndex), replace, out string? error, timeout: !c.Server.Keyspace.Loading);
        if (name is null)
        {
            c.Reply.Error(error!);
            return;
        }

        c.Dirty();
        c.Reply.Bulk(name);
    }

    private static void List(CommandContext c)
    {
        bool withCode = false;
        byte[]? pattern = null;
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "withcode"u8) && !withCode)
            {
                withCode = true;
            }
            else if (c.ArgIs(i, "libraryname"u8) && pattern is null)
            {
                if (i == c.ArgCount - 1)
                {
                    c.Reply.Error("ERR library name argument was not given");
                    return;
                }

                pattern = c.ArgBytes(++i);
            }
            else
            {
                c.Reply.Error($"ERR Unknown argument {c.ArgString(i)}");
                return;
            }
        }

        var libraries = new List<FunctionLibrary>();
        foreach (var library in c.Server.Scripting.Functions.Libraries)
        {
            if (pattern is null || GlobMatcher.IsMatch(pattern, Encoding.UTF8.GetBytes(library.Name)))
            {
                libraries.Add(library);
            }
        }

        var reply = c.Reply;
        reply.ArrayHeader(libraries.Count);
        foreach (var library in libraries)
        {
            reply.MapHeader(withCode ? 4 : 3);
            reply.Bulk("library_name");
            reply.Bulk(library.Name);
            reply.Bulk("engine");
            reply.Bulk("LUA");
            reply.Bulk("functions");
            reply.ArrayHeader(library.Functions.Count);
            foreach (var function in library.Functions)
            {
                reply.MapHeader(3);
                reply.Bulk("name");
                reply.Bulk(function.Name);
                reply.Bulk("description");
                if (function.Description is null)
                {
                    reply.NullBulk();
                }
                else
                {
                    reply.Bulk(function.Description);
                }

                reply.Bulk("flags");
                var flags = FunctionLibraries.FlagNamesOf(function.Flags);
                reply.SetHeader(flags.Count);
                foreach (string flag in flags)
                {
                    reply.SimpleString(flag);
                }
            }

            if (withCode)
            {
                reply.Bulk("library_code");
                reply.Bulk(library.Code);
            }
        }
    }

    private static void Delete(CommandContext c)
    {
        if (!c.Server.Scripting.Functions.Delete(c.ArgString(2)))
        {
            c.Reply.Error(ScriptErrors.LibraryNotFound);
            return;
        }

        c.Dirty();
        c.Reply.Ok();
    }

    private static void Flush(CommandContext c)
    {
        if (c.ArgCount > 3)
        {
            SubcommandSyntaxError(c);
            return;
        }

        if (c.ArgCount == 3 && !c.ArgIs(2, "sync"u8) && !c.ArgIs(2, "async"u8))
        {
            c.Reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }

        c.Server.Scripting.Functions.Flush();
        c.Dirty();
        c.Reply.Ok();
    }

    // Redis's addReplySubcommandSyntaxError: FUNCTION FLUSH and RESTORE with too many arguments.
    private static void SubcommandSyntaxError(CommandContext c)
        => c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try FUNCTION HELP.");

    private static void Dump(CommandContext c) => c.Reply.Bulk(c.Server.Scripting.Functions.Dump());

    private static void Restore(CommandContext c)
    {
        string policy = "APPEND";
        if (c.ArgCount > 4)
        {
            SubcommandSyntaxError(c);
            return;
        }

        if (c.ArgCount == 4)
        {
            policy = c.ArgString(3).ToUpperInvariant();
            if (policy is not ("FLUSH" or "APPEND" or "REPLACE"))
            {
                c.Reply.Error(ScriptErrors.BadRestorePolicy);
                return;
            }
        }

        string? error = c.Server.Scripting.Functions.Restore(c.Arg(2), policy);
        if (error is not null)
        {
            c.Reply.Error(error);
            return;
        }

        c.Dirty();
        c.Reply.Ok();
    }

    // Runs without the keyspace lock while a function is busy (allow_busy).
    private static void Stats(CommandContext c)
    {
        var engine = c.Server.Scripting;
        var reply = c.Reply;
        reply.MapHeader(2);
        reply.Bulk("running_script");
        var running = engine.RunningFunction();
        if (running is { } script)
        {
            reply.MapHeader(3);
            reply.Bulk("name");
            reply.Bulk(script.Name);
            reply.Bulk("command");
            reply.ArrayHeader(script.Command.Length);
            foreach (string arg in script.Command)
            {
                reply.Bulk(arg);
            }

            reply.Bulk("duration_ms");
            reply.Integer(script.DurationMs);
        }
        else
        {
            reply.NullBulk();
        }

        reply.Bulk("engines");
        reply.MapHeader(1);
        reply.Bulk("LUA");
        reply.MapHeader(2);
        reply.Bulk("libraries_count");
        reply.Integer(engine.Functions.LibraryCount);
        reply.Bulk("functions_count");
        reply.Integer(engine.Functions.FunctionCount);
    }

    private static void Kill(CommandContext c)
    {
        string? error = c.Server.Scripting.Kill(eval: false);
        if (error is null)
        {
            c.Reply.Ok();
        }
        else
        {
            c.Reply.Error(error);
        }
    }
}
