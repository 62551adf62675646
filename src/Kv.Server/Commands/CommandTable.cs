using System.Text;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>
/// The one table of commands. Each command family registers its rows (<c>StringCommands.Register</c>
/// and so on); dispatch, arity and auth checks, COMMAND and INFO commandstats all read from here.
/// </summary>
internal sealed class CommandTable
{
    private readonly Dictionary<byte[], CommandDefinition> _byName = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], CommandDefinition>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public CommandTable()
    {
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>The table with every command kv-server implements.</summary>
    public static CommandTable CreateDefault()
    {
        var table = new CommandTable();
        ConnectionCommands.Register(table);
        ServerCommands.Register(table);
        ClientCommands.Register(table);
        ConfigCommands.Register(table);
        CommandCommands.Register(table);
        KeyCommands.Register(table);
        ExpireCommands.Register(table);
        ObjectCommands.Register(table);
        StringCommands.Register(table);
        BitCommands.Register(table);
        ListCommands.Register(table);
        HashCommands.Register(table);
        SetCommands.Register(table);
        SortedSetCommands.Register(table);
        StreamCommands.Register(table);
        SortCommands.Register(table);
        TransactionCommands.Register(table);
        PubSubCommands.Register(table);
        ScriptingCommands.Register(table);
        FunctionCommands.Register(table);
        AppendOnlyCommands.Register(table);
        PersistenceCommands.Register(table);
        MemoryCommands.Register(table);

        // Commands that run Lua (a library's body, for FUNCTION LOAD/RESTORE): never on a socket thread.
        foreach (var name in (ReadOnlySpan<string>)["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro", "function"])
        {
            table.Find(System.Text.Encoding.ASCII.GetBytes(name))!.RunsScripts = true;
        }

        return table;
    }

    public IEnumerable<CommandDefinition> All => _byName.Values;

    public int Count => _byName.Count;

    /// <summary>Finds a command by name, case-insensitively, without allocating.</summary>
    public CommandDefinition? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length > 64)
        {
            return null;
        }

        Span<byte> lower = stackalloc byte[name.Length];
        Ascii.ToLower(name, lower, out _);
        return _lookup.TryGetValue(lower, out var command) ? command : null;
    }

    public CommandDefinition? Find(string name) => Find(Encoding.ASCII.GetBytes(name));

    /// <summary>Adds a command. <paramref name="flags"/> and <paramref name="acl"/> are Redis's words, space-separated.</summary>
    public CommandDefinition Add(string name, int arity, string flags, int firstKey, int lastKey, int step, string acl, CommandHandler? handler, string group, string summary, string since = "1.0.0", string complexity = "O(1)")
    {
        var command = Create(name, arity, flags, firstKey, lastKey, step, acl, handler, group, summary, since, complexity);
        _byName.Add(command.NameBytes, command);
        return command;
    }

    /// <summary>Creates a row without adding it (for subcommands).</summary>
    public static CommandDefinition Create(string name, int arity, string flags, int firstKey, int lastKey, int step, string acl, CommandHandler? handler, string group, string summary, string since = "1.0.0", string complexity = "O(1)")
        => new(name, arity, ParseFlags(flags), firstKey, lastKey, step, ParseAcl(acl, flags), handler, group, summary, since, complexity);

    public static readonly (CommandFlags Flag, string Name)[] FlagNames =
    [
        (CommandFlags.Write, "write"), (CommandFlags.ReadOnly, "readonly"), (CommandFlags.DenyOom, "denyoom"),
        (CommandFlags.Admin, "admin"), (CommandFlags.PubSub, "pubsub"), (CommandFlags.NoScript, "noscript"),
        (CommandFlags.Blocking, "blocking"), (CommandFlags.Loading, "loading"), (CommandFlags.Stale, "stale"),
        (CommandFlags.SkipMonitor, "skip_monitor"), (CommandFlags.SkipSlowlog, "skip_slowlog"), (CommandFlags.Fast, "fast"),
        (CommandFlags.NoAuth, "no_auth"), (CommandFlags.MayReplicate, "may_replicate"), (CommandFlags.NoMandatoryKeys, "no_mandatory_keys"),
        (CommandFlags.NoMulti, "no_multi"), (CommandFlags.AllowBusy, "allow_busy"), (CommandFlags.Movablekeys, "movablekeys"),
        (CommandFlags.Asking, "asking"), (CommandFlags.NoAsyncLoading, "no_async_loading"),
    ];

    public static readonly (AclCategories Category, string Name)[] AclNames =
    [
        (AclCategories.Keyspace, "keyspace"), (AclCategories.Read, "read"), (AclCategories.Write, "write"),
        (AclCategories.Set, "set"), (AclCategories.SortedSet, "sortedset"), (AclCategories.List, "list"),
        (AclCategories.Hash, "hash"), (AclCategories.String, "string"), (AclCategories.Bitmap, "bitmap"),
        (AclCategories.HyperLogLog, "hyperloglog"), (AclCategories.Geo, "geo"), (AclCategories.Stream, "stream"),
        (AclCategories.PubSub, "pubsub"), (AclCategories.Admin, "admin"), (AclCategories.Fast, "fast"),
        (AclCategories.Slow, "slow"), (AclCategories.Blocking, "blocking"), (AclCategories.Dangerous, "dangerous"),
        (AclCategories.Connection, "connection"), (AclCategories.Transaction, "transaction"), (AclCategories.Scripting, "scripting"),
    ];

    private static CommandFlags ParseFlags(string flags)
    {
        var result = CommandFlags.None;
        foreach (var word in flags.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int i = Array.FindIndex(FlagNames, f => f.Name == word);
            if (i < 0)
            {
                throw new ArgumentException($"Unknown command flag '{word}'.", nameof(flags));
            }

            result |= FlagNames[i].Flag;
        }

        return result;
    }

    // Redis derives some categories from flags: write -> @write, readonly -> @read, admin -> @admin
    // @dangerous, pubsub -> @pubsub, fast -> @fast, blocking -> @blocking, and not @fast -> @slow
    // (setImplicitACLCategories).
    private static AclCategories ParseAcl(string acl, string flags)
    {
        var result = AclCategories.None;
        foreach (var word in acl.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = word.TrimStart('@');
            int i = Array.FindIndex(AclNames, a => a.Name == name);
            if (i < 0)
            {
                throw new ArgumentException($"Unknown ACL category '{word}'.", nameof(acl));
            }

            result |= AclNames[i].Category;
        }

        var parsed = ParseFlags(flags);
        if ((parsed & CommandFlags.Write) != 0) result |= AclCategories.Write;
        if ((parsed & CommandFlags.ReadOnly) != 0 && (result & AclCategories.Scripting) == 0) result |= AclCategories.Read;
        if ((parsed & CommandFlags.Admin) != 0) result |= AclCategories.Admin | AclCategories.Dangerous;
        if ((parsed & CommandFlags.PubSub) != 0) result |= AclCategories.PubSub;
        if ((parsed & CommandFlags.Fast) != 0) result |= AclCategories.Fast;
        if ((parsed & CommandFlags.Blocking) != 0) result |= AclCategories.Blocking;
        if ((result & AclCategories.Fast) == 0) result |= AclCategories.Slow;
        return result;
    }
}
