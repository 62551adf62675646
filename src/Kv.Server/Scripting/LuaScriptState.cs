using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using KeraLua;

namespace Kv.Server.Scripting;

/// <summary>
/// One Lua 5.4 state (through KeraLua) with Redis's script environment loaded into it
/// (ScriptEnvironment.lua). Redis keeps EVAL scripts and function libraries in separate states; so do we.
/// </summary>
internal sealed unsafe class LuaScriptState : IDisposable
{
    private readonly Lua _lua;
    private readonly int _globalsRef;
    private readonly int _envRef;
    private readonly int _handlerRef;
    private readonly int _compileRef;
    private readonly int _loadLibraryRef;
    private readonly int _resetHookRef;

    public LuaScriptState(bool functions)
    {
        _lua = new Lua(openLibs: false);
        _lua.OpenBasicLibrary();
        _lua.OpenTableLibrary();
        _lua.OpenStringLibrary();
        _lua.OpenMathLibrary();
        _lua.OpenCoroutineLibrary();
        _lua.OpenDebugLibrary();
        _lua.SetTop(0);
        IntPtr l = Handle;

        // Without its debug information (line numbers, local names) the environment's code takes a third less
        // of the Lua heap, which INFO's used_memory_lua shows (Redis's suite expects a fresh state under 100 KB).
        // Its frames then have source "=?" and no line: errors raised in them carry no position, as C's don't.
        if (!LoadStripped(l, EnvironmentSource, "=kv_environment", out string? error))
        {
            throw new InvalidOperationException("The script environment does not load: " + error);
        }

        PushNatives(l);
        LuaApi.lua_pushlightuserdata(l, IntPtr.Zero);
        LuaApi.PushBytes(l, functions ? "function"u8 : "eval"u8);
        if (LuaApi.PCall(l, 3, 1, 0) != LuaApi.Ok)
        {
            throw new InvalidOperationException("The script environment failed to load: " + _lua.ToString(-1));
        }

        int handles = LuaApi.lua_gettop(l);
        _globalsRef = Reference(l, handles, "globals"u8);
        _envRef = Reference(l, handles, "env"u8);
        _handlerRef = Reference(l, handles, "handler"u8);
        _compileRef = Reference(l, handles, "compile"u8);
        _loadLibraryRef = Reference(l, handles, "load_library"u8);
        _resetHookRef = Reference(l, handles, "reset_hook"u8);
        LuaApi.lua_settop(l, 0);

        // What building the environment left behind goes now, not in the first scripts' time.
        LuaApi.lua_gc(l, 2, 0);
    }

    public IntPtr Handle => _lua.Handle;

    /// <summary>Bytes the Lua allocator holds (INFO used_memory_lua).</summary>
    public long UsedMemory => (long)LuaApi.lua_gc(Handle, 3, 0) * 1024 + LuaApi.lua_gc(Handle, 4, 0);

    /// <summary>
    /// Compiles <paramref name="code"/> against the sandbox; on success returns a registry reference to the
    /// function, else -1 with Lua's message in <paramref name="error"/>.
    /// </summary>
    public int Compile(ReadOnlySpan<byte> code, ReadOnlySpan<byte> chunkName, out string? error)
    {
        IntPtr l = Handle;
        int top = LuaApi.lua_gettop(l);
        LuaApi.lua_rawgeti(l, LuaApi.RegistryIndex, _compileRef);
        LuaApi.PushBytes(l, code);
        LuaApi.PushBytes(l, chunkName);
        if (LuaApi.PCall(l, 2, 2, 0) != LuaApi.Ok || LuaApi.lua_type(l, top + 1) != LuaApi.TypeFunction)
        {
            // Lua 5.1 quotes the end of the chunk as a token ("near '<eof>'"); 5.4 does not.
            error = Encoding.UTF8.GetString(LuaApi.ToSpan(l, -1)).Replace("near <eof>", "near '<eof>'", StringComparison.Ordinal);
            LuaApi.lua_settop(l, top);
            return -1;
        }

        LuaApi.Pop(l, 1);
        TailCallRemover.Rewrite(l, _envRef);
        error = null;
        return LuaApi.luaL_ref(l, LuaApi.RegistryIndex);
    }

