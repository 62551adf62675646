using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kv.Server.Scripting;

/// <summary>
/// Turns the tail calls of compiled user code into plain calls (OP_TAILCALL → OP_CALL; the OP_RETURN the
/// compiler emits after each tail call returns the results the same way).
/// </summary>
/// <remarks>
/// Why: redis.call and friends are Lua wrappers here (a C# callback cannot raise a Lua error), and in
/// <c>return redis.call(...)</c> a Lua tail call would drop the script's frame, so an error could not name
/// the script's line as Redis's does (in Redis redis.call is a C function, which a tail call keeps the
/// caller's frame for). The function is dumped, its code patched in place and loaded back (the bytes are
/// ours, so loading them as a binary chunk is safe; scripts themselves can load text only).
/// Lua 5.4's dump format: ldump.c.
/// </remarks>
internal static unsafe class TailCallRemover
{
    private const uint OpCall = 68;
    private const uint OpTailCall = 69;
    private const int HeaderSize = 4 + 1 + 1 + 6 + 3 + 8 + 8;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_dump;

    /// <summary>Replaces the function on top of the stack by its tail-call-free copy, with <c>_ENV</c> set from <paramref name="envRef"/>.</summary>
    public static bool Rewrite(IntPtr l, int envRef)
    {
        byte[]? bytes = Dump(l, strip: false);
        if (bytes is null)
        {
            return false;
        }

        int position = HeaderSize + 1;
        if (bytes.Length < position || bytes[4] != 0x54 || !PatchFunction(bytes, ref position))
        {
            return false;
        }

        fixed (byte* p = bytes)
        {
            if (LuaApi.luaL_loadbufferx(l, p, (nuint)bytes.Length, "=patched", "b") != LuaApi.Ok)
            {
                LuaApi.Pop(l, 1);
                return false;
            }
        }

        LuaApi.lua_rawgeti(l, LuaApi.RegistryIndex, envRef);
        LuaApi.lua_setupvalue(l, -2, 1);
        LuaApi.Remove(l, -2);
        return true;
    }

    /// <summary>lua_dump of the function on top of the stack (left there); null if Lua refuses.</summary>
    public static byte[]? Dump(IntPtr l, bool strip)
    {
        var dump = t_dump ??= new ArrayBufferWriter<byte>(4096);
        dump.ResetWrittenCount();
        if (LuaApi.lua_dump(l, &Write, IntPtr.Zero, strip ? 1 : 0) != 0)
        {
            return null;
        }

        return dump.WrittenSpan.ToArray();
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Write(IntPtr l, byte* p, nuint size, IntPtr ud)
    {
        t_dump!.Write(new ReadOnlySpan<byte>(p, (int)size));
        return 0;
    }

    private static bool PatchFunction(byte[] bytes, ref int position)
    {
        SkipString(bytes, ref position);
        ReadSize(bytes, ref position);
        ReadSize(bytes, ref position);
        position += 3; // numparams, is_vararg, maxstacksize
        int codeCount = (int)ReadSize(bytes, ref position);
        for (int i = 0; i < codeCount; i++)
        {
            var span = bytes.AsSpan(position, 4);
            uint instruction = BinaryPrimitives.ReadUInt32LittleEndian(span);
            if ((instruction & 0x7F) == OpTailCall)
            {
                // OP_CALL A B C=0 (all results), k cleared; A and B stay.
                instruction = (instruction & 0x00FF7F80) | OpCall;
                BinaryPrimitives.WriteUInt32LittleEndian(span, instruction);
            }

            position += 4;
        }

        int constants = (int)ReadSize(bytes, ref position);
        for (int i = 0; i < constants; i++)
        {
            byte tag = bytes[position++];
            switch (tag)
            {
                case 0x03:
                case 0x13:
                    position += 8;
                    break;
                case 0x04:
                case 0x14:
                    SkipString(bytes, ref position);
                    break;
                case 0x00:
                case 0x01:
                case 0x11:
                    break;
                default:
                    return false;
            }
        }

        int upvalues = (int)ReadSize(bytes, ref position);
        position += upvalues * 3;
        int protos = (int)ReadSize(bytes, ref position);
        for (int i = 0; i < protos; i++)
        {
            if (!PatchFunction(bytes, ref position))
            {
                return false;
            }
        }

        int lineInfo = (int)ReadSize(bytes, ref position);
        position += lineInfo;
        int absLineInfo = (int)ReadSize(bytes, ref position);
        for (int i = 0; i < absLineInfo; i++)
        {
            ReadSize(bytes, ref position);
            ReadSize(bytes, ref position);
        }

        int locals = (int)ReadSize(bytes, ref position);
        for (int i = 0; i < locals; i++)
        {
            SkipString(bytes, ref position);
            ReadSize(bytes, ref position);
            ReadSize(bytes, ref position);
        }

        int upvalueNames = (int)ReadSize(bytes, ref position);
        for (int i = 0; i < upvalueNames; i++)
        {
            SkipString(bytes, ref position);
        }

        return position <= bytes.Length;
    }

    private static void SkipString(byte[] bytes, ref int position)
    {
        ulong size = ReadSize(bytes, ref position);
        if (size > 0)
        {
            position += (int)size - 1;
        }
    }

    // ldump.c's dumpSize: 7 bits a byte, most significant first, the last byte marked with 0x80.
    private static ulong ReadSize(byte[] bytes, ref int position)
    {
        ulong value = 0;
        byte b;
        do
        {
            b = bytes[position++];
            value = (value << 7) | (uint)(b & 0x7f);
        }
        while ((b & 0x80) == 0);
        return value;
    }
}
