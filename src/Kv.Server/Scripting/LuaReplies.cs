using Kv.Protocol;

namespace Kv.Server.Scripting;

/// <summary>
/// The two conversions Redis documents between Lua and RESP: a command's reply (RESP2 or RESP3, as
/// the script chose with <c>redis.setresp</c>) into Lua values, and a script's return value into the
/// caller's reply (script_lua.c's redisProtocolToLuaType and luaReplyToRedisReply).
/// </summary>
internal static class LuaReplies
{
    // A self-referencing table would nest forever; Redis stops at its Lua stack limit with this error.
    private const int MaxDepth = 1000;

    /// <summary>Pushes the Lua value for the RESP reply at the start of <paramref name="reply"/>; returns the bytes read.</summary>
    public static int Push(IntPtr l, ReadOnlySpan<byte> reply)
    {
        int position = 0;
        Push(l, reply, ref position);
        return position;
    }

    private static void Push(IntPtr l, ReadOnlySpan<byte> reply, ref int position)
    {
        LuaApi.lua_checkstack(l, 8);
        byte marker = reply[position];
        var line = Line(reply, ref position);
        switch (marker)
        {
            case (byte)'+':
                PushSingleField(l, "ok"u8, line);
                break;
            case (byte)'-':
                PushSingleField(l, "err"u8, line);
                break;
            case (byte)':':
                RespNumber.TryParseInt64(line, out long integer);
                LuaApi.lua_pushinteger(l, integer);
                break;
            case (byte)'$':
            case (byte)'=':
            {
                RespNumber.TryParseInt64(line, out long length);
                if (length < 0)
                {
                    LuaApi.lua_pushboolean(l, 0);
                    break;
                }

                var value = reply.Slice(position, (int)length);
                position += (int)length + 2;
                if (marker == (byte)'$')
                {
                    LuaApi.PushBytes(l, value);
                }
                else
                {
                    // Verbatim: {verbatim_string={format='txt', string='...'}}.
                    LuaApi.lua_createtable(l, 0, 1);
                    LuaApi.lua_createtable(l, 0, 2);
                    LuaApi.PushBytes(l, value[..3]);
                    LuaApi.RawSetField(l, -2, "format"u8);
                    LuaApi.PushBytes(l, value[4..]);
                    LuaApi.RawSetField(l, -2, "string"u8);
                    LuaApi.RawSetField(l, -2, "verbatim_string"u8);
                }

                break;
            }

            case (byte)'*':
            case (byte)'>':
            {
                RespNumber.TryParseInt64(line, out long count);
                if (count < 0)
                {
                    LuaApi.lua_pushboolean(l, 0);
                    break;
                }

                LuaApi.lua_createtable(l, (int)count, 0);
                for (int i = 1; i <= count; i++)
                {
                    Push(l, reply, ref position);
                    LuaApi.lua_rawseti(l, -2, i);
                }

                break;
            }

            case (byte)'%':
            case (byte)'~':
            {
                // RESP3 map: {map={k=v}}; set: {set={member=true}}.
                RespNumber.TryParseInt64(line, out long count);
                LuaApi.lua_createtable(l, 0, 1);
                LuaApi.lua_createtable(l, 0, (int)count);
                for (int i = 0; i < count; i++)
                {
                    Push(l, reply, ref position);
                    if (marker == (byte)'%')
                    {
                        Push(l, reply, ref position);
                    }
                    else
                    {
                        LuaApi.lua_pushboolean(l, 1);
                    }

                    LuaApi.lua_rawset(l, -3);
                }

                LuaApi.RawSetField(l, -2, marker == (byte)'%' ? "map"u8 : "set"u8);
                break;
            }

            case (byte)'_':
                LuaApi.lua_pushnil(l);
                break;
            case (byte)'#':
                LuaApi.lua_pushboolean(l, line.Length > 0 && line[0] == (byte)'t' ? 1 : 0);
                break;
            case (byte)',':
                LuaApi.lua_createtable(l, 0, 1);
                RespNumber.TryParseDouble(line, out double d);
                LuaApi.lua_pushnumber(l, d);
                LuaApi.RawSetField(l, -2, "double"u8);
                break;
            case (byte)'(':
                PushSingleField(l, "big_number"u8, line);
                break;
            default:
                LuaApi.lua_pushnil(l);
                break;
        }
    }

