using System.Runtime.InteropServices;

namespace Kv.Server.Scripting;

/// <summary>
/// The few Lua 5.4 C API calls the engine makes on its hot paths and from its callbacks, bound to the
/// native library KeraLua ships (<c>lua54</c>). KeraLua's <c>Lua</c> object owns the state; these take
/// raw <c>lua_State*</c> pointers so a callback (which gets one) works on spans and function pointers
/// without delegates, allocations or per-call object lookups.
/// </summary>
/// <remarks>
/// Nothing here may be called in a way that raises a Lua error from inside a callback: a Lua error is a
/// longjmp, and one across managed frames corrupts the runtime. Callbacks therefore read arguments
/// with the raw, metamethod-free calls and report failures as return values (see ScriptEnvironment).
/// </remarks>
internal static unsafe partial class LuaApi
{
    private const string Library = "lua54";

    public const int RegistryIndex = -1000000 - 1000;
    public const int MultipleResults = -1;

    public const int TypeNone = -1;
    public const int TypeNil = 0;
    public const int TypeBoolean = 1;
    public const int TypeLightUserData = 2;
    public const int TypeNumber = 3;
    public const int TypeString = 4;
    public const int TypeTable = 5;
    public const int TypeFunction = 6;

    public const int Ok = 0;

    [LibraryImport(Library)]
    public static partial int lua_gettop(IntPtr l);

    [LibraryImport(Library)]
    public static partial void lua_settop(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial void lua_pushvalue(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial void lua_rotate(IntPtr l, int index, int n);

    [LibraryImport(Library)]
    public static partial int lua_checkstack(IntPtr l, int n);

    [LibraryImport(Library)]
    public static partial int lua_type(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial byte* lua_tolstring(IntPtr l, int index, out nuint length);

    [LibraryImport(Library)]
    public static partial double lua_tonumberx(IntPtr l, int index, IntPtr isNumber);

    [LibraryImport(Library)]
    public static partial long lua_tointegerx(IntPtr l, int index, IntPtr isNumber);

    [LibraryImport(Library)]
    public static partial int lua_isinteger(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial int lua_toboolean(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial ulong lua_rawlen(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial void lua_pushnil(IntPtr l);

    [LibraryImport(Library)]
    public static partial void lua_pushnumber(IntPtr l, double n);

    [LibraryImport(Library)]
    public static partial void lua_pushinteger(IntPtr l, long n);

    [LibraryImport(Library)]
    public static partial byte* lua_pushlstring(IntPtr l, byte* s, nuint length);

    [LibraryImport(Library)]
    public static partial void lua_pushboolean(IntPtr l, int b);

    [LibraryImport(Library)]
    public static partial void lua_pushcclosure(IntPtr l, delegate* unmanaged[Cdecl]<IntPtr, int> function, int upvalues);

    [LibraryImport(Library)]
    public static partial void lua_pushlightuserdata(IntPtr l, IntPtr p);

    [LibraryImport(Library)]
    public static partial void lua_createtable(IntPtr l, int arrayCount, int recordCount);

    [LibraryImport(Library)]
    public static partial int lua_rawget(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial int lua_rawgeti(IntPtr l, int index, long n);

    [LibraryImport(Library)]
    public static partial void lua_rawset(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial void lua_rawseti(IntPtr l, int index, long n);

    [LibraryImport(Library)]
    public static partial int lua_next(IntPtr l, int index);

    [LibraryImport(Library)]
    public static partial int lua_pcallk(IntPtr l, int arguments, int results, int handler, IntPtr context, IntPtr continuation);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int luaL_loadbufferx(IntPtr l, byte* buffer, nuint size, string name, string mode);

    [LibraryImport(Library)]
    public static partial int lua_dump(IntPtr l, delegate* unmanaged[Cdecl]<IntPtr, byte*, nuint, IntPtr, int> writer, IntPtr data, int strip);

    [LibraryImport(Library)]
    public static partial IntPtr lua_setupvalue(IntPtr l, int function, int n);

    [LibraryImport(Library)]
    public static partial int luaL_ref(IntPtr l, int table);

    [LibraryImport(Library)]
    public static partial void luaL_unref(IntPtr l, int table, int reference);

    [LibraryImport(Library)]
    public static partial int lua_gc(IntPtr l, int what, int arg);

    public static void Pop(IntPtr l, int n) => lua_settop(l, -n - 1);

    public static void Insert(IntPtr l, int index) => lua_rotate(l, index, 1);

    public static void Remove(IntPtr l, int index)
    {
        lua_rotate(l, index, -1);
        Pop(l, 1);
    }

    public static int PCall(IntPtr l, int arguments, int results, int handler) => lua_pcallk(l, arguments, results, handler, IntPtr.Zero, IntPtr.Zero);

    public static ReadOnlySpan<byte> ToSpan(IntPtr l, int index)
    {
        byte* p = lua_tolstring(l, index, out nuint length);
        return p == null ? default : new ReadOnlySpan<byte>(p, checked((int)length));
    }

    public static void PushBytes(IntPtr l, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            lua_pushlstring(l, p, (nuint)value.Length);
        }
    }

    /// <summary>lua_setfield without metamethods: the table at <paramref name="table"/> gets key = value on top.</summary>
    public static void RawSetField(IntPtr l, int table, ReadOnlySpan<byte> key)
    {
        int absolute = table < 0 && table > RegistryIndex ? lua_gettop(l) + table + 1 : table;
        PushBytes(l, key);
        Insert(l, -2);
        lua_rawset(l, absolute);
    }

    /// <summary>Pushes table[key] (raw) and returns its type.</summary>
    public static int RawGetField(IntPtr l, int table, ReadOnlySpan<byte> key)
    {
        int absolute = table < 0 && table > RegistryIndex ? lua_gettop(l) + table + 1 : table;
        PushBytes(l, key);
        return lua_rawget(l, absolute);
    }

    public static bool IsInteger(IntPtr l, int index) => lua_isinteger(l, index) != 0;

    public static double ToNumber(IntPtr l, int index) => lua_tonumberx(l, index, IntPtr.Zero);

    public static long ToInteger(IntPtr l, int index) => lua_tointegerx(l, index, IntPtr.Zero);
}
