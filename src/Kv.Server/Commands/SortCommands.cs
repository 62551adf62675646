using System.Buffers;
using System.Text;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>
/// SORT and SORT_RO (Redis 7.0's sort.c): a list, set or sorted set sorted numerically or with ALPHA, by
/// its elements or by the keys (or hash fields) a BY pattern names, cut by LIMIT, with GET patterns
/// replacing each element, replied or (SORT only) STOREd as a list.
/// </summary>
/// <remarks>
/// The elements (and, for ALPHA BY, the values compared) are copied into one pooled arena first: pattern
/// lookups may expire keys, which frees the memory a string read earlier lives in. The arena, the sort
/// vector and the key buffer are rented and returned, so the memory a call takes is bounded by the data it
/// reads (a dontsort LIMIT on a list or sorted set loads only the range, as Redis does).
/// </remarks>
internal static class SortCommands
{
    private const string Complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";
    private const string Arguments = "key:key#0 pattern:pattern=BY#1? offset_count:block=LIMIT?(offset:integer count:integer) pattern:pattern=GET#1?*+ order:oneof?(asc:pure-token=ASC desc:pure-token=DESC) sorting:pure-token=ALPHA?";
    private const string ByGetSpec = "RO access | unknown | unknown | For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";

    public static void Register(CommandTable table)
    {
        table.Add("sort", -2, "write denyoom movablekeys", 1, 1, 1, "@set @sortedset @list @dangerous", Sort, "generic", "Sort the elements in a list, set or sorted set", "1.0.0", Complexity)
            .WithKeys(
                "RO access | index 1 | range 0 1 0",
                ByGetSpec,
                "OW update | unknown | unknown | For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array")
            .WithArgs(Arguments + " destination:key=STORE#2?")
            .WithGetKeys(SortGetKeys);
        table.Add("sort_ro", -2, "readonly movablekeys", 1, 1, 1, "@set @sortedset @list @dangerous", SortRo, "generic", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "7.0.0", Complexity)
            .WithKeys("RO access | index 1 | range 0 1 0", ByGetSpec)
            .WithArgs(Arguments)
            .WithGetKeys(SortRoGetKeys);
    }

    private static readonly string[] SourceKeyFlags = ["RO", "access"];

    private static readonly string[] StoreKeyFlags = ["OW", "update"];

    // Redis's sortROGetKeys: the sorted key only.
    private static void SortRoGetKeys(CommandContext c, int first, int argc, List<(int Position, string[] Flags)> keys) => keys.Add((1, SourceKeyFlags));

    // Redis's sortGetKeys: the sorted key, then the key of the last STORE. It skips LIMIT's two arguments and
    // the one of GET and BY, but any other word (ASC, a stray argument) is passed over alone.
    private static void SortGetKeys(CommandContext c, int first, int argc, List<(int Position, string[] Flags)> keys)
    {
        keys.Add((1, SourceKeyFlags));
        int store = 0;
        for (int i = 2; i < argc; i++)
        {
            var word = c.Arg(first + i);
            if (Ascii.EqualsIgnoreCase(word, "limit"u8))
            {
                i += 2;
            }
            else if (Ascii.EqualsIgnoreCase(word, "get"u8) || Ascii.EqualsIgnoreCase(word, "by"u8))
            {
                i += 1;
            }
            else if (Ascii.EqualsIgnoreCase(word, "store"u8) && i + 1 < argc)
            {
                store = i + 1;
            }
        }

        if (store > 0)
        {
            keys.Add((store, StoreKeyFlags));
        }
    }

    private static ReadOnlySpan<byte> NotDouble => "ERR One or more scores can't be converted into double"u8;

    private static void Sort(CommandContext c) => SortGeneric(c, readOnly: false);

    private static void SortRo(CommandContext c) => SortGeneric(c, readOnly: true);

    /// <summary>One element to sort: its bytes and what it is compared by, in the arena.</summary>
    private struct Item
    {
        public int Offset;
        public int Length;

        /// <summary>ALPHA BY: the looked-up value in the arena; -1 when the pattern found nothing (Redis's NULL cmpobj).</summary>
        public int ByOffset;
        public int ByLength;

        /// <summary>Numeric sorting: the element's or looked-up value's score.</summary>
        public double Score;
    }

