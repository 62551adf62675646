using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>OBJECT ENCODING, IDLETIME, FREQ, REFCOUNT and HELP.</summary>
internal static class ObjectCommands
{
    // Redis's OBJ_SHARED_REFCOUNT: the shared integers 0..9999 report INT_MAX references.
    private const long SharedRefCount = int.MaxValue;

    private static readonly string[] HelpLines =
    [
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
    ];

    public static void Register(CommandTable table)
    {
        var command = table.Add("object", -2, "", 0, 0, 0, "", null, "generic", "A container for object introspection commands", "2.2.3", "Depends on subcommand.");
        command.AddSubcommand(CommandTable.Create("encoding", 3, "readonly", 2, 2, 1, "@keyspace", Encoding, "generic", "Inspect the internal encoding of a Redis object", "2.2.3")
            .WithKeys("RO | index 2 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0"));
        command.AddSubcommand(CommandTable.Create("idletime", 3, "readonly", 2, 2, 1, "@keyspace", IdleTime, "generic", "Get the time since a Redis object was last accessed", "2.2.3")
            .WithKeys("RO | index 2 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0"));
        command.AddSubcommand(CommandTable.Create("freq", 3, "readonly", 2, 2, 1, "@keyspace", Freq, "generic", "Get the logarithmic access frequency counter of a Redis object", "4.0.0")
            .WithKeys("RO | index 2 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0"));
        command.AddSubcommand(CommandTable.Create("refcount", 3, "readonly", 2, 2, 1, "@keyspace", RefCount, "generic", "Get the number of references to the value of the key", "2.2.3")
            .WithKeys("RO | index 2 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0"));
        command.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@keyspace", Help, "generic", "Show helpful text about the different subcommands", "6.2.0"));
    }

    /// <summary>
    /// Redis's addReplyHelp: a header naming the command, the lines, then HELP's own entry, all as
    /// simple strings.
    /// </summary>
    internal static void WriteHelp(CommandContext c, string[] lines)
    {
        c.Reply.ArrayHeader(lines.Length + 3);
        c.Reply.SimpleString($"{c.ArgString(0).ToUpperInvariant()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
        foreach (var line in lines)
        {
            c.Reply.SimpleString(line);
        }

        c.Reply.SimpleString("HELP");
        c.Reply.SimpleString("    Prints this help.");
    }

    private static void Help(CommandContext c) => WriteHelp(c, HelpLines);

    private static void Encoding(CommandContext c)
    {
        if (TryLookup(c, out var value))
        {
            c.Reply.Bulk(ValueTypes.EncodingOf(value));
        }
    }

    // The access field holds the LRU clock, or the LFU counter under an LFU maxmemory-policy:
    // IDLETIME answers under the first, FREQ under the second, each refusing the other as Redis does.
    private static void IdleTime(CommandContext c)
    {
        if (TryLookup(c, out _, out int index))
        {
            if (c.Keyspace.Lfu)
            {
                c.Reply.Error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
                return;
            }

            uint lastAccess = c.Db.Table.At(index).LastAccess;
            uint now = Database.Clock(c.Now);
            c.Reply.Integer(Database.IdleSeconds(lastAccess, now));
        }
    }

    private static void Freq(CommandContext c)
    {
        if (TryLookup(c, out _, out int index))
        {
            if (c.Keyspace.Lfu)
            {
                c.Reply.Integer(Persistence.LfuCounter.Decayed(c.Db.Table.At(index).LastAccess, c.Now, c.Server.Config.LfuDecayTime));
                return;
            }

            c.Reply.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        }
    }

    // Redis shares the integer objects 0..9999 between keys (when no LRU/LFU policy forbids it).
    private static void RefCount(CommandContext c)
    {
        if (TryLookup(c, out var value))
        {
            c.Reply.Integer(StringValue.IsSharedInteger(value) ? SharedRefCount : 1);
        }
    }

    private static bool TryLookup(CommandContext c, out object value) => TryLookup(c, out value, out _);

    // Redis's objectCommandLookupOrReply: a missing key is a null reply, whatever the subcommand.
    private static bool TryLookup(CommandContext c, out object value, out int index)
    {
        var db = c.Db;
        index = db.Peek(c.Arg(2), c.Now);
        KeyCommands.CountLookups(c, index >= 0 ? 1 : 0, index >= 0 ? 0 : 1);
        if (index < 0)
        {
            value = null!;
            c.Reply.NullBulk();
            return false;
        }

        value = db.Table.ValueAt(index);
        return true;
    }
}