    /// <summary>Runs a library's code with the library API; null on success, else the error's err text.</summary>
    public string? LoadLibrary(int chunkRef)
    {
        IntPtr l = Handle;
        int top = LuaApi.lua_gettop(l);
        LuaApi.lua_rawgeti(l, LuaApi.RegistryIndex, _loadLibraryRef);
        LuaApi.lua_rawgeti(l, LuaApi.RegistryIndex, chunkRef);
        string? error = null;
        if (LuaApi.PCall(l, 1, 1, 0) != LuaApi.Ok)
        {
            error = "ERR " + Encoding.UTF8.GetString(LuaApi.ToSpan(l, -1));
        }
        else if (LuaApi.lua_type(l, -1) == LuaApi.TypeTable)
        {
            LuaApi.RawGetField(l, -1, "err"u8);
            error = LuaApi.lua_type(l, -1) == LuaApi.TypeString ? Encoding.UTF8.GetString(LuaApi.ToSpan(l, -1)) : "ERR unknown error";
        }

        LuaApi.lua_settop(l, top);
        return error;
    }

    public void Release(int reference) => LuaApi.luaL_unref(Handle, LuaApi.RegistryIndex, reference);

    /// <summary>Pushes the error handler, the function and leaves them for <see cref="ScriptingEngine"/> to call.</summary>
    public void PushHandlerAndFunction(int functionRef)
    {
        LuaApi.lua_rawgeti(Handle, LuaApi.RegistryIndex, _handlerRef);
        LuaApi.lua_rawgeti(Handle, LuaApi.RegistryIndex, functionRef);
    }

    /// <summary>Sets the KEYS and ARGV globals of an EVAL (straight into the protected globals table).</summary>
    public void SetGlobalArray(ReadOnlySpan<byte> name, Commands.CommandContext c, int first, int count)
    {
        IntPtr l = Handle;
        LuaApi.lua_rawgeti(l, LuaApi.RegistryIndex, _globalsRef);
        LuaApi.PushBytes(l, name);
        PushArgs(l, c, first, count);
        LuaApi.lua_rawset(l, -3);
        LuaApi.Pop(l, 1);
    }

    /// <summary>Pushes a table of arguments <paramref name="first"/>… of the command.</summary>
    public static void PushArgs(IntPtr l, Commands.CommandContext c, int first, int count)
    {
        LuaApi.lua_createtable(l, count, 0);
        for (int i = 0; i < count; i++)
        {
            LuaApi.PushBytes(l, c.Arg(first + i));
            LuaApi.lua_rawseti(l, -2, i + 1);
        }
    }

    /// <summary>After a kill the hook fires on every line; the next script starts with the count hook again.</summary>
    public void ResetHook(int keep)
    {
        IntPtr l = Handle;
        var saved = LuaApi.lua_gettop(l);
        LuaApi.lua_rawgeti(l, LuaApi.RegistryIndex, _resetHookRef);
        LuaApi.PCall(l, 0, 0, 0);
        LuaApi.lua_settop(l, Math.Max(saved, keep));
    }

    public void Dispose() => _lua.Dispose();

    private static int Reference(IntPtr l, int table, ReadOnlySpan<byte> field)
    {
        LuaApi.RawGetField(l, table, field);
        return LuaApi.luaL_ref(l, LuaApi.RegistryIndex);
    }

    /// <summary>ScriptEnvironment.lua, run in every state.</summary>
    private static byte[] EnvironmentSource { get; } = ReadResource("Kv.Server.Scripting.ScriptEnvironment.lua");

    /// <summary>ScriptLibraries.lua (bit, struct, cjson, cmsgpack), loaded into a state when a script first uses one.</summary>
    internal static byte[] LibrariesSource { get; } = ReadResource("Kv.Server.Scripting.ScriptLibraries.lua");

    /// <summary>
    /// Compiles <paramref name="source"/> (ours, trusted) and pushes it without debug information; false
    /// with Lua's message if it does not compile. Raises no Lua error (callable from a native).
    /// </summary>
    internal static bool LoadStripped(IntPtr l, byte[] source, string name, out string? error)
    {
        error = null;
        fixed (byte* p = source)
        {
            if (LuaApi.luaL_loadbufferx(l, p, (nuint)source.Length, name, "t") != LuaApi.Ok)
            {
                error = Encoding.UTF8.GetString(LuaApi.ToSpan(l, -1));
                LuaApi.Pop(l, 1);
                return false;
            }
        }

        byte[]? stripped = TailCallRemover.Dump(l, strip: true);
        LuaApi.Pop(l, 1);
        if (stripped is null)
        {
            error = "the chunk does not dump";
            return false;
        }

        fixed (byte* p = stripped)
        {
            if (LuaApi.luaL_loadbufferx(l, p, (nuint)stripped.Length, name, "b") != LuaApi.Ok)
            {
                error = Encoding.UTF8.GetString(LuaApi.ToSpan(l, -1));
                LuaApi.Pop(l, 1);
                return false;
            }
        }

        return true;
    }

