using System.Text;
using Kv.Server.Commands;

namespace Kv.Server.Scripting;

/// <summary>One function of a library.</summary>
internal sealed class ScriptFunction(string name, int functionRef, ScriptFlags flags, string? description, FunctionLibrary library)
{
    public string Name { get; } = name;

    /// <summary>The callback in the functions Lua state's registry.</summary>
    public int FunctionRef { get; } = functionRef;

    public ScriptFlags Flags { get; } = flags;

    public string? Description { get; } = description;

    public FunctionLibrary Library { get; } = library;
}

/// <summary>A library: its name, code and functions, as FUNCTION LOAD made it.</summary>
internal sealed class FunctionLibrary(string name, byte[] code)
{
    public string Name { get; } = name;

    public byte[] Code { get; } = code;

    public List<ScriptFunction> Functions { get; } = [];
}

/// <summary>
/// Redis 7 functions: libraries loaded with FUNCTION LOAD, called by FCALL; their Lua state is apart
/// from EVAL's (functions.c, function_lua.c). Changed under the keyspace lock only.
/// </summary>
internal sealed class FunctionLibraries(ScriptingEngine engine)
{
    private static readonly (string Name, ScriptFlags Flag)[] FlagNames =
    [
        ("no-writes", ScriptFlags.NoWrites), ("allow-oom", ScriptFlags.AllowOom), ("allow-stale", ScriptFlags.AllowStale),
        ("no-cluster", ScriptFlags.NoCluster), ("allow-cross-slot-keys", ScriptFlags.AllowCrossSlotKeys),
    ];

    private readonly Dictionary<string, FunctionLibrary> _libraries = new(StringComparer.Ordinal);
    // Function names are case-insensitive for FCALL, library names are not (functions.c's functionDictType, librariesDictType).
    private readonly Dictionary<string, ScriptFunction> _functions = new(StringComparer.OrdinalIgnoreCase);

    // The library being loaded: redis.register_function adds here.
    private FunctionLibrary? _loading;

    public int LibraryCount => _libraries.Count;

    public int FunctionCount => _functions.Count;

    public IEnumerable<FunctionLibrary> Libraries => _libraries.Values;

    public static ScriptFlags ParseFlag(string name)
    {
        foreach (var (flagName, flag) in FlagNames)
        {
            if (flagName == name)
            {
                return flag;
            }
        }

        return ScriptFlags.None;
    }

    /// <summary>The flag names of a function in Redis's order (FUNCTION LIST).</summary>
    public static List<string> FlagNamesOf(ScriptFlags flags)
    {
        var names = new List<string>();
        foreach (var (name, flag) in FlagNames)
        {
            if ((flags & flag) != 0)
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>
    /// FUNCTION LOAD: returns the library name, or an error text (and nothing changed). <paramref name="timeout"/>:
    /// stop code running over 500 ms, as for a client's FUNCTION LOAD (not when loading from disk).
    /// </summary>
    public string? Load(byte[] code, bool replace, out string? error, bool timeout = false)
    {
        error = ParseMetadata(code, out string? name, out int shebangLength);
        if (error is not null)
        {
            return null;
        }

        if (_libraries.ContainsKey(name!) && !replace)
        {
            error = $"ERR Library '{name}' already exists";
            return null;
        }

        var library = Create(name!, code, shebangLength, timeout, out error);
        if (library is null)
        {
            return null;
        }

        error = Install(library, replace);
        return error is null ? name : null;
    }

    // functionExtractLibMetaData: "#!<engine> name=<library>" on the first line.
    private static string? ParseMetadata(byte[] code, out string? name, out int shebangLength)
    {
        name = null;
        shebangLength = 0;
        if (!code.AsSpan().StartsWith("#!"u8))
        {
            return ScriptErrors.MissingMetadata;
        }

        int end = Array.IndexOf(code, (byte)'\n');
        if (end < 0)
        {
            return "ERR Invalid library metadata";
        }

        shebangLength = end;
        var parts = ScriptingEngine.SplitShebang(code.AsSpan(0, end));
        if (parts is null || parts.Count == 0)
        {
            return "ERR Invalid library metadata";
        }

        for (int i = 1; i < parts.Count; i++)
        {
            if (parts[i].StartsWith("name=", StringComparison.OrdinalIgnoreCase))
            {
                if (name is not null)
                {
                    return "ERR Invalid metadata value, name argument was given multiple times";
                }

                name = parts[i][5..];
                continue;
            }

            return "ERR Invalid metadata value given: " + parts[i];
        }

        if (name is null)
        {
            return ScriptErrors.NoLibraryName;
        }

        // functionsCreateWithLibraryCtx checks the name before looking the engine up.
        if (!IsValidName(name))
        {
            return ScriptErrors.BadLibraryName;
        }

        string engineName = parts[0][2..];
        if (!engineName.Equals("lua", StringComparison.OrdinalIgnoreCase))
        {
            return $"ERR Engine '{engineName}' not found";
        }

        return null;
    }

    private static bool IsValidName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (char ch in name)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch != '_')
            {
                return false;
            }
        }

