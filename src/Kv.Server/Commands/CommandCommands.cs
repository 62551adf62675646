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

    // Redis's addCommandFlags order; may_replicate is hidden there too.
    private static readonly (CommandFlags Flag, string Name)[] FlagOrder =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Fast, "fast"),
        (CommandFlags.NoAuth, "no_auth"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"), (CommandFlags.NoMulti, "no_multi"),
        (CommandFlags.Movablekeys, "movablekeys"), (CommandFlags.AllowBusy, "allow_busy"),
    ];

    public static void Register(CommandTable table)
    {
        const string Flags = "loading stale";
        var command = table.Add("command", -1, Flags, 0, 0, 0, "@connection", All, "server", "Returns detailed information about all commands.", "2.8.13", "O(N) where N is the total number of Redis commands");
        command.Tips = ["nondeterministic_output_order"];
        command.AddSubcommand(CommandTable.Create("count", 2, Flags, 0, 0, 0, "@connection", Count, "server", "Returns a count of commands.", "2.8.13"));
        command.AddSubcommand(CommandTable.Create("info", -2, Flags, 0, 0, 0, "@connection", Info, "server", "Returns information about one, multiple or all commands.", "2.8.13", "O(N) where N is the number of commands to look up"));
        command.AddSubcommand(CommandTable.Create("docs", -2, Flags, 0, 0, 0, "@connection", Docs, "server", "Returns documentary information about one, multiple or all commands.", "7.0.0", "O(N) where N is the number of commands to look up"));
        command.AddSubcommand(CommandTable.Create("list", -2, Flags, 0, 0, 0, "@connection", List, "server", "Returns a list of command names.", "7.0.0", "O(N) where N is the total number of Redis commands"));
        command.AddSubcommand(CommandTable.Create("getkeys", -4, Flags, 0, 0, 0, "@connection", GetKeys, "server", "Extracts the key names from an arbitrary command.", "2.8.13", "O(N) where N is the number of arguments to the command"));
        command.AddSubcommand(CommandTable.Create("getkeysandflags", -4, Flags, 0, 0, 0, "@connection", GetKeysAndFlags, "server", "Extracts the key names and access flags for an arbitrary command.", "7.0.0", "O(N) where N is the number of arguments to the command"));
        command.AddSubcommand(CommandTable.Create("help", 2, Flags, 0, 0, 0, "@connection", Help, "server", "Returns helpful text about the different subcommands.", "5.0.0"));
        command.Subcommands["info"].Tips = ["nondeterministic_output_order"];
        command.Subcommands["docs"].Tips = ["nondeterministic_output_order"];
        command.Subcommands["list"].Tips = ["nondeterministic_output_order"];
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

        reply.SetHeader(command.Subcommands.Count);
        foreach (var sub in command.Subcommands.Values)
        {
            WriteInfo(reply, sub);
        }
    }

    // One key spec from the legacy key range, as Redis's populateCommandLegacyRangeSpec reads it back:
    // begin_search index = first key, find_keys range with lastkey relative to it.
    private static void WriteKeySpecs(RespWriter reply, CommandDefinition command)
    {
        if (command.FirstKey <= 0)
        {
            reply.SetHeader(0);
            return;
        }

        var flags = command.KeySpecFlags ?? DefaultKeySpecFlags(command);
        reply.SetHeader(1);
        reply.MapHeader(3);
        reply.Bulk("flags"u8);
        reply.SetHeader(flags.Length);
        foreach (var flag in flags)
        {
            reply.SimpleString(flag);
        }

        reply.Bulk("begin_search"u8);
        reply.MapHeader(2);
        reply.Bulk("type"u8);
        reply.Bulk("index"u8);
        reply.Bulk("spec"u8);
        reply.MapHeader(1);
        reply.Bulk("index"u8);
        reply.Integer(command.FirstKey);

        reply.Bulk("find_keys"u8);
        reply.MapHeader(2);
        reply.Bulk("type"u8);
        reply.Bulk("range"u8);
        reply.Bulk("spec"u8);
        reply.MapHeader(3);
        reply.Bulk("lastkey"u8);
        reply.Integer(command.LastKey >= 0 ? command.LastKey - command.FirstKey : command.LastKey);
        reply.Bulk("keystep"u8);
        reply.Integer(command.Step);
        reply.Bulk("limit"u8);
        reply.Integer(0);
    }

    private static string[] DefaultKeySpecFlags(CommandDefinition command)
        => command.Has(CommandFlags.Write) ? ["RW", "update"] : ["RO", "access"];

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

    private static void WriteDocs(RespWriter reply, CommandDefinition command)
    {
        bool hasSubcommands = command.Subcommands.Count > 0;
        reply.MapHeader(hasSubcommands ? 5 : 4);
        reply.Bulk("summary"u8);
        reply.Bulk(command.Summary);
        reply.Bulk("since"u8);
        reply.Bulk(command.Since);
        reply.Bulk("group"u8);
        reply.Bulk(command.Group);
        reply.Bulk("complexity"u8);
        reply.Bulk(command.Complexity);
        if (hasSubcommands)
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

    // COMMAND GETKEYS[ANDFLAGS] command [arg ...]: the keys by the command's key range, with Redis's errors.
    private static void GetKeys(CommandContext c, bool withFlags)
    {
        var command = c.Server.Commands.Find(c.Arg(2));
        int argCount = c.ArgCount - 2;
        int offset = 2;
        if (command is not null && command.Subcommands.Count > 0 && argCount > 1)
        {
            command = command.Subcommands.GetValueOrDefault(c.ArgString(3));
        }

        if (command is null)
        {
            c.Reply.Error("ERR Invalid command specified");
            return;
        }

        if (!command.ArityMatches(argCount))
        {
            c.Reply.Error("ERR Invalid number of arguments specified for command");
            return;
        }

        if (command.FirstKey <= 0)
        {
            c.Reply.Error("ERR The command has no key arguments");
            return;
        }

        int last = command.LastKey >= 0 ? command.LastKey : argCount + command.LastKey;
        last = Math.Min(last, argCount - 1);
        int step = Math.Max(command.Step, 1);
        int count = 0;
        for (int i = command.FirstKey; i <= last; i += step)
        {
            count++;
        }

        if (count == 0)
        {
            c.Reply.Error("ERR Invalid arguments specified for command");
            return;
        }

        var flags = command.KeySpecFlags ?? DefaultKeySpecFlags(command);
        c.Reply.ArrayHeader(count);
        for (int i = command.FirstKey; i <= last; i += step)
        {
            if (withFlags)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(c.Arg(offset + i));
                c.Reply.SetHeader(flags.Length);
                foreach (var flag in flags)
                {
                    c.Reply.SimpleString(flag);
                }
            }
            else
            {
                c.Reply.Bulk(c.Arg(offset + i));
            }
        }
    }
}