    private static byte[] ReadResource(string name)
    {
        using var stream = typeof(LuaScriptState).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The resource {name} is missing.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static void PushNatives(IntPtr l)
    {
        LuaApi.lua_createtable(l, 0, 8);
        Native(l, "call"u8, &ScriptNatives.Call);
        Native(l, "sha1hex"u8, &ScriptNatives.Sha1Hex);
        Native(l, "log"u8, &ScriptNatives.Log);
        Native(l, "setresp"u8, &ScriptNatives.SetResp);
        Native(l, "acl_check"u8, &ScriptNatives.AclCheck);
        Native(l, "killed"u8, &ScriptNatives.Killed);
        Native(l, "register"u8, &ScriptNatives.Register);
        Native(l, "libraries"u8, &ScriptNatives.Libraries);
    }

    private static void Native(IntPtr l, ReadOnlySpan<byte> name, delegate* unmanaged[Cdecl]<IntPtr, int> function)
    {
        LuaApi.lua_pushcclosure(l, function, 0);
        LuaApi.RawSetField(l, -2, name);
    }
}

/// <summary>
/// The C functions the environment calls. Each runs on the thread running the script, finds its engine
/// through <see cref="ScriptingEngine.Current"/>, never lets an exception or a Lua error escape, and
/// reports failures as a <c>false, message</c> pair the Lua side raises.
/// </summary>
internal static class ScriptNatives
{
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Call(IntPtr l) => Guard(l, static (engine, state) => engine.CallFromScript(state));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Sha1Hex(IntPtr l) => Guard(l, static (_, state) =>
    {
        Span<byte> hex = stackalloc byte[40];
        ScriptCache.Sha1Hex(LuaApi.ToSpan(state, 1), hex);
        LuaApi.PushBytes(state, hex);
        return 1;
    });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Log(IntPtr l) => Guard(l, static (engine, state) =>
    {
        engine.Log((int)LuaApi.ToInteger(state, 1), Encoding.UTF8.GetString(LuaApi.ToSpan(state, 2)));
        return 0;
    });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int SetResp(IntPtr l) => Guard(l, static (engine, state) =>
    {
        engine.SetScriptResp((int)LuaApi.ToInteger(state, 1));
        return 0;
    });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int AclCheck(IntPtr l) => Guard(l, static (engine, state) => engine.AclCheck(state));

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Killed(IntPtr l) => Guard(l, static (engine, state) =>
    {
        string? message = engine.OnHook();
        if (message is null)
        {
            LuaApi.lua_pushnil(state);
        }
        else
        {
            LuaApi.PushBytes(state, Encoding.ASCII.GetBytes(message));
        }

        return 1;
    });

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Register(IntPtr l) => Guard(l, static (engine, state) => engine.Functions.RegisterFromLibrary(state));

    /// <summary>Pushes ScriptLibraries.lua's chunk (nil if it does not load: the caller's call then fails).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Libraries(IntPtr l)
    {
        if (!LuaScriptState.LoadStripped(l, LuaScriptState.LibrariesSource, "=kv_libraries", out _))
        {
            LuaApi.lua_pushnil(l);
        }

        return 1;
    }

    private static int Guard(IntPtr l, Func<ScriptingEngine, IntPtr, int> body)
    {
        try
        {
            var engine = ScriptingEngine.Current ?? throw new InvalidOperationException("No script is running on this thread.");
            return body(engine, l);
        }
        catch (Exception ex)
        {
            LuaApi.lua_settop(l, 0);
            LuaApi.lua_pushboolean(l, 0);
            LuaApi.PushBytes(l, Encoding.UTF8.GetBytes("internal error: " + ex.Message));
            return 2;
        }
    }

    /// <summary>Returns <c>false, message</c> to the Lua wrapper, which raises it (the error handler adds "ERR ").</summary>
    public static int Fail(IntPtr l, string message)
    {
        LuaApi.lua_pushboolean(l, 0);
        LuaApi.PushBytes(l, Encoding.UTF8.GetBytes(message));
        return 2;
    }
}