    private static void PushSingleField(IntPtr l, ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        LuaApi.lua_createtable(l, 0, 1);
        LuaApi.PushBytes(l, value);
        LuaApi.RawSetField(l, -2, field);
    }

    private static ReadOnlySpan<byte> Line(ReadOnlySpan<byte> reply, ref int position)
    {
        int start = position + 1;
        int end = reply[start..].IndexOf("\r\n"u8) + start;
        position = end + 2;
        return reply[start..end];
    }

    /// <summary>
    /// Writes the Lua value at <paramref name="absoluteIndex"/> as the script's reply. <paramref name="scriptResp"/>
    /// is the protocol the script chose: booleans follow it (RESP2: true is 1, false is nil), as Redis does.
    /// </summary>
    public static void Write(IntPtr l, int absoluteIndex, RespWriter reply, int scriptResp) => Write(l, absoluteIndex, reply, scriptResp, 0);

    private static void Write(IntPtr l, int index, RespWriter reply, int scriptResp, int depth)
    {
        switch (LuaApi.lua_type(l, index))
        {
            case LuaApi.TypeString:
                reply.Bulk(LuaApi.ToSpan(l, index));
                break;
            case LuaApi.TypeBoolean:
                bool value = LuaApi.lua_toboolean(l, index) != 0;
                if (scriptResp == 2)
                {
                    if (value)
                    {
                        reply.Integer(1);
                    }
                    else
                    {
                        reply.NullBulk();
                    }
                }
                else
                {
                    reply.Boolean(value);
                }

                break;
            case LuaApi.TypeNumber:
                reply.Integer(LuaApi.IsInteger(l, index) ? LuaApi.ToInteger(l, index) : Truncate(LuaApi.ToNumber(l, index)));
                break;
            case LuaApi.TypeTable:
                if (depth >= MaxDepth || LuaApi.lua_checkstack(l, 8) == 0)
                {
                    reply.Error("ERR reached lua stack limit");
                    break;
                }

                WriteTable(l, index, reply, scriptResp, depth);
                break;
            default:
                reply.NullBulk();
                break;
        }
    }

    // C's (long long) cast of a double on x86-64: out of range and NaN give LLONG_MIN (.NET saturates instead).
    private static long Truncate(double value) => value >= -9223372036854775808.0 && value < 9223372036854775808.0 ? (long)value : long.MinValue;