    /// <summary>The pooled buffers of one call.</summary>
    private sealed class Buffers
    {
        public byte[] Arena = [];
        public int Used;
        public byte[] Key = [];

        public int Append(ReadOnlySpan<byte> bytes)
        {
            if (Arena.Length - Used < bytes.Length)
            {
                long needed = (long)Used + bytes.Length;
                var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, Math.Max(256L, Arena.Length * 2L))));
                Arena.AsSpan(0, Used).CopyTo(larger);

                // bytes may lie in the old arena: it goes back to the pool only after the copy.
                bytes.CopyTo(larger.AsSpan(Used));
                Return(Arena);
                Arena = larger;
            }
            else
            {
                bytes.CopyTo(Arena.AsSpan(Used));
            }

            int offset = Used;
            Used += bytes.Length;
            return offset;
        }

        public Span<byte> KeyBuffer(int length)
        {
            if (Key.Length < length)
            {
                Return(Key);
                Key = ArrayPool<byte>.Shared.Rent(Math.Max(length, 64));
            }

            return Key.AsSpan(0, length);
        }

        public void Release()
        {
            Return(Arena);
            Return(Key);
            Arena = Key = [];
            Used = 0;
        }

        private static void Return(byte[] array)
        {
            if (array.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }

    [ThreadStatic]
    private static Buffers? t_buffers;

    // Redis's sortCommandGeneric.
    private static void SortGeneric(CommandContext c, bool readOnly)
    {
        bool desc = false, alpha = false, dontsort = false;
        long limitStart = 0, limitCount = -1;
        int byArg = -1, storeArg = -1, getCount = 0;

        // The SQL-like options; every error is answered before the key is read.
        for (int j = 2; j < c.ArgCount; j++)
        {
            int left = c.ArgCount - j - 1;
            if (c.ArgIs(j, "asc"u8))
            {
                desc = false;
            }
            else if (c.ArgIs(j, "desc"u8))
            {
                desc = true;
            }
            else if (c.ArgIs(j, "alpha"u8))
            {
                alpha = true;
            }
            else if (c.ArgIs(j, "limit"u8) && left >= 2)
            {
                if (!c.TryArgLong(j + 1, out limitStart) || !c.TryArgLong(j + 2, out limitCount))
                {
                    return;
                }

                j += 2;
            }
            else if (!readOnly && c.ArgIs(j, "store"u8) && left >= 1)
            {
                storeArg = ++j;
            }
            else if (c.ArgIs(j, "by"u8) && left >= 1)
            {
                byArg = ++j;

                // A pattern without '*' (a C string: up to a NUL) names no key per element: nothing is
                // sorted. Redis never clears the flag again, so a later BY with a '*' does not sort either.
                if (CString(c.Arg(j)).IndexOf((byte)'*') < 0)
                {
                    dontsort = true;
                }
            }
            else if (c.ArgIs(j, "get"u8) && left >= 1)
            {
                getCount++;
                j++;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var value = StringCommands.Read(c, c.Arg(1));
        if (value is not (null or ListValue or SetValue or SortedSet))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        // A set has no order of its own: with nothing to sort by, the output is still sorted (ALPHA, by the
        // elements) when it is stored or a script reads it, so that replicas and the AOF agree with it.
        if (dontsort && value is SetValue && (storeArg >= 0 || c.InScript))
        {
            dontsort = false;
            alpha = true;
            byArg = -1;
        }

        if (value is SortedSet zset)
        {
            // zsetConvert(sortval, OBJ_ENCODING_SKIPLIST): SORT and SORT_RO leave a sorted set a skiplist.
            zset.ConvertToSkiplist();
        }

        long length = value switch
        {
            ListValue list => list.Count,
            SetValue set => set.Count,
            SortedSet sorted => sorted.Count,
            _ => 0,
        };

        // LIMIT is clamped to the object's size before anything is allocated.
        long start = Math.Min(Math.Max(limitStart, 0), length);
        long count = Math.Min(Math.Max(limitCount, -1), length);
        long end = count < 0 ? length - 1 : start + count - 1;
        if (start >= length)
        {
            start = length - 1;
            end = length - 2;
        }

        if (end >= length)
        {
            end = length - 1;
        }

        // A list or sorted set with nothing to sort is read in its own order: only LIMIT's range is loaded.
        long vectorLength = length;
        bool direct = dontsort && value is ListValue or SortedSet;
        if (direct && (start != 0 || end != length - 1))
        {
            vectorLength = end - start + 1;
        }

        var buffers = t_buffers ?? new Buffers();
        t_buffers = null;
        var items = ArrayPool<Item>.Shared.Rent((int)Math.Max(1, vectorLength));
        try
        {
            int n = Load(value, items, vectorLength, desc, direct, ref start, ref end, buffers);
            bool conversionError = false;
            if (!dontsort)
            {
                conversionError = Score(c, items.AsSpan(0, n), alpha, byArg, buffers);
                if (!conversionError)
                {
                    var comparer = new Comparer(buffers.Arena, desc, alpha, byArg >= 0, storeArg >= 0);
                    MergeSort(items.AsSpan(0, n), comparer);
                }
            }

            long outputLength = (getCount > 0 ? getCount : 1) * (end - start + 1);
            if (conversionError)
            {
                c.Reply.Error(NotDouble);
            }
            else if (storeArg < 0)
            {
                Reply(c, items, start, end, getCount, outputLength, buffers);
            }
            else
            {
                Store(c, items, start, end, getCount, outputLength, c.Arg(storeArg), buffers);
            }
        }
        finally
        {
            ArrayPool<Item>.Shared.Return(items);
            buffers.Release();
            t_buffers = buffers;
        }
    }

    // Fills the vector with the elements (copied to the arena). For a direct read the range's first element
    // becomes index 0, and start/end are moved to match, as Redis does.
    private static int Load(object? value, Item[] items, long vectorLength, bool desc, bool direct, ref long start, ref long end, Buffers buffers)
    {
        int j = 0;
        Span<byte> scratch = stackalloc byte[24];
        switch (value)
        {
            case ListValue list when direct:
                if (end >= start)
                {
                    var e = list.GetEnumerator(desc ? list.Count - start - 1 : start, forward: !desc);
                    while (j < vectorLength && e.MoveNext())
                    {
                        items[j++] = NewItem(buffers, e.Current);
                    }

                    end -= start;
                    start = 0;
                }

                break;
            case ListValue list:
            {
                var e = list.GetEnumerator(0, forward: true);
                while (e.MoveNext())
                {
                    items[j++] = NewItem(buffers, e.Current);
                }

                break;
            }

            case SetValue set:
                for (int position = 0; position < set.PositionLimit; position++)
                {
                    if (set.IsLive(position))
                    {
                        items[j++] = NewItem(buffers, set.MemberAt(position, scratch));
                    }
                }

                break;
            case SortedSet zset when direct:
            {
                long rangeLength = vectorLength;
                int node = desc
                    ? (start > 0 ? zset.AtRank(zset.Count - start - 1) : zset.Last)
                    : (start > 0 ? zset.AtRank(start) : zset.First);
                while (rangeLength-- > 0 && node != 0)
                {
                    items[j++] = NewItem(buffers, zset.MemberAt(node));
                    node = desc ? zset.Previous(node) : zset.Next(node);
                }

                end -= start;
                start = 0;
                break;
            }

            case SortedSet zset:
                for (int node = zset.First; node != 0; node = zset.Next(node))
                {
                    items[j++] = NewItem(buffers, zset.MemberAt(node));
                }

                break;
        }

        return j;
    }

    private static Item NewItem(Buffers buffers, ReadOnlySpan<byte> element) =>
        new() { Offset = buffers.Append(element), Length = element.Length, ByOffset = -1 };

    // The sort keys: with ALPHA BY the looked-up values (copied), numerically the scores, read as strtod
    // does. True when a value is not a double (Redis answers the error only after sorting).
    private static bool Score(CommandContext c, Span<Item> items, bool alpha, int byArg, Buffers buffers)
    {
        bool error = false;
        for (int j = 0; j < items.Length; j++)
        {
            ref var item = ref items[j];
            ReadOnlySpan<byte> by;
            if (byArg >= 0)
            {
                var element = buffers.Arena.AsSpan(item.Offset, item.Length);
                if (!Lookup(c, c.Arg(byArg), element, buffers, out by))
                {
                    // A missing weight: ALPHA compares it as NULL, numeric sorting as 0.
                    continue;
                }

                if (alpha)
                {
                    item.ByLength = by.Length;
                    item.ByOffset = buffers.Append(by);
                    continue;
                }
            }
            else if (alpha)
            {
                continue;
            }
            else
            {
                by = buffers.Arena.AsSpan(item.Offset, item.Length);
            }

            if (!TryParseStrtod(by, out item.Score))
            {
                error = true;
            }
        }

        return error;
    }

    private static void Reply(CommandContext c, Item[] items, long start, long end, int getCount, long outputLength, Buffers buffers)
    {
        c.Reply.ArrayHeader(outputLength);
        for (long j = start; j <= end; j++)
        {
            var item = items[j];
            if (getCount == 0)
            {
                c.Reply.Bulk(buffers.Arena.AsSpan(item.Offset, item.Length));
                continue;
            }

            for (int i = 2; i < c.ArgCount; i++)
            {
                if (!IsGet(c, ref i))
                {
                    continue;
                }

                if (Lookup(c, c.Arg(i), buffers.Arena.AsSpan(item.Offset, item.Length), buffers, out var found))
                {
                    c.Reply.Bulk(found);
                }
                else
                {
                    c.Reply.NullBulk();
                }
            }
        }
    }

    // STORE: the output replaces the destination as a list (a missing GET value is stored as an empty
    // string); an empty output deletes the destination instead, and only a real deletion counts.
    private static void Store(CommandContext c, Item[] items, long start, long end, int getCount, long outputLength, ReadOnlySpan<byte> destination, Buffers buffers)
    {
        var result = new ListValue();
        for (long j = start; j <= end; j++)
        {
            var item = items[j];
            if (getCount == 0)
            {
                result.PushTail(buffers.Arena.AsSpan(item.Offset, item.Length));
                continue;
            }

            for (int i = 2; i < c.ArgCount; i++)
            {
                if (IsGet(c, ref i))
                {
                    result.PushTail(Lookup(c, c.Arg(i), buffers.Arena.AsSpan(item.Offset, item.Length), buffers, out var found) ? found : default);
                }
            }
        }

        if (outputLength > 0)
        {
            // setKey: the list replaces any value (and TTL), WATCH sees it, blocked pops are served from it.
            c.Db.Set(destination, result, c.Now);
            c.Modified(destination, KeyspaceEvents.List, "sortstore"u8);
            c.Dirty(outputLength);
        }
        else if (c.Db.Delete(destination, c.Now))
        {
            c.Modified(destination, KeyspaceEvents.Generic, "del"u8);
            c.Dirty();
        }

        c.Reply.Integer(outputLength);
    }

    // Walks the options again to find the GET patterns in order (the parse already validated them); i is
    // left on the pattern for a GET and past any option's arguments otherwise.
    private static bool IsGet(CommandContext c, ref int i)
    {
        if (c.ArgIs(i, "limit"u8) && c.ArgCount - i - 1 >= 2)
        {
            i += 2;
            return false;
        }

        if ((c.ArgIs(i, "store"u8) || c.ArgIs(i, "by"u8)) && c.ArgCount - i - 1 >= 1)
        {
            i++;
            return false;
        }

        if (c.ArgIs(i, "get"u8) && c.ArgCount - i - 1 >= 1)
        {
            i++;
            return true;
        }

        return false;
    }

    /// <summary>
    /// Redis's lookupKeyByPattern: <c>#</c> is the element itself; otherwise the first '*' is replaced by
    /// the element and the key read (a keyspace hit or miss) — a string, or with <c>key->field</c> (a
    /// non-empty field after the '*') a hash's field. Patterns are read as C strings (up to a NUL) where
    /// Redis uses strchr/strstr, and by their full length where it uses sdslen. The span is valid until
    /// the next lookup.
    /// </summary>
    private static bool Lookup(CommandContext c, ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> element, Buffers buffers, out ReadOnlySpan<byte> found)
    {
        found = default;
        if (pattern.Length > 0 && pattern[0] == (byte)'#' && (pattern.Length == 1 || pattern[1] == 0))
        {
            found = element;
            return true;
        }

        var text = CString(pattern);
        int star = text.IndexOf((byte)'*');
        if (star < 0)
        {
            return false;
        }

        int arrow = text[(star + 1)..].IndexOf("->"u8);
        int fieldStart = arrow < 0 ? -1 : star + 1 + arrow + 2;
        bool hasField = fieldStart >= 0 && fieldStart < text.Length;
        int postfixLength = hasField ? fieldStart - 2 - (star + 1) : pattern.Length - (star + 1);

        var key = buffers.KeyBuffer(star + element.Length + postfixLength);
        pattern[..star].CopyTo(key);
        element.CopyTo(key[star..]);
        pattern.Slice(star + 1, postfixLength).CopyTo(key[(star + element.Length)..]);

        int index = StringCommands.ReadIndex(c, key);
        if (index < 0)
        {
            return false;
        }

        if (!hasField)
        {
            return c.Db.Table.TryGetString(index, out found);
        }

        if (c.Db.Table.RawValueAt(index) is not HashValue hash)
        {
            return false;
        }

        // A field past its TTL (Redis 7.4's hash field expiry) reads as missing.
        int field = hash.Find(pattern[fieldStart..]);
        if (field < 0 || hash.IsExpired(field, c.Now))
        {
            return false;
        }

        found = hash.ValueAt(field);
        return true;
    }

    /// <summary>The bytes C string functions see: up to the first NUL.</summary>
    private static ReadOnlySpan<byte> CString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return nul < 0 ? bytes : bytes[..nul];
    }

    private const double SmallestNormal = 2.2250738585072014E-308;

    /// <summary>
    /// SORT's <c>strtod(value, &amp;end)</c> with <c>*end == '\0'</c> and no ERANGE or NaN: the C string (up
    /// to a NUL), leading white space allowed, an empty string is 0 (nothing converted, and the end is the
    /// terminator); decimal or hexadecimal (with a binary exponent), inf/infinity; an overflow, or an
    /// underflow to zero or to a subnormal, is refused.
    /// </summary>
    internal static bool TryParseStrtod(ReadOnlySpan<byte> bytes, out double value)
    {
        value = 0;
        var text = CString(bytes);
        if (text.IsEmpty)
        {
            return true;
        }

        int start = 0;
        while (start < text.Length && text[start] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r')
        {
            start++;
        }

        text = text[start..];
        if (!TryParseHexFloat(text, out value) && !SortedSetCommands.TryParseScore(text, out value))
        {
            return false;
        }

        // glibc sets ERANGE for a result below the smallest normal double too.
        return value == 0 || double.IsInfinity(value) || Math.Abs(value) >= SmallestNormal;
    }

    // strtod's hexadecimal form: [sign] 0x hex-digits [. hex-digits] [p [sign] digits], at least one digit.
    private static bool TryParseHexFloat(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        bool negative = false;
        if (!text.IsEmpty && text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == (byte)'-';
            text = text[1..];
        }

        if (text.Length < 3 || text[0] != (byte)'0' || (text[1] | 0x20) != (byte)'x')
        {
            return false;
        }

        int i = 2, digits = 0, exponent = 0;
        bool point = false;
        double mantissa = 0;
        for (; i < text.Length; i++)
        {
            byte b = text[i];
            if (b == (byte)'.' && !point)
            {
                point = true;
                continue;
            }

            int digit = HexDigit(b);
            if (digit < 0)
            {
                break;
            }

            digits++;
            if (mantissa < 1e300)
            {
                mantissa = (mantissa * 16) + digit;
                exponent -= point ? 4 : 0;
            }
            else if (!point)
            {
                exponent += 4;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        if (i < text.Length)
        {
            if ((text[i] | 0x20) != (byte)'p')
            {
                return false;
            }

            int j = i + 1;
            bool negativeExponent = false;
            if (j < text.Length && text[j] is (byte)'+' or (byte)'-')
            {
                negativeExponent = text[j] == (byte)'-';
                j++;
            }

            if (j == text.Length)
            {
                return false;
            }

            long binary = 0;
            for (; j < text.Length; j++)
            {
                if (text[j] is < (byte)'0' or > (byte)'9')
                {
                    return false;
                }

                binary = Math.Min(binary * 10 + (text[j] - '0'), 100_000);
            }

            exponent = (int)Math.Clamp(exponent + (negativeExponent ? -binary : binary), -100_000, 100_000);
        }

        value = Math.ScaleB(mantissa, exponent);
        if (negative)
        {
            value = -value;
        }

        // Overflow to infinity, or a non-zero mantissa lost to zero: ERANGE.
        return !double.IsInfinity(value) && (value != 0 || mantissa == 0);
    }

    private static int HexDigit(byte b) =>
        b is >= (byte)'0' and <= (byte)'9' ? b - '0' : (b | 0x20) is >= (byte)'a' and <= (byte)'f' ? (b | 0x20) - 'a' + 10 : -1;

    /// <summary>Redis's sortCompare, with the order DESC reverses.</summary>
    private readonly struct Comparer(byte[] arena, bool desc, bool alpha, bool byPattern, bool store)
    {
        public int Compare(in Item a, in Item b)
        {
            int cmp;
            if (!alpha)
            {
                // Equal scores fall back to the elements' bytes, so the result is deterministic.
                cmp = a.Score > b.Score ? 1 : a.Score < b.Score ? -1 : Binary(a.Offset, a.Length, b.Offset, b.Length);
            }
            else if (byPattern)
            {
                // A missing value sorts before any value.
                if (a.ByOffset < 0 || b.ByOffset < 0)
                {
                    cmp = a.ByOffset == b.ByOffset ? 0 : a.ByOffset < 0 ? -1 : 1;
                }
                else
                {
                    cmp = store ? Binary(a.ByOffset, a.ByLength, b.ByOffset, b.ByLength) : Collate(a.ByOffset, a.ByLength, b.ByOffset, b.ByLength);
                }
            }
            else
            {
                cmp = store ? Binary(a.Offset, a.Length, b.Offset, b.Length) : Collate(a.Offset, a.Length, b.Offset, b.Length);
            }

            return desc ? -cmp : cmp;
        }

        // compareStringObjects: memcmp, then the shorter first (binary safe; used when storing).
        private int Binary(int a, int aLength, int b, int bLength) =>
            Math.Sign(arena.AsSpan(a, aLength).SequenceCompareTo(arena.AsSpan(b, bLength)));

        // collateStringObjects: strcoll, which in the C (and C.UTF-8) locale is strcmp — bytes up to a NUL.
        private int Collate(int a, int aLength, int b, int bLength) =>
            Math.Sign(CString(arena.AsSpan(a, aLength)).SequenceCompareTo(CString(arena.AsSpan(b, bLength))));
    }

    // A stable top-down merge sort, as glibc's qsort (msort) that Redis's qsort call gets: elements that
    // compare equal (ALPHA BY values that are the same or missing) keep their input order. With BY and a
    // LIMIT that cuts the output Redis uses its own unstable partial quicksort (pqsort) instead, so only there
    // may elements with equal ALPHA BY values come out in another order than Redis's (which Redis leaves
    // unspecified); every other comparison ends in a total order.
    private static void MergeSort(Span<Item> items, in Comparer comparer)
    {
        if (items.Length < 2)
        {
            return;
        }

        var scratch = ArrayPool<Item>.Shared.Rent(items.Length);
        try
        {
            MergeSort(items, scratch.AsSpan(0, items.Length), comparer);
        }
        finally
        {
            ArrayPool<Item>.Shared.Return(scratch);
        }
    }

    private static void MergeSort(Span<Item> items, Span<Item> scratch, in Comparer comparer)
    {
        if (items.Length < 2)
        {
            return;
        }

        int half = items.Length / 2;
        MergeSort(items[..half], scratch[..half], comparer);
        MergeSort(items[half..], scratch[half..], comparer);
        if (comparer.Compare(items[half - 1], items[half]) <= 0)
        {
            return;
        }

        items.CopyTo(scratch);
        int left = 0, right = half, k = 0;
        while (left < half && right < items.Length)
        {
            items[k++] = comparer.Compare(scratch[left], scratch[right]) <= 0 ? scratch[left++] : scratch[right++];
        }

        while (left < half)
        {
            items[k++] = scratch[left++];
        }

        while (right < items.Length)
        {
            items[k++] = scratch[right++];
        }
    }
}