        return true;
    }

    // Compiles the code and runs it so its redis.register_function calls fill the new library.
    private FunctionLibrary? Create(string name, byte[] code, int shebangLength, bool timeout, out string? error)
    {
        var state = engine.FunctionState;
        int chunk = state.Compile(code.AsSpan(shebangLength), "@user_function"u8, out string? compileError);
        if (chunk < 0)
        {
            error = "ERR Error compiling function: " + compileError;
            return null;
        }

        var library = new FunctionLibrary(name, code);
        _loading = library;
        string? loadError;
        try
        {
            loadError = engine.LoadLibrary(chunk, timeout);
        }
        finally
        {
            _loading = null;
            state.Release(chunk);
        }

        if (loadError is not null)
        {
            Release(library);
            error = "ERR Error registering functions: " + loadError;
            return null;
        }

        if (library.Functions.Count == 0)
        {
            Release(library);
            error = ScriptErrors.NoFunctions;
            return null;
        }

        error = null;
        return library;
    }

    /// <summary>redis.register_function's native half: (name, callback, flags, description).</summary>
    public int RegisterFromLibrary(IntPtr l)
    {
        var library = _loading;
        if (library is null)
        {
            return ScriptNatives.Fail(l, "redis.register_function can only be called on FUNCTION LOAD command");
        }

        string name = Encoding.UTF8.GetString(LuaApi.ToSpan(l, 1));
        foreach (var existing in library.Functions)
        {
            if (existing.Name == name)
            {
                return ScriptNatives.Fail(l, ScriptErrors.FunctionExistsInLibrary[4..]);
            }
        }

        var flags = (ScriptFlags)LuaApi.ToInteger(l, 3);
        string? description = LuaApi.lua_type(l, 4) == LuaApi.TypeString ? Encoding.UTF8.GetString(LuaApi.ToSpan(l, 4)) : null;
        LuaApi.lua_pushvalue(l, 2);
        int reference = LuaApi.luaL_ref(l, LuaApi.RegistryIndex);
        library.Functions.Add(new ScriptFunction(name, reference, flags, description, library));
        LuaApi.lua_pushboolean(l, 1);
        return 1;
    }

    // Adds a created library; with replace an old one of the same name goes. Functions must not clash with other libraries'.
    private string? Install(FunctionLibrary library, bool replace)
    {
        _libraries.TryGetValue(library.Name, out var old);
        if (old is not null && !replace)
        {
            Release(library);
            return $"ERR Library '{library.Name}' already exists";
        }

        foreach (var function in library.Functions)
        {
            if (_functions.TryGetValue(function.Name, out var existing) && existing.Library != old)
            {
                Release(library);
                return $"ERR Function {function.Name} already exists";
            }
        }

        if (old is not null)
        {
            Remove(old);
        }

        _libraries[library.Name] = library;
        foreach (var function in library.Functions)
        {
            // "f" and "F" of one library: the first wins, as Redis's dictAdd in libraryLink.
            _functions.TryAdd(function.Name, function);
        }

        return null;
    }

    private void Remove(FunctionLibrary library)
    {
        _libraries.Remove(library.Name);
        foreach (var function in library.Functions)
        {
            if (_functions.TryGetValue(function.Name, out var linked) && linked == function)
            {
                _functions.Remove(function.Name);
            }
        }

        Release(library);
    }

    private void Release(FunctionLibrary library)
    {
        foreach (var function in library.Functions)
        {
            engine.FunctionState.Release(function.FunctionRef);
        }
    }

    public bool Delete(string name)
    {
        if (!_libraries.TryGetValue(name, out var library))
        {
            return false;
        }

        Remove(library);
        return true;
    }

    public void Flush()
    {
        foreach (var library in new List<FunctionLibrary>(_libraries.Values))
        {
            Remove(library);
        }
    }

    public ScriptFunction? Find(string name) => _functions.GetValueOrDefault(name);

    /// <summary>FCALL and FCALL_RO.</summary>
    public void Call(CommandContext c, bool readOnlyCommand)
    {
        var function = _functions.GetValueOrDefault(c.ArgString(1));
        if (!ScriptingEngine.TryKeyCount(c, ScriptErrors.BadKeyCount, out int numKeys))
        {
            return;
        }

        if (function is null)
        {
            c.Reply.Error(ScriptErrors.FunctionNotFound);
            return;
        }

        bool noWrites = (function.Flags & ScriptFlags.NoWrites) != 0;
        if (readOnlyCommand && !noWrites)
        {
            c.Reply.Error(ScriptErrors.WriteFlagInReadOnly);
            return;
        }

        var command = new string[c.ArgCount];
        for (int i = 0; i < command.Length; i++)
        {
            command[i] = c.ArgString(i);
        }

        var state = engine.FunctionState;
        IntPtr l = state.Handle;
        state.PushHandlerAndFunction(function.FunctionRef);
        LuaScriptState.PushArgs(l, c, 3, numKeys);
        LuaScriptState.PushArgs(l, c, 3 + numKeys, c.ArgCount - 3 - numKeys);
        engine.Run(c, state, 2, isEval: false, readOnlyCommand || noWrites, function.Name, command);
    }

    #region DUMP and RESTORE

    // Redis's DUMP payload of functions: for each library RDB_OPCODE_FUNCTION2 and its code as an RDB
    // string, then the RDB version (2 bytes, little endian) and a CRC64 of all before it.
    private const byte OpcodeFunction2 = 245;
    private const ushort RdbVersion = 10;

    public byte[] Dump()
    {
        var payload = new List<byte>();
        foreach (var library in _libraries.Values)
        {
            payload.Add(OpcodeFunction2);
            RdbString.Write(payload, library.Code);
        }

        payload.Add((byte)(RdbVersion & 0xff));
        payload.Add((byte)(RdbVersion >> 8));
        ulong crc = Persistence.Rdb.Crc64.Compute(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(payload));
        for (int i = 0; i < 8; i++)
        {
            payload.Add((byte)(crc >> (8 * i)));
        }

        return [.. payload];
    }

    /// <summary>FUNCTION RESTORE with policy FLUSH, APPEND or REPLACE; null on success, else the error.</summary>
    public string? Restore(ReadOnlySpan<byte> payload, string policy)
    {
        if (payload.Length < 10)
        {
            return ScriptErrors.BadPayload;
        }

        var footer = payload[^10..];
        int version = footer[0] | (footer[1] << 8);
        ulong crc = 0;
        for (int i = 0; i < 8; i++)
        {
            crc |= (ulong)footer[2 + i] << (8 * i);
        }

        if (version > RdbVersion || Persistence.Rdb.Crc64.Compute(payload[..^8]) != crc)
        {
            return ScriptErrors.BadPayload;
        }

        var body = payload[..^10];
        var codes = new List<byte[]>();
        int position = 0;
        while (position < body.Length)
        {
            if (body[position] != OpcodeFunction2)
            {
                return "ERR given type is not a function";
            }

            position++;
            var code = RdbString.Read(body, ref position);
            if (code is null)
            {
                return "ERR Failed loading library";
            }

            codes.Add(code);
        }

        // Build every library first; nothing changes unless all load (Redis restores into a new context).
        var created = new List<FunctionLibrary>();
        foreach (var code in codes)
        {
            string? error = ParseMetadata(code, out string? name, out int shebangLength);
            // Redis restores without a timeout (rdbFunctionLoad); a client's command must not hang the server.
            var library = error is null ? Create(name!, code, shebangLength, timeout: true, out error) : null;
            if (library is null)
            {
                foreach (var done in created)
                {
                    Release(done);
                }

                return error;
            }

            created.Add(library);
        }

        if (policy == "FLUSH")
        {
            Flush();
        }
        else
        {
            // APPEND refuses any clash; REPLACE swaps libraries of the same name but not clashing functions.
            foreach (var library in created)
            {
                if (policy == "APPEND" && _libraries.ContainsKey(library.Name))
                {
                    created.ForEach(Release);
                    return $"ERR Library {library.Name} already exists";
                }

                foreach (var function in library.Functions)
                {
                    if (_functions.TryGetValue(function.Name, out var existing) && (policy == "APPEND" || existing.Library.Name != library.Name))
                    {
                        created.ForEach(Release);
                        return $"ERR Function {function.Name} already exists";
                    }
                }
            }
        }

        foreach (var library in created)
        {
            Install(library, replace: true);
        }

        return null;
    }

    #endregion
}
