using System.Numerics;
using System.Runtime.InteropServices;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.</summary>
internal static class BitCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("setbit", 4, "write denyoom", 1, 1, 1, "@bitmap", SetBit, "bitmap", "Sets or clears the bit at offset in the string value stored at key", "2.2.0")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 offset:integer value:integer");
        table.Add("getbit", 3, "readonly fast", 1, 1, 1, "@bitmap", GetBit, "bitmap", "Returns the bit value at offset in the string value stored at key", "2.2.0")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 offset:integer");
        table.Add("bitcount", -2, "readonly", 1, 1, 1, "@bitmap", BitCount, "bitmap", "Count set bits in a string", "2.6.0", "O(N)")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 index:block?(start:integer end:integer index_unit:oneof@7.0.0?(byte:pure-token=BYTE bit:pure-token=BIT))")
            .WithHistory(("7.0.0", "Added the `BYTE|BIT` option."));
        table.Add("bitpos", -3, "readonly", 1, 1, 1, "@bitmap", BitPos, "bitmap", "Find first bit set or clear in a string", "2.8.7", "O(N)")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 bit:integer index:block?(start:integer end_index:block?(end:integer index_unit:oneof@7.0.0?(byte:pure-token=BYTE bit:pure-token=BIT)))")
            .WithHistory(("7.0.0", "Added the `BYTE|BIT` option."));
        table.Add("bitop", -4, "write denyoom", 2, -1, 1, "@bitmap", BitOp, "bitmap", "Perform bitwise operations between strings", "2.6.0", "O(N)")
            .WithKeys("OW update | index 2 | range 0 1 0", "RO access | index 3 | range -1 1 0")
            .WithArgs("operation:string destkey:key#0 key:key#1*");
        table.Add("bitfield", -2, "write denyoom", 1, 1, 1, "@bitmap", c => BitField(c, readOnly: false), "bitmap", "Perform arbitrary bitfield integer operations on strings", "3.2.0", "O(1) for each subcommand specified")
            .WithKeys("RW access update variable_flags | index 1 | range 0 1 0 | This command allows both access and modification of the key")
            .WithArgs("key:key#0 operation:oneof?*(encoding_offset:block=GET(encoding:string offset:integer) write:block(wrap_sat_fail:oneof=OVERFLOW?(wrap:pure-token=WRAP sat:pure-token=SAT fail:pure-token=FAIL) write_operation:oneof(encoding_offset_value:block=SET(encoding:string offset:integer value:integer) encoding_offset_increment:block=INCRBY(encoding:string offset:integer increment:integer))))");
        table.Add("bitfield_ro", -2, "readonly fast", 1, 1, 1, "@bitmap", c => BitField(c, readOnly: true), "bitmap", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "6.0.0", "O(1) for each subcommand specified")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 encoding_offset:block=GET?*+(encoding:string offset:integer)");
    }

    private static ReadOnlySpan<byte> BitOffsetInvalid => "ERR bit offset is not an integer or out of range"u8;

    private static ReadOnlySpan<byte> BitValueInvalid => "ERR bit is not an integer or out of range"u8;

    private static ReadOnlySpan<byte> BitArgumentInvalid => "ERR The bit argument must be 1 or 0."u8;

    private static ReadOnlySpan<byte> BitOpNotSingleKey => "ERR BITOP NOT must be called with a single source key."u8;

    private static ReadOnlySpan<byte> BitFieldTypeInvalid => "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."u8;

    private static ReadOnlySpan<byte> BitFieldOverflowInvalid => "ERR Invalid OVERFLOW type specified"u8;

    private static ReadOnlySpan<byte> BitFieldReadOnly => "ERR BITFIELD_RO only supports the GET subcommand"u8;

    // Redis's getBitOffsetFromArgument: a non-negative integer whose byte lies below proto-max-bulk-len.
    private static bool TryBitOffset(CommandContext c, int arg, out long offset)
    {
        if (!RespNumber.TryParseInt64(c.Arg(arg), out offset) || offset < 0 ||
            (offset >> 3) >= Math.Min(c.Server.Config.ProtoMaxBulkLen, Array.MaxLength))
        {
            c.Reply.Error(BitOffsetInvalid);
            return false;
        }

        return true;
    }

    private static void SetBit(CommandContext c)
    {
        if (!TryBitOffset(c, 2, out long offset))
        {
            return;
        }

        if (!RespNumber.TryParseInt64(c.Arg(3), out long on) || (on & ~1L) != 0)
        {
            c.Reply.Error(BitValueInvalid);
            return;
        }

        var db = c.Db;
        var key = c.Arg(1);
        int index = db.Find(key, c.Now);
        int byteIndex = (int)(offset >> 3);
        MutableString bits;
        bool changed;
        if (index < 0)
        {
            bits = new MutableString(byteIndex + 1);
            db.Add(key, bits);
            changed = true;
        }
        else
        {
            if (!db.Table.IsString(index))
            {
                c.Reply.Error(Errors.WrongType);
                return;
            }

            // Like dbUnshareStringValue + sdsgrowzero: the value becomes a growable raw string.
            bits = db.Table.ToMutable(index, byteIndex + 1);
            changed = bits.Length <= byteIndex;
            if (changed)
            {
                bits.SetLength(byteIndex + 1);
            }
        }

        int mask = 1 << (7 - (int)(offset & 7));
        ref byte target = ref bits.Buffer[byteIndex];
        bool wasSet = (target & mask) != 0;
        if (on != 0)
        {
            target = (byte)(target | mask);
        }
        else
        {
            target = (byte)(target & ~mask);
        }

        if (changed || wasSet != (on != 0))
        {
            c.Dirty();
            c.Modified(key, KeyspaceEvents.String, "setbit"u8);
        }

        c.Reply.Integer(wasSet ? 1 : 0);
    }

    private static void GetBit(CommandContext c)
    {
        if (!TryBitOffset(c, 2, out long offset))
        {
            return;
        }

        int index = StringCommands.ReadIndex(c, c.Arg(1));
        if (index < 0)
        {
            c.Reply.Integer(0);
            return;
        }

        if (!c.Db.TryGetString(index, out var bytes))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        long byteIndex = offset >> 3;
        bool set = byteIndex < bytes.Length && (bytes[(int)byteIndex] & (1 << (7 - (int)(offset & 7)))) != 0;
        c.Reply.Integer(set ? 1 : 0);
    }

    // BITCOUNT key [start end [BYTE|BIT]]. Redis 7.0 looks the key up before parsing the range, so a
    // missing key answers 0 whatever the arguments; both-negative with start > end is 0 before clamping.
    private static void BitCount(CommandContext c)
    {
        int index = StringCommands.ReadIndex(c, c.Arg(1));
        if (index < 0)
        {
            c.Reply.Integer(0);
            return;
        }

        if (!c.Db.TryGetString(index, out var p))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        long start, end;
        int firstNegMask = 0, lastNegMask = 0;
        if (c.ArgCount is 4 or 5)
        {
            long total = p.Length;
            if (!c.TryArgLong(2, out start) || !c.TryArgLong(3, out end))
            {
                return;
            }

            if (start < 0 && end < 0 && start > end)
            {
                c.Reply.Integer(0);
                return;
            }

            if (!TryUnit(c, 4, out bool isBit))
            {
                return;
            }

            if (isBit)
            {
                total <<= 3;
            }

            ClampRange(total, ref start, ref end);
            if (isBit && start <= end)
            {
                // Bits of the edge bytes outside the range, subtracted after the byte count.
                firstNegMask = ~((1 << (8 - (int)(start & 7))) - 1) & 0xFF;
                lastNegMask = (1 << (7 - (int)(end & 7))) - 1;
                start >>= 3;
                end >>= 3;
            }
        }
        else if (c.ArgCount == 2)
        {
            start = 0;
            end = p.Length - 1;
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (start > end)
        {
            c.Reply.Integer(0);
            return;
        }

        long count = PopCount(p.Slice((int)start, (int)(end - start + 1)));
        count -= BitOperations.PopCount((uint)(p[(int)start] & firstNegMask));
        count -= BitOperations.PopCount((uint)(p[(int)end] & lastNegMask));
        c.Reply.Integer(count);
    }

    // BITPOS key bit [start [end [BYTE|BIT]]]. A missing key is an endless run of zeros. When no end is
    // given, clear bits are searched as if the string were zero-padded on the right (so all-ones
    // answers the first bit past the string); with an explicit end, not finding the bit is -1.
    private static void BitPos(CommandContext c)
    {
        if (!c.TryArgLong(2, out long bit))
        {
            return;
        }

        if (bit is not (0 or 1))
        {
            c.Reply.Error(BitArgumentInvalid);
            return;
        }

        int index = StringCommands.ReadIndex(c, c.Arg(1));
        if (index < 0)
        {
            c.Reply.Integer(bit == 1 ? -1 : 0);
            return;
        }

        if (!c.Db.TryGetString(index, out var p))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        long start, end;
        bool endGiven = false, isBit = false;
        if (c.ArgCount is 4 or 5 or 6)
        {
            long total = p.Length;
            if (!c.TryArgLong(3, out start))
            {
                return;
            }

            if (c.ArgCount == 6 && !TryUnit(c, 5, out isBit))
            {
                return;
            }

            if (c.ArgCount >= 5)
            {
                if (!c.TryArgLong(4, out end))
                {
                    return;
                }

                endGiven = true;
            }
            else
            {
                end = total - 1;
            }

            if (isBit)
            {
                total <<= 3;
            }

            ClampRange(total, ref start, ref end);
        }
        else if (c.ArgCount == 3)
        {
            start = 0;
            end = p.Length - 1;
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (start > end)
        {
            c.Reply.Integer(-1);
            return;
        }

        long firstBit = isBit ? start : start << 3;
        long lastBit = isBit ? end : (end << 3) + 7;
        long position = FindBit(p, firstBit, lastBit, (int)bit);
        if (position < 0 && bit == 0 && !endGiven)
        {
            position = (long)p.Length << 3;
        }

        c.Reply.Integer(position);
    }

    // BITOP AND|OR|XOR|NOT destkey key [key ...]: missing keys are empty strings, shorter strings are
    // zero-padded; an empty result deletes the destination instead of storing "".
    private static void BitOp(CommandContext c)
    {
        var opName = c.Arg(1);
        int op;
        if (Ascii("and"u8, opName))
        {
            op = 0;
        }
        else if (Ascii("or"u8, opName))
        {
            op = 1;
        }
        else if (Ascii("xor"u8, opName))
        {
            op = 2;
        }
        else if (Ascii("not"u8, opName))
        {
            op = 3;
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (op == 3 && c.ArgCount != 4)
        {
            c.Reply.Error(BitOpNotSingleKey);
            return;
        }

        int maxLength = 0;
        for (int i = 3; i < c.ArgCount; i++)
        {
            int index = StringCommands.ReadIndex(c, c.Arg(i));
            if (index < 0)
            {
                continue;
            }

            if (!c.Db.TryGetString(index, out var bytes))
            {
                c.Reply.Error(Errors.WrongType);
                return;
            }

            maxLength = Math.Max(maxLength, bytes.Length);
        }

        var db = c.Db;
        var destination = c.Arg(2);
        if (maxLength == 0)
        {
            if (db.Delete(destination, c.Now))
            {
                c.Dirty();
                c.Modified(destination, KeyspaceEvents.Generic, "del"u8);
            }

            c.Reply.Integer(0);
            return;
        }

        // Redis stores the result with createObject: always a raw string, whatever it reads as.
        var target = new MutableString(maxLength);
        var result = target.Span;
        for (int i = 3; i < c.ArgCount; i++)
        {
            ReadOnlySpan<byte> bytes = default;
            int index = db.Find(c.Arg(i), c.Now);
            if (index >= 0)
            {
                db.TryGetString(index, out bytes);
            }

            if (i == 3)
            {
                bytes.CopyTo(result);
                if (op == 3)
                {
                    Combine(result, default, 3);
                }

                continue;
            }

            Combine(result, bytes, op);
        }

        db.Set(destination, target, c.Now);
        c.Dirty();
        c.Modified(destination, KeyspaceEvents.String, "set"u8);
        c.Reply.Integer(maxLength);
    }

    // result = result op source, the source zero-padded to result's length; op 3 (NOT) inverts result.
    private static void Combine(Span<byte> result, ReadOnlySpan<byte> source, int op)
    {
        int common = Math.Min(result.Length, source.Length);
        var r = result[..common];
        var s = source[..common];
        int i = 0;
        if (Vector.IsHardwareAccelerated && common >= Vector<byte>.Count)
        {
            var rv = MemoryMarshal.Cast<byte, Vector<byte>>(r);
            var sv = MemoryMarshal.Cast<byte, Vector<byte>>(s);
            for (int k = 0; k < rv.Length; k++)
            {
                rv[k] = op switch
                {
                    0 => rv[k] & sv[k],
                    1 => rv[k] | sv[k],
                    2 => rv[k] ^ sv[k],
                    _ => ~rv[k],
                };
            }

            i = rv.Length * Vector<byte>.Count;
        }

        for (; i < common; i++)
        {
            r[i] = op switch
            {
                0 => (byte)(r[i] & s[i]),
                1 => (byte)(r[i] | s[i]),
                2 => (byte)(r[i] ^ s[i]),
                _ => (byte)~r[i],
            };
        }

        if (op == 0)
        {
            // AND with the zero padding past a shorter source.
            result[common..].Clear();
        }
        else if (op == 3)
        {
            for (int k = common; k < result.Length; k++)
            {
                result[k] = (byte)~result[k];
            }
        }
    }

    private static bool TryUnit(CommandContext c, int arg, out bool isBit)
    {
        isBit = false;
        if (c.ArgCount <= arg)
        {
            return true;
        }

        if (c.ArgIs(arg, "bit"u8))
        {
            isBit = true;
            return true;
        }

        if (c.ArgIs(arg, "byte"u8))
        {
            return true;
        }

        c.Reply.Error(Errors.Syntax);
        return false;
    }

    // Redis's negative-index conversion and clamp to [0, total-1] (end may end below start).
    private static void ClampRange(long total, ref long start, ref long end)
    {
        if (start < 0)
        {
            start += total;
        }

        if (end < 0)
        {
            end += total;
        }

        if (start < 0)
        {
            start = 0;
        }

        if (end < 0)
        {
            end = 0;
        }

        if (end >= total)
        {
            end = total - 1;
        }
    }

    /// <summary>Set bits in <paramref name="bytes"/>, eight bytes per POPCNT.</summary>
    internal static long PopCount(ReadOnlySpan<byte> bytes)
    {
        long count = 0;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (ulong word in words)
        {
            count += BitOperations.PopCount(word);
        }

        for (int i = words.Length * sizeof(ulong); i < bytes.Length; i++)
        {
            count += BitOperations.PopCount((uint)bytes[i]);
        }

        return count;
    }

    /// <summary>First bit equal to <paramref name="bit"/> in bits [firstBit, lastBit] (MSB-first), or -1.</summary>
    internal static long FindBit(ReadOnlySpan<byte> p, long firstBit, long lastBit, int bit)
    {
        int firstByte = (int)(firstBit >> 3);
        int lastByte = (int)(lastBit >> 3);
        byte noMatch = bit == 1 ? (byte)0 : (byte)0xFF;
        int i = firstByte;
        while (i <= lastByte)
        {
            int b = bit == 1 ? p[i] : ~p[i] & 0xFF;
            int lo = i == firstByte ? (int)(firstBit & 7) : 0;
            int hi = i == lastByte ? (int)(lastBit & 7) : 7;
            b &= (0xFF >> lo) & (0xFF << (7 - hi));
            if (b != 0)
            {
                return ((long)i << 3) + BitOperations.LeadingZeroCount((uint)b) - 24;
            }

            i++;
            if (i < lastByte)
            {
                // Whole bytes in between: a vectorized scan for the first byte that holds the bit.
                int found = p[i..lastByte].IndexOfAnyExcept(noMatch);
                i = found < 0 ? lastByte : i + found;
            }
        }

        return -1;
    }

    private static bool Ascii(ReadOnlySpan<byte> word, ReadOnlySpan<byte> arg) => System.Text.Ascii.EqualsIgnoreCase(arg, word);

    private enum BitFieldOp
    {
        Get,
        Set,
        IncrBy,
        Overflow,
    }

    private enum BitFieldOverflow
    {
        Wrap,
        Sat,
        Fail,
    }

    // BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
    // [OVERFLOW WRAP|SAT|FAIL] ..., as Redis's bitfieldGeneric: every operation is parsed and checked
    // before the key is touched (an error replies nothing else and changes nothing), the string is then
    // grown once to the farthest bit a write reaches, and the operations run in order. Arguments are
    // parsed twice (check, then run) instead of into an array of operations, so nothing is allocated.
    private static void BitField(CommandContext c, bool readOnly)
    {
        bool writes = false;
        long highestWriteBit = 0;
        int operations = 0;
        for (int j = 2; j < c.ArgCount;)
        {
            if (!TryParseBitFieldOp(c, ref j, out var op, out _, out _, out long offset, out int bits, out _))
            {
                return;
            }

            if (op is BitFieldOp.Set or BitFieldOp.IncrBy)
            {
                writes = true;
                highestWriteBit = Math.Max(highestWriteBit, offset + bits - 1);
            }

            operations += op == BitFieldOp.Overflow ? 0 : 1;
        }

        var db = c.Db;
        var key = c.Arg(1);
        MutableString? target = null;
        bool grew = false;
        ReadOnlySpan<byte> source = default;
        if (!writes)
        {
            int index = StringCommands.ReadIndex(c, key);
            if (index >= 0 && !db.TryGetString(index, out source))
            {
                c.Reply.Error(Errors.WrongType);
                return;
            }
        }
        else
        {
            if (readOnly)
            {
                c.Reply.Error(BitFieldReadOnly);
                return;
            }

            // Redis's lookupStringForBitCommand: created or zero-padded up to the farthest written byte.
            long needed = (highestWriteBit >> 3) + 1;
            if (needed > Array.MaxLength)
            {
                c.Reply.Error(BitOffsetInvalid);
                return;
            }

            int index = db.Find(key, c.Now);
            if (index < 0)
            {
                target = new MutableString((int)needed);
                db.Add(key, target);
                grew = true;
            }
            else
            {
                if (!db.Table.IsString(index))
                {
                    c.Reply.Error(Errors.WrongType);
                    return;
                }

                target = db.Table.ToMutable(index, (int)needed);
                if (target.Length < needed)
                {
                    target.SetLength((int)needed);
                    grew = true;
                }
            }
        }

        c.Reply.ArrayHeader(operations);
        long changes = 0;
        var overflow = BitFieldOverflow.Wrap;
        for (int j = 2; j < c.ArgCount;)
        {
            TryParseBitFieldOp(c, ref j, out var op, out var parsedOverflow, out bool signed, out long offset, out int bits, out long value);
            if (op == BitFieldOp.Overflow)
            {
                overflow = parsedOverflow;
                continue;
            }

            if (op == BitFieldOp.Get)
            {
                ulong field = ReadBits(target is null ? source : target.Span, offset, bits);
                c.Reply.Integer(signed ? SignExtend(field, bits) : (long)field);
                continue;
            }

            var bytes = target!.Span;
            ulong old = ReadBits(bytes, offset, bits);
            long oldValue = signed ? SignExtend(old, bits) : (long)old;
            long newValue = op == BitFieldOp.IncrBy ? unchecked(oldValue + value) : value;
            bool overflowed = signed
                ? SignedOverflow(oldValue, op == BitFieldOp.IncrBy ? value : 0, bits, overflow, ref newValue, op == BitFieldOp.IncrBy)
                : UnsignedOverflow((ulong)oldValue, op == BitFieldOp.IncrBy ? value : 0, bits, overflow, ref newValue, op == BitFieldOp.IncrBy);
            if (overflowed && overflow == BitFieldOverflow.Fail)
            {
                c.Reply.NullBulk();
                continue;
            }

            // SET answers the old value, INCRBY the new one.
            c.Reply.Integer(op == BitFieldOp.IncrBy ? newValue : oldValue);
            WriteBits(bytes, offset, bits, (ulong)newValue);
            if (grew || old != ((ulong)newValue & Mask(bits)))
            {
                changes++;
            }
        }

        if (changes > 0)
        {
            c.Dirty(changes);
            c.Modified(key, KeyspaceEvents.String, "setbit"u8);
        }
    }

    // One operation from argument j on (j moves past it); replies Redis's error and returns false when
    // it is malformed. The checks run in Redis's order: the subcommand and its argument count, the
    // OVERFLOW type, the field type, the offset (#N is N fields of the type's width), the value.
    private static bool TryParseBitFieldOp(CommandContext c, ref int j, out BitFieldOp op, out BitFieldOverflow overflow, out bool signed, out long offset, out int bits, out long value)
    {
        int remaining = c.ArgCount - j - 1;
        overflow = BitFieldOverflow.Wrap;
        signed = false;
        offset = 0;
        bits = 0;
        value = 0;
        if (c.ArgIs(j, "get"u8) && remaining >= 2)
        {
            op = BitFieldOp.Get;
        }
        else if (c.ArgIs(j, "set"u8) && remaining >= 3)
        {
            op = BitFieldOp.Set;
        }
        else if (c.ArgIs(j, "incrby"u8) && remaining >= 3)
        {
            op = BitFieldOp.IncrBy;
        }
        else if (c.ArgIs(j, "overflow"u8) && remaining >= 1)
        {
            op = BitFieldOp.Overflow;
            if (c.ArgIs(j + 1, "wrap"u8))
            {
                overflow = BitFieldOverflow.Wrap;
            }
            else if (c.ArgIs(j + 1, "sat"u8))
            {
                overflow = BitFieldOverflow.Sat;
            }
            else if (c.ArgIs(j + 1, "fail"u8))
            {
                overflow = BitFieldOverflow.Fail;
            }
            else
            {
                c.Reply.Error(BitFieldOverflowInvalid);
                return false;
            }

            j += 2;
            return true;
        }
        else
        {
            op = default;
            c.Reply.Error(Errors.Syntax);
            return false;
        }

        // Redis's getBitfieldTypeFromArgument: i1..i64 or u1..u63.
        var type = c.Arg(j + 1);
        if (type.IsEmpty || (type[0] != 'i' && type[0] != 'u') || !RespNumber.TryParseInt64(type[1..], out long width)
            || width < 1 || width > (type[0] == 'i' ? 64 : 63))
        {
            c.Reply.Error(BitFieldTypeInvalid);
            return false;
        }

        signed = type[0] == 'i';
        bits = (int)width;

        // Redis's getBitOffsetFromArgument with hash: "#N" is N*bits (multiplied as C does, wrapping),
        // and the bit's byte must lie below proto-max-bulk-len.
        var text = c.Arg(j + 2);
        bool fields = !text.IsEmpty && text[0] == '#';
        if (!RespNumber.TryParseInt64(fields ? text[1..] : text, out offset) || (fields && (offset = unchecked(offset * bits)) < 0) || offset < 0
            || (offset >> 3) >= c.Server.Config.ProtoMaxBulkLen)
        {
            c.Reply.Error(BitOffsetInvalid);
            return false;
        }

        if (op != BitFieldOp.Get && !c.TryArgLong(j + 3, out value))
        {
            return false;
        }

        j += op == BitFieldOp.Get ? 3 : 4;
        return true;
    }

    private static ulong Mask(int bits) => bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;

    private static long SignExtend(ulong field, int bits)
        => bits < 64 && (field & (1UL << (bits - 1))) != 0 ? (long)(field | ~Mask(bits)) : (long)field;

    // Redis's getUnsignedBitfield: the bits most significant first; bits past the end read as 0.
    private static ulong ReadBits(ReadOnlySpan<byte> bytes, long offset, int bits)
    {
        ulong result = 0;
        for (int i = 0; i < bits; i++, offset++)
        {
            long index = offset >> 3;
            int bit = index < bytes.Length ? (bytes[(int)index] >> (7 - (int)(offset & 7))) & 1 : 0;
            result = (result << 1) | (uint)bit;
        }

        return result;
    }

    private static void WriteBits(Span<byte> bytes, long offset, int bits, ulong value)
    {
        for (int i = 0; i < bits; i++, offset++)
        {
            int bit = (int)(value >> (bits - 1 - i)) & 1;
            int shift = 7 - (int)(offset & 7);
            ref byte b = ref bytes[(int)(offset >> 3)];
            b = (byte)((b & ~(1 << shift)) | (bit << shift));
        }
    }

    // Redis's checkUnsignedBitfieldOverflow: true on overflow, with value set to the wrapped or saturated result.
    private static bool UnsignedOverflow(ulong old, long increment, int bits, BitFieldOverflow mode, ref long value, bool isIncrement)
    {
        ulong current = isIncrement ? old : (ulong)value;
        ulong max = Mask(bits);
        long maxIncrement = unchecked((long)(max - current));
        long minIncrement = unchecked(-(long)current);
        bool up = current > max || (increment > 0 && increment > maxIncrement);
        bool down = !up && increment < 0 && increment < minIncrement;
        if (!up && !down)
        {
            return false;
        }

        value = mode switch
        {
            BitFieldOverflow.Wrap => (long)(unchecked(current + (ulong)increment) & max),
            BitFieldOverflow.Sat => up ? (long)max : 0,
            _ => value,
        };
        return true;
    }

    // Redis's checkSignedBitfieldOverflow.
    private static bool SignedOverflow(long old, long increment, int bits, BitFieldOverflow mode, ref long value, bool isIncrement)
    {
        long current = isIncrement ? old : value;
        long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
        long min = -max - 1;
        long maxIncrement = unchecked((long)((ulong)max - (ulong)current));
        long minIncrement = unchecked(min - current);
        bool up = current > max || (bits != 64 && increment > maxIncrement) || (current >= 0 && increment > 0 && increment > maxIncrement);
        bool down = !up && (current < min || (bits != 64 && increment < minIncrement) || (current < 0 && increment < 0 && increment < minIncrement));
        if (!up && !down)
        {
            return false;
        }

        if (mode == BitFieldOverflow.Wrap)
        {
            ulong sum = unchecked((ulong)current + (ulong)increment);
            if (bits < 64)
            {
                sum = (sum & (1UL << (bits - 1))) != 0 ? sum | ~Mask(bits) : sum & Mask(bits);
            }

            value = (long)sum;
        }
        else if (mode == BitFieldOverflow.Sat)
        {
            value = up ? max : min;
        }

        return true;
    }
}
