namespace Kv.Server.Commands;

/// <summary>Runs one command. Handlers never await: they read <see cref="CommandContext.Arg"/> and write one reply.</summary>
internal delegate void CommandHandler(CommandContext context);

/// <summary>
/// The key flags of a key spec marked <c>variable_flags</c> for one call, as a Redis getkeys_proc decides
/// them; the call's arguments are <c>context.Arg(first)</c> (its name) to the end.
/// </summary>
internal delegate string[] VariableKeyFlags(CommandContext context, int first);

/// <summary>
/// A Redis getkeys_proc: the keys of one call (positions relative to its name, with their flags), for
/// commands whose key specs cannot find them all (SORT's STORE). The call's arguments are
/// <c>context.Arg(first)</c> (its name) to <c>context.Arg(first + argc - 1)</c>.
/// </summary>
internal delegate void GetKeysProc(CommandContext context, int first, int argc, List<(int Position, string[] Flags)> keys);

/// <summary>
/// One row of the command table: everything the dispatcher checks before a handler runs, and
/// what COMMAND INFO / COMMAND DOCS report.
/// </summary>
internal sealed class CommandDefinition
{
    public CommandDefinition(string name, int arity, CommandFlags flags, int firstKey, int lastKey, int step, AclCategories acl, CommandHandler? handler, string group, string summary, string since = "1.0.0", string complexity = "O(1)")
    {
        Name = name;
        NameBytes = System.Text.Encoding.ASCII.GetBytes(name);
        Arity = arity;
        Flags = flags;
        FirstKey = firstKey;
        LastKey = lastKey;
        Step = step;
        Acl = acl;
        Handler = handler;
        Group = group;
        Summary = summary;
        Since = since;
        Complexity = complexity;
        FullName = name;
    }

    /// <summary>Lower-case name (for a subcommand, its own name, such as <c>kill</c>).</summary>
    public string Name { get; }

    public byte[] NameBytes { get; }

    /// <summary>Name as Redis reports it in errors and COMMAND: <c>get</c>, or <c>client|kill</c>.</summary>
    public string FullName { get; private set; }

    /// <summary>Positive: exact argument count (command name included); negative: at least -Arity.</summary>
    public int Arity { get; }

    public CommandFlags Flags { get; }

    public int FirstKey { get; }

    public int LastKey { get; }

    public int Step { get; }

    public AclCategories Acl { get; }

    /// <summary>Null for a container command whose subcommands do the work (CLIENT, CONFIG…).</summary>
    public CommandHandler? Handler { get; }

    public string Group { get; }

    public string Summary { get; }

    public string Since { get; }

    public string Complexity { get; }

    public CommandDefinition? Parent { get; private set; }

    /// <summary>Runs Lua (EVAL…, FCALL…, FUNCTION): the connection moves off the socket thread first.</summary>
    public bool RunsScripts { get; set; }

    /// <summary>COMMAND INFO tips, such as <c>nondeterministic_output</c> or <c>request_policy:all_shards</c>.</summary>
    public string[] Tips { get; set; } = [];

    /// <summary>
    /// Key-spec flags for a row without <see cref="KeySpecs"/>: COMMAND INFO then reports one spec for the
    /// legacy key range with these flags (<c>RW access update</c>…); null derives them from the command
    /// flags (readonly: RO access; write: RW update).
    /// </summary>
    public string[]? KeySpecFlags { get; set; }

    /// <summary>Redis 7 key specs (COMMAND INFO, COMMAND GETKEYS); empty: derived from the legacy key range.</summary>
    public KeySpec[] KeySpecs { get; private set; } = [];

    /// <summary>COMMAND DOCS arguments; empty: the reply has no arguments field.</summary>
    public CommandArgument[] Arguments { get; private set; } = [];

    /// <summary>COMMAND DOCS history: the version and what changed in it.</summary>
    public (string Version, string Change)[] History { get; private set; } = [];

    /// <summary>COMMAND DOCS doc_flags: <c>deprecated</c>, <c>syscmd</c>.</summary>
    public string[] DocFlags { get; private set; } = [];

    public string? DeprecatedSince { get; private set; }

    public string? ReplacedBy { get; private set; }

    /// <summary>For a row whose key spec has <c>variable_flags</c>: the flags COMMAND GETKEYSANDFLAGS reports.</summary>
    public VariableKeyFlags? KeyFlags { get; private set; }

    /// <summary>Subcommands by lower-case name; empty for a plain command.</summary>
    public Dictionary<string, CommandDefinition> Subcommands { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Per-command counters for INFO commandstats; changed under the keyspace lock.</summary>
    public CommandStats Stats { get; } = new();

    public bool Has(CommandFlags flag) => (Flags & flag) != 0;

    /// <summary>Sets the tips COMMAND INFO reports, in Redis's order.</summary>
    public CommandDefinition WithTips(params string[] tips)
    {
        Tips = tips;
        return this;
    }

    /// <summary>Sets the key specs, each in <see cref="KeySpec"/>'s one-line form, in Redis's order.</summary>
    public CommandDefinition WithKeys(params string[] specs)
    {
        KeySpecs = Array.ConvertAll(specs, KeySpec.Parse);
        return this;
    }

    /// <summary>Sets the COMMAND DOCS arguments, in <see cref="CommandArgument"/>'s one-line form.</summary>
    public CommandDefinition WithArgs(string arguments)
    {
        Arguments = CommandArgument.ParseList(arguments);
        return this;
    }

    /// <summary>Redis's getkeys_proc: used by COMMAND GETKEYS when the key specs cannot find the keys.</summary>
    public GetKeysProc? GetKeys { get; private set; }

    public CommandDefinition WithGetKeys(GetKeysProc getKeys)
    {
        GetKeys = getKeys;
        return this;
    }

    public CommandDefinition WithKeyFlags(VariableKeyFlags keyFlags)
    {
        KeyFlags = keyFlags;
        return this;
    }

    public CommandDefinition WithHistory(params (string Version, string Change)[] history)
    {
        History = history;
        return this;
    }

    /// <summary>Marks the command deprecated in COMMAND DOCS (doc_flags, deprecated_since, replaced_by).</summary>
    public CommandDefinition Deprecated(string since, string replacedBy)
    {
        DocFlags = ["deprecated"];
        DeprecatedSince = since;
        ReplacedBy = replacedBy;
        return this;
    }

    public CommandDefinition WithDocFlags(params string[] docFlags)
    {
        DocFlags = docFlags;
        return this;
    }

    public CommandDefinition AddSubcommand(CommandDefinition sub)
    {
        sub.Parent = this;
        sub.FullName = Name + "|" + sub.Name;
        Subcommands.Add(sub.Name, sub);
        return this;
    }

    public bool ArityMatches(int argCount) => Arity >= 0 ? argCount == Arity : argCount >= -Arity;
}

/// <summary>calls, usec, rejected and failed calls, as INFO commandstats reports.</summary>
internal sealed class CommandStats
{
    public long Calls;
    public long Microseconds;
    public long RejectedCalls;
    public long FailedCalls;
}