    private static void WriteTable(IntPtr l, int index, RespWriter reply, int scriptResp, int depth)
    {
        if (LuaApi.RawGetField(l, index, "err"u8) == LuaApi.TypeString)
        {
            // "-%s" of the err field, CR/LF as spaces (addReplyErrorFormat); an error a redis.call already
            // counted is not counted again (ERR_REPLY_FLAG_NO_STATS_UPDATE).
            var counter = reply.ErrorCounter;
            if (ErrorAlreadyCounted(l, index))
            {
                reply.ErrorCounter = null;
            }

            WriteLine(reply, (byte)'-', LuaApi.ToSpan(l, -1), isError: true);
            reply.ErrorCounter = counter;
            LuaApi.Pop(l, 1);
            return;
        }

        LuaApi.Pop(l, 1);
        if (LuaApi.RawGetField(l, index, "ok"u8) == LuaApi.TypeString)
        {
            WriteLine(reply, (byte)'+', LuaApi.ToSpan(l, -1), isError: false);
            LuaApi.Pop(l, 1);
            return;
        }

        LuaApi.Pop(l, 1);
        if (LuaApi.RawGetField(l, index, "double"u8) == LuaApi.TypeNumber)
        {
            reply.Double(LuaApi.ToNumber(l, -1));
            LuaApi.Pop(l, 1);
            return;
        }

        LuaApi.Pop(l, 1);
        if (LuaApi.RawGetField(l, index, "big_number"u8) == LuaApi.TypeString)
        {
            reply.BigNumber(LuaApi.ToSpan(l, -1));
            LuaApi.Pop(l, 1);
            return;
        }

        LuaApi.Pop(l, 1);
        if (LuaApi.RawGetField(l, index, "map"u8) == LuaApi.TypeTable)
        {
            int map = LuaApi.lua_gettop(l);
            long pairs = CountPairs(l, map);
            reply.MapHeader(pairs);
            LuaApi.lua_pushnil(l);
            while (LuaApi.lua_next(l, map) != 0)
            {
                int value = LuaApi.lua_gettop(l);
                Write(l, value - 1, reply, scriptResp, depth + 1);
                Write(l, value, reply, scriptResp, depth + 1);
                LuaApi.Pop(l, 1);
            }

            LuaApi.Pop(l, 1);
            return;
        }

        LuaApi.Pop(l, 1);
        if (LuaApi.RawGetField(l, index, "set"u8) == LuaApi.TypeTable)
        {
            int set = LuaApi.lua_gettop(l);
            reply.SetHeader(CountPairs(l, set));
            LuaApi.lua_pushnil(l);
            while (LuaApi.lua_next(l, set) != 0)
            {
                Write(l, LuaApi.lua_gettop(l) - 1, reply, scriptResp, depth + 1);
                LuaApi.Pop(l, 1);
            }

            LuaApi.Pop(l, 1);
            return;
        }

        LuaApi.Pop(l, 1);
        if (LuaApi.RawGetField(l, index, "verbatim_string"u8) == LuaApi.TypeTable)
        {
            int verbatim = LuaApi.lua_gettop(l);
            LuaApi.RawGetField(l, verbatim, "string"u8);
            LuaApi.RawGetField(l, verbatim, "format"u8);
            var format = LuaApi.ToSpan(l, -1);
            reply.Verbatim(LuaApi.ToSpan(l, -2), format.Length == 3 ? System.Text.Encoding.ASCII.GetString(format) : "txt");
            LuaApi.Pop(l, 3);
            return;
        }

        LuaApi.Pop(l, 1);

        // An array: elements 1, 2, … up to the first nil.
        int length = 0;
        while (LuaApi.lua_rawgeti(l, index, length + 1) != LuaApi.TypeNil)
        {
            LuaApi.Pop(l, 1);
            length++;
        }

        LuaApi.Pop(l, 1);
        reply.ArrayHeader(length);
        for (int i = 1; i <= length; i++)
        {
            LuaApi.lua_rawgeti(l, index, i);
            Write(l, LuaApi.lua_gettop(l), reply, scriptResp, depth + 1);
            LuaApi.Pop(l, 1);
        }
    }

    private static long CountPairs(IntPtr l, int table)
    {
        long count = 0;
        LuaApi.lua_pushnil(l);
        while (LuaApi.lua_next(l, table) != 0)
        {
            count++;
            LuaApi.Pop(l, 1);
        }

        return count;
    }

    /// <summary>
    /// Redis's ignore_error_stats_update: the error table came from a command a script ran (its reply or
    /// its rejection), which counted the error when it happened.
    /// </summary>
    public static void MarkErrorCounted(IntPtr l)
    {
        LuaApi.lua_pushboolean(l, 1);
        LuaApi.RawSetField(l, -2, "ignore_error_stats_update"u8);
    }

    public static bool ErrorAlreadyCounted(IntPtr l, int index)
    {
        bool counted = LuaApi.RawGetField(l, index, "ignore_error_stats_update"u8) == LuaApi.TypeBoolean && LuaApi.lua_toboolean(l, -1) != 0;
        LuaApi.Pop(l, 1);
        return counted;
    }

    private static void WriteLine(RespWriter reply, byte marker, ReadOnlySpan<byte> text, bool isError)
    {
        byte[] line = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            line[i] = text[i] is (byte)'\r' or (byte)'\n' ? (byte)' ' : text[i];
        }

        if (isError)
        {
            reply.Error(line);
        }
        else
        {
            reply.SimpleString(line);
        }
    }
}
