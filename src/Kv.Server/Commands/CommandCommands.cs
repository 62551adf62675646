using System.Text;
using Kv.Protocol;
using Kv.Server.Text;

namespace Kv.Server.Commands;

/// <summary>COMMAND and its subcommands, answered from the command table in Redis 7.0's shapes.</summary>
internal static class CommandCommands
{
    private static readonly string[] HelpLines =
    [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    ];

    // Redis 7.0's addReplyCommandFlags order; may_replicate is hidden there too.
    private static readonly (CommandFlags Flag, string Name)[] FlagOrder =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Asking, "asking"),
        (CommandFlags.Fast, "fast"), (CommandFlags.NoAuth, "no_auth"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"),
        (CommandFlags.NoAsyncLoading, "no_async_loading"), (CommandFlags.NoMulti, "no_multi"), (CommandFlags.Movablekeys, "movablekeys"),
        (CommandFlags.AllowBusy, "allow_busy"),
    ];

    public static void Register(CommandTable table)
    {
        var command = table.Add("command", -1, "loading stale", 0, 0, 0, "@connection", All, "server", "Get array of Redis command details", "2.8.13", "O(N) where N is the total number of Redis commands")
            .WithTips("nondeterministic_output_order");
        command.AddSubcommand(CommandTable.Create("count", 2, "loading stale", 0, 0, 0, "@connection", Count, "server", "Get total number of Redis commands", "2.8.13"));
        command.AddSubcommand(CommandTable.Create("info", -2, "loading stale", 0, 0, 0, "@connection", Info, "server", "Get array of specific Redis command details, or all when no argument is given.", "2.8.13", "O(N) where N is the number of commands to look up")
            .WithTips("nondeterministic_output_order")
            .WithArgs("command-name:string?*")
            .WithHistory(("7.0.0", "Allowed to be called with no argument to get info on all commands.")));
        command.AddSubcommand(CommandTable.Create("docs", -2, "loading stale", 0, 0, 0, "@connection", Docs, "server", "Get array of specific Redis command documentation", "7.0.0", "O(N) where N is the number of commands to look up")
            .WithTips("nondeterministic_output_order")
            .WithArgs("command-name:string?*"));
        command.AddSubcommand(CommandTable.Create("list", -2, "loading stale", 0, 0, 0, "@connection", List, "server", "Get an array of Redis command names", "7.0.0", "O(N) where N is the total number of Redis commands")
            .WithTips("nondeterministic_output_order")
            .WithArgs("filterby:oneof=FILTERBY?(module-name:string=MODULE category:string=ACLCAT pattern:pattern=PATTERN)"));
        command.AddSubcommand(CommandTable.Create("getkeys", -4, "loading stale", 0, 0, 0, "@connection", GetKeys, "server", "Extract keys given a full Redis command", "2.8.13", "O(N) where N is the number of arguments to the command"));
        command.AddSubcommand(CommandTable.Create("getkeysandflags", -4, "loading stale", 0, 0, 0, "@connection", GetKeysAndFlags, "server", "Extract keys and access flags given a full Redis command", "7.0.0", "O(N) where N is the number of arguments to the command"));
        command.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@connection", Help, "server", "Show helpful text about the different subcommands", "5.0.0"));
    }

    /// <summary>Finds a command by name, or a subcommand by <c>container|sub</c>, as Redis's lookupCommandBySds.</summary>
    internal static CommandDefinition? Lookup(CommandTable table, string name)
    {
        int bar = name.IndexOf('|', StringComparison.Ordinal);
        if (bar < 0)
        {
            return table.Find(name);
        }

        var parent = table.Find(name[..bar]);
        return parent?.Subcommands.GetValueOrDefault(name[(bar + 1)..]);
    }

    private static void Help(CommandContext c) => ClientCommands.WriteHelp(c.Reply, HelpLines);

    private static void All(CommandContext c)
    {
        var all = new List<CommandDefinition>(c.Server.Commands.All);
        c.Reply.ArrayHeader(all.Count);
        foreach (var command in all)
        {
            WriteInfo(c.Reply, command);
        }
    }

    private static void Count(CommandContext c) => c.Reply.Integer(c.Server.Commands.Count);

    // COMMAND INFO [name ...]: every command without names; nil for an unknown one.
    private static void Info(CommandContext c)
    {
        if (c.ArgCount == 2)
        {
            All(c);
            return;
        }

        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            var command = Lookup(c.Server.Commands, c.ArgString(i));
            if (command is null)
            {
                c.Reply.NullBulk();
            }
            else
            {
                WriteInfo(c.Reply, command);
            }
        }
    }

    // Redis 7.0: name, arity, flags, first key, last key, step, ACL categories, tips, key specs, subcommands.
    private static void WriteInfo(RespWriter reply, CommandDefinition command)
    {
        reply.ArrayHeader(10);
        reply.Bulk(command.FullName);
        reply.Integer(command.Arity);

        int flags = 0;
        foreach (var (flag, _) in FlagOrder)
        {
            flags += command.Has(flag) ? 1 : 0;
        }

        reply.SetHeader(flags);
        foreach (var (flag, name) in FlagOrder)
        {
            if (command.Has(flag))
            {
                reply.SimpleString(name);
            }
        }

        reply.Integer(command.FirstKey);
        reply.Integer(command.LastKey);
        reply.Integer(command.Step);

        int categories = 0;
        foreach (var (category, _) in CommandTable.AclNames)
        {
            categories += (command.Acl & category) != 0 ? 1 : 0;
        }

        reply.SetHeader(categories);
        foreach (var (category, name) in CommandTable.AclNames)
        {
            if ((command.Acl & category) != 0)
            {
                reply.SimpleString("@" + name);
            }
        }

        reply.SetHeader(command.Tips.Length);
        foreach (var tip in command.Tips)
        {
            reply.Bulk(tip);
        }

        WriteKeySpecs(reply, command);

        // Redis 7.0 replies an array of subcommands, but an empty set when there are none.
        if (command.Subcommands.Count == 0)
        {
            reply.SetHeader(0);
            return;
        }

        reply.ArrayHeader(command.Subcommands.Count);
        foreach (var sub in command.Subcommands.Values)
        {
            WriteInfo(reply, sub);
        }
    }

    /// <summary>The row's key specs, or one spec for its legacy key range when the row has none.</summary>
    private static KeySpec[] KeySpecsOf(CommandDefinition command)
    {
        if (command.KeySpecs.Length > 0)
        {
            return command.KeySpecs;
        }

        return command.FirstKey <= 0
            ? []
            : [KeySpec.FromLegacyRange(command.FirstKey, command.LastKey, command.Step, command.KeySpecFlags ?? DefaultKeySpecFlags(command))];
    }

    private static string[] DefaultKeySpecFlags(CommandDefinition command)
        => command.Has(CommandFlags.Write) ? ["RW", "update"] : ["RO", "access"];

    // Redis 7.0's addReplyCommandKeySpecs: notes, flags, begin_search, find_keys.
    private static void WriteKeySpecs(RespWriter reply, CommandDefinition command)
    {
        var specs = KeySpecsOf(command);
        reply.SetHeader(specs.Length);
        foreach (var spec in specs)
        {
            reply.MapHeader(spec.Notes is null ? 3 : 4);
            if (spec.Notes is not null)
            {
                reply.Bulk("notes"u8);
                reply.Bulk(spec.Notes);
            }

            reply.Bulk("flags"u8);
            WriteStatusSet(reply, spec.Flags);

            reply.Bulk("begin_search"u8);
            reply.MapHeader(2);
            reply.Bulk("type"u8);
            switch (spec.Begin)
            {
                case KeySpec.BeginSearchKind.Index:
                    reply.Bulk("index"u8);
                    reply.Bulk("spec"u8);
                    reply.MapHeader(1);
                    reply.Bulk("index"u8);
                    reply.Integer(spec.Index);
                    break;
                case KeySpec.BeginSearchKind.Keyword:
                    reply.Bulk("keyword"u8);
                    reply.Bulk("spec"u8);
                    reply.MapHeader(2);
                    reply.Bulk("keyword"u8);
                    reply.Bulk(spec.Keyword!);
                    reply.Bulk("startfrom"u8);
                    reply.Integer(spec.Index);
                    break;
                default:
                    reply.Bulk("unknown"u8);
                    reply.Bulk("spec"u8);
                    reply.MapHeader(0);
                    break;
            }

            reply.Bulk("find_keys"u8);
            reply.MapHeader(2);
            reply.Bulk("type"u8);
            switch (spec.Find)
            {
                case KeySpec.FindKeysKind.Range:
                    reply.Bulk("range"u8);
                    reply.Bulk("spec"u8);
                    reply.MapHeader(3);
                    reply.Bulk("lastkey"u8);
                    reply.Integer(spec.LastKeyOrKeyNumIndex);
                    reply.Bulk("keystep"u8);
                    reply.Integer(spec.KeyStepOrFirstKey);
                    reply.Bulk("limit"u8);
                    reply.Integer(spec.LimitOrKeyStep);
                    break;
                case KeySpec.FindKeysKind.KeyNum:
                    reply.Bulk("keynum"u8);
                    reply.Bulk("spec"u8);
                    reply.MapHeader(3);
                    reply.Bulk("keynumidx"u8);
                    reply.Integer(spec.LastKeyOrKeyNumIndex);
                    reply.Bulk("firstkey"u8);
                    reply.Integer(spec.KeyStepOrFirstKey);
                    reply.Bulk("keystep"u8);
                    reply.Integer(spec.LimitOrKeyStep);
                    break;
                default:
                    reply.Bulk("unknown"u8);
                    reply.Bulk("spec"u8);
                    reply.MapHeader(0);
                    break;
            }
        }
    }

    private static void WriteStatusSet(RespWriter reply, string[] words)
    {
        reply.SetHeader(words.Length);
        foreach (var word in words)
        {
            reply.SimpleString(word);
        }
    }

    // COMMAND DOCS [name ...]: a map of name to its docs; unknown names are left out.
    private static void Docs(CommandContext c)
    {
        var found = new List<CommandDefinition>();
        if (c.ArgCount == 2)
        {
            found.AddRange(c.Server.Commands.All);
        }
        else
        {
            for (int i = 2; i < c.ArgCount; i++)
            {
                if (Lookup(c.Server.Commands, c.ArgString(i)) is { } command)
                {
                    found.Add(command);
                }
            }
        }

        c.Reply.MapHeader(found.Count);
        foreach (var command in found)
        {
            c.Reply.Bulk(command.FullName);
            WriteDocs(c.Reply, command);
        }
    }

    // Redis 7.0's addReplyCommandDocs: summary, since, group, complexity, doc_flags, deprecated_since,
    // replaced_by, history, arguments, subcommands (each only when the command has it).
    private static void WriteDocs(RespWriter reply, CommandDefinition command)
    {
        int fields = 4
            + (command.DocFlags.Length > 0 ? 1 : 0)
            + (command.DeprecatedSince is null ? 0 : 1)
            + (command.ReplacedBy is null ? 0 : 1)
            + (command.History.Length > 0 ? 1 : 0)
            + (command.Arguments.Length > 0 ? 1 : 0)
            + (command.Subcommands.Count > 0 ? 1 : 0);
        reply.MapHeader(fields);
        reply.Bulk("summary"u8);
        reply.Bulk(command.Summary);
        reply.Bulk("since"u8);
        reply.Bulk(command.Since);
        reply.Bulk("group"u8);
        reply.Bulk(command.Group);
        reply.Bulk("complexity"u8);
        reply.Bulk(command.Complexity);
        if (command.DocFlags.Length > 0)
        {
            reply.Bulk("doc_flags"u8);
            WriteStatusSet(reply, command.DocFlags);
        }

        if (command.DeprecatedSince is not null)
        {
            reply.Bulk("deprecated_since"u8);
            reply.Bulk(command.DeprecatedSince);
        }

        if (command.ReplacedBy is not null)
        {
            reply.Bulk("replaced_by"u8);
            reply.Bulk(command.ReplacedBy);
        }

        if (command.History.Length > 0)
        {
            // A set of [version, change] pairs, as addReplyCommandHistory writes it.
            reply.Bulk("history"u8);
            reply.SetHeader(command.History.Length);
            foreach (var (version, change) in command.History)
            {
                reply.ArrayHeader(2);
                reply.Bulk(version);
                reply.Bulk(change);
            }
        }

        if (command.Arguments.Length > 0)
        {
            reply.Bulk("arguments"u8);
            WriteArguments(reply, command.Arguments);
        }

        if (command.Subcommands.Count > 0)
        {
            reply.Bulk("subcommands"u8);
            reply.MapHeader(command.Subcommands.Count);
            foreach (var sub in command.Subcommands.Values)
            {
                reply.Bulk(sub.FullName);
                WriteDocs(reply, sub);
            }
        }
    }

    // Redis 7.0's addReplyCommandArgList: name, type, key_spec_index, token, since, deprecated_since, flags, arguments.
    private static void WriteArguments(RespWriter reply, CommandArgument[] arguments)
    {
        reply.ArrayHeader(arguments.Length);
        foreach (var argument in arguments)
        {
            int flags = (argument.Optional ? 1 : 0) + (argument.Multiple ? 1 : 0) + (argument.MultipleToken ? 1 : 0);
            int fields = 2
                + (argument.KeySpecIndex >= 0 ? 1 : 0)
                + (argument.Token is null ? 0 : 1)
                + (argument.Since is null ? 0 : 1)
                + (argument.DeprecatedSince is null ? 0 : 1)
                + (flags > 0 ? 1 : 0)
                + (argument.IsContainer ? 1 : 0);
            reply.MapHeader(fields);
            reply.Bulk("name"u8);
            reply.Bulk(argument.Name);
            reply.Bulk("type"u8);
            reply.Bulk(argument.Type);
            if (argument.KeySpecIndex >= 0)
            {
                reply.Bulk("key_spec_index"u8);
                reply.Integer(argument.KeySpecIndex);
            }

            if (argument.Token is not null)
            {
                reply.Bulk("token"u8);
                reply.Bulk(argument.Token);
            }

            if (argument.Since is not null)
            {
                reply.Bulk("since"u8);
                reply.Bulk(argument.Since);
            }

            if (argument.DeprecatedSince is not null)
            {
                reply.Bulk("deprecated_since"u8);
                reply.Bulk(argument.DeprecatedSince);
            }

            if (flags > 0)
            {
                reply.Bulk("flags"u8);
                reply.SetHeader(flags);
                if (argument.Optional)
                {
                    reply.SimpleString("optional"u8);
                }

                if (argument.Multiple)
                {
                    reply.SimpleString("multiple"u8);
                }

                if (argument.MultipleToken)
                {
                    reply.SimpleString("multiple_token"u8);
                }
            }

            if (argument.IsContainer)
            {
                reply.Bulk("arguments"u8);
                WriteArguments(reply, argument.Arguments);
            }
        }
    }

    // COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: full names, subcommands included.
    private static void List(CommandContext c)
    {
        Func<CommandDefinition, bool> filter;
        if (c.ArgCount == 2)
        {
            filter = _ => true;
        }
        else if (c.ArgCount == 5 && c.ArgIs(2, "filterby"u8))
        {
            if (c.ArgIs(3, "module"u8))
            {
                filter = _ => false; // no modules
            }
            else if (c.ArgIs(3, "aclcat"u8))
            {
                string name = c.ArgString(4);
                int index = Array.FindIndex(CommandTable.AclNames, a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                if (index < 0)
                {
                    filter = _ => false;
                }
                else
                {
                    var category = CommandTable.AclNames[index].Category;
                    filter = command => (command.Acl & category) != 0;
                }
            }
            else if (c.ArgIs(3, "pattern"u8))
            {
                byte[] pattern = c.ArgBytes(4);
                filter = command => GlobMatcher.IsMatch(pattern, Encoding.ASCII.GetBytes(command.FullName), ignoreCase: true);
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        var names = new List<string>();
        foreach (var command in InfoCommand.AllCommands(c.Server.Commands))
        {
            if (filter(command))
            {
                names.Add(command.FullName);
            }
        }

        c.Reply.ArrayHeader(names.Count);
        foreach (var name in names)
        {
            c.Reply.Bulk(name);
        }
    }

    private static void GetKeys(CommandContext c) => GetKeys(c, withFlags: false);

    private static void GetKeysAndFlags(CommandContext c) => GetKeys(c, withFlags: true);

    // COMMAND GETKEYS[ANDFLAGS] command [arg ...]: Redis 7.0's getKeysSubcommandImpl — the no-keys check
    // comes before the arity check, and keys are found by walking the key specs (getKeysUsingKeySpecs).
    private static void GetKeys(CommandContext c, bool withFlags)
    {
        var command = c.Server.Commands.Find(c.Arg(2));
        int argCount = c.ArgCount - 2;
        if (command is not null && command.Subcommands.Count > 0 && argCount > 1)
        {
            command = command.Subcommands.GetValueOrDefault(c.ArgString(3));
        }

        if (command is null)
        {
            c.Reply.Error("ERR Invalid command specified");
            return;
        }

        var specs = KeySpecsOf(command);
        if (!HasKeys(specs))
        {
            c.Reply.Error("ERR The command has no key arguments");
            return;
        }

        if (!command.ArityMatches(argCount))
        {
            c.Reply.Error("ERR Invalid number of arguments specified for command");
            return;
        }

        var keys = new List<(int Position, string[] Flags)>();
        bool found = FindKeys(c, command, specs, argCount, keys);
        if (!found && command.GetKeys is { } getKeys)
        {
            // getKeysFromCommandWithSpecs: an unknown or invalid spec falls back to the command's getkeys_proc.
            keys.Clear();
            getKeys(c, 2, argCount, keys);
            found = true;
        }

        if (!found || keys.Count == 0)
        {
            if (command.Has(CommandFlags.NoMandatoryKeys))
            {
                c.Reply.ArrayHeader(0);
            }
            else
            {
                c.Reply.Error("ERR Invalid arguments specified for command");
            }

            return;
        }

        c.Reply.ArrayHeader(keys.Count);
        foreach (var (position, flags) in keys)
        {
            if (withFlags)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(c.Arg(2 + position));
                WriteStatusSet(c.Reply, flags);
            }
            else
            {
                c.Reply.Bulk(c.Arg(2 + position));
            }
        }
    }

    private static bool HasKeys(KeySpec[] specs)
    {
        foreach (var spec in specs)
        {
            if (Array.IndexOf(spec.Flags, "not_key") < 0)
            {
                return true;
            }
        }

        return false;
    }

    // getKeysUsingKeySpecs: positions are relative to the inner command (0 = its name); false for an invalid spec.
    private static bool FindKeys(CommandContext c, CommandDefinition command, KeySpec[] specs, int argc, List<(int Position, string[] Flags)> keys)
    {
        foreach (var spec in specs)
        {
            if (Array.IndexOf(spec.Flags, "not_key") >= 0)
            {
                continue;
            }

            int first = 0;
            if (spec.Begin == KeySpec.BeginSearchKind.Index)
            {
                first = spec.Index;
            }
            else if (spec.Begin == KeySpec.BeginSearchKind.Keyword)
            {
                int start = spec.Index > 0 ? spec.Index : argc + spec.Index;
                int end = spec.Index > 0 ? argc - 1 : 1;
                for (int i = start; i != end; i = start <= end ? i + 1 : i - 1)
                {
                    if (i >= argc || i < 1)
                    {
                        break;
                    }

                    if (c.ArgIs(2 + i, Encoding.ASCII.GetBytes(spec.Keyword!)))
                    {
                        first = i + 1;
                        break;
                    }
                }

                if (first == 0)
                {
                    continue;
                }
            }
            else
            {
                return false;
            }

            int last, step;
            if (spec.Find == KeySpec.FindKeysKind.Range)
            {
                step = spec.KeyStepOrFirstKey;
                int lastKey = spec.LastKeyOrKeyNumIndex, limit = spec.LimitOrKeyStep;
                last = lastKey >= 0 ? first + lastKey : limit == 0 ? argc + lastKey : first + ((argc - first) / limit) + lastKey;
            }
            else if (spec.Find == KeySpec.FindKeysKind.KeyNum)
            {
                step = spec.LimitOrKeyStep;
                if (spec.LastKeyOrKeyNumIndex >= argc - first
                    || !RespNumber.TryParseInt64(c.Arg(2 + first + spec.LastKeyOrKeyNumIndex), out long numKeys) || numKeys < 0)
                {
                    return false;
                }

                first += spec.KeyStepOrFirstKey;
                last = first + (int)numKeys - 1;
            }
            else
            {
                return false;
            }

            if (last >= argc || last < first || first >= argc)
            {
                return false;
            }

            var flags = command.KeyFlags is not null && Array.IndexOf(spec.Flags, "variable_flags") >= 0 ? command.KeyFlags(c, 2) : spec.Flags;
            for (int i = first; i <= last; i += step)
            {
                keys.Add((i, flags));
            }
        }

        return true;
    }
}
