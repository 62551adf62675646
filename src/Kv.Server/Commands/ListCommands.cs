using System.Buffers;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>Lists: push, pop, range, index, insert, trim, move and the blocking pops.</summary>
internal static class ListCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("lpush", -3, "write denyoom fast", 1, 1, 1, "@list", LPush, "list", "Prepend one or multiple elements to a list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 element:string*")
            .WithHistory(("2.4.0", "Accepts multiple `element` arguments."));
        table.Add("rpush", -3, "write denyoom fast", 1, 1, 1, "@list", RPush, "list", "Append one or multiple elements to a list", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 element:string*")
            .WithHistory(("2.4.0", "Accepts multiple `element` arguments."));
        table.Add("lpushx", -3, "write denyoom fast", 1, 1, 1, "@list", LPushX, "list", "Prepend an element to a list, only if the list exists", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 element:string*")
            .WithHistory(("4.0.0", "Accepts multiple `element` arguments."));
        table.Add("rpushx", -3, "write denyoom fast", 1, 1, 1, "@list", RPushX, "list", "Append an element to a list, only if the list exists", "2.2.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 element:string*")
            .WithHistory(("4.0.0", "Accepts multiple `element` arguments."));
        table.Add("lpop", -2, "write fast", 1, 1, 1, "@list", LPop, "list", "Remove and get the first elements in a list", "1.0.0", "O(N) where N is the number of elements returned")
            .WithKeys("RW access delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 count:integer@6.2.0?")
            .WithHistory(("6.2.0", "Added the `count` argument."));
        table.Add("rpop", -2, "write fast", 1, 1, 1, "@list", RPop, "list", "Remove and get the last elements in a list", "1.0.0", "O(N) where N is the number of elements returned")
            .WithKeys("RW access delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 count:integer@6.2.0?")
            .WithHistory(("6.2.0", "Added the `count` argument."));
        table.Add("llen", 2, "readonly fast", 1, 1, 1, "@list", LLen, "list", "Get the length of a list", "1.0.0", "O(1)")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("lrange", 4, "readonly", 1, 1, 1, "@list", LRange, "list", "Get a range of elements from a list", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:integer stop:integer");
        table.Add("lindex", 3, "readonly", 1, 1, 1, "@list", LIndex, "list", "Get an element from a list by its index", "1.0.0", "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 index:integer");
        table.Add("lset", 4, "write denyoom", 1, 1, 1, "@list", LSet, "list", "Set the value of an element in a list by its index", "1.0.0", "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 index:integer element:string");
        table.Add("linsert", 5, "write denyoom", 1, 1, 1, "@list", LInsert, "list", "Insert an element before or after another element in a list", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 where:oneof(before:pure-token=BEFORE after:pure-token=AFTER) pivot:string element:string");
        table.Add("lrem", 4, "write", 1, 1, 1, "@list", LRem, "list", "Remove elements from a list", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 count:integer element:string");
        table.Add("ltrim", 4, "write", 1, 1, 1, "@list", LTrim, "list", "Trim a list to the specified range", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:integer stop:integer");
        table.Add("lpos", -3, "readonly", 1, 1, 1, "@list", LPos, "list", "Return the index of matching elements on a list", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 element:string rank:integer=RANK? num-matches:integer=COUNT? len:integer=MAXLEN?");
        table.Add("lmove", 5, "write denyoom", 1, 2, 1, "@list", LMove, "list", "Pop an element from a list, push it to another list and return it", "6.2.0", "O(1)")
            .WithKeys("RW access delete | index 1 | range 0 1 0", "RW insert | index 2 | range 0 1 0")
            .WithArgs("source:key#0 destination:key#1 wherefrom:oneof(left:pure-token=LEFT right:pure-token=RIGHT) whereto:oneof(left:pure-token=LEFT right:pure-token=RIGHT)");
        table.Add("rpoplpush", 3, "write denyoom", 1, 2, 1, "@list", RPopLPush, "list", "Remove the last element in a list, prepend it to another list and return it", "1.2.0", "O(1)")
            .WithKeys("RW access delete | index 1 | range 0 1 0", "RW insert | index 2 | range 0 1 0")
            .WithArgs("source:key#0 destination:key#1")
            .Deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments")
            .WithDocFlags("deprecated");
        table.Add("lmpop", -4, "write movablekeys", 0, 0, 0, "@list", LMPop, "list", "Pop elements from a list", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.")
            .WithKeys("RW access delete | index 1 | keynum 0 1 1")
            .WithArgs("numkeys:integer key:key#0* where:oneof(left:pure-token=LEFT right:pure-token=RIGHT) count:integer=COUNT?");
        table.Add("blpop", -3, "write noscript blocking", 1, -2, 1, "@list", BLPop, "list", "Remove and get the first element in a list, or block until one is available", "2.0.0", "O(N) where N is the number of provided keys.")
            .WithKeys("RW access delete | index 1 | range -2 1 0")
            .WithArgs("key:key#0* timeout:double")
            .WithHistory(("6.0.0", "`timeout` is interpreted as a double instead of an integer."));
        table.Add("brpop", -3, "write noscript blocking", 1, -2, 1, "@list", BRPop, "list", "Remove and get the last element in a list, or block until one is available", "2.0.0", "O(N) where N is the number of provided keys.")
            .WithKeys("RW access delete | index 1 | range -2 1 0")
            .WithArgs("key:key#0* timeout:double")
            .WithHistory(("6.0.0", "`timeout` is interpreted as a double instead of an integer."));
        table.Add("blmove", 6, "write denyoom noscript blocking", 1, 2, 1, "@list", BLMove, "list", "Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0", "O(1)")
            .WithKeys("RW access delete | index 1 | range 0 1 0", "RW insert | index 2 | range 0 1 0")
            .WithArgs("source:key#0 destination:key#1 wherefrom:oneof(left:pure-token=LEFT right:pure-token=RIGHT) whereto:oneof(left:pure-token=LEFT right:pure-token=RIGHT) timeout:double");
        table.Add("brpoplpush", 4, "write denyoom noscript blocking", 1, 2, 1, "@list", BRPopLPush, "list", "Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0", "O(1)")
            .WithKeys("RW access delete | index 1 | range 0 1 0", "RW insert | index 2 | range 0 1 0")
            .WithArgs("source:key#0 destination:key#1 timeout:double")
            .WithHistory(("6.0.0", "`timeout` is interpreted as a double instead of an integer."))
            .Deprecated("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments")
            .WithDocFlags("deprecated");
        table.Add("blmpop", -5, "write blocking movablekeys", 0, 0, 0, "@list", BLMPop, "list", "Pop elements from a list, or block until one is available", "7.0.0", "O(N+M) where N is the number of provided keys and M is the number of elements returned.")
            .WithKeys("RW access delete | index 2 | keynum 0 1 1")
            .WithArgs("timeout:double numkeys:integer key:key#0* where:oneof(left:pure-token=LEFT right:pure-token=RIGHT) count:integer=COUNT?");
    }

    private static ReadOnlySpan<byte> MustBePositive => "ERR value is out of range, must be positive"u8;

    private static ReadOnlySpan<byte> IndexOutOfRange => "ERR index out of range"u8;

    private static ReadOnlySpan<byte> RankZero => "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"u8;

    private static ReadOnlySpan<byte> CountNegative => "ERR COUNT can't be negative"u8;

    private static ReadOnlySpan<byte> MaxLenNegative => "ERR MAXLEN can't be negative"u8;

    private static ReadOnlySpan<byte> NumKeysNotPositive => "ERR numkeys should be greater than 0"u8;

    private static ReadOnlySpan<byte> CountNotPositive => "ERR count should be greater than 0"u8;

    private static ReadOnlySpan<byte> TimeoutNotFloat => "ERR timeout is not a float or out of range"u8;

    private static ReadOnlySpan<byte> TimeoutNegative => "ERR timeout is negative"u8;

    private static ReadOnlySpan<byte> TimeoutOutOfRange => "ERR timeout is out of range"u8;

    [ThreadStatic]
    private static List<long>? t_positions;

    /// <summary>Redis's lookupKeyWrite + checkType: the list, or null when absent or (after replying WRONGTYPE) of another type.</summary>
    private static ListValue? WriteList(CommandContext c, ReadOnlySpan<byte> key, out bool wrongType)
    {
        wrongType = false;
        int index = c.Db.Find(key, c.Now);
        if (index < 0)
        {
            return null;
        }

        if (c.Db.Table.ValueAt(index) is ListValue list)
        {
            return list;
        }

        wrongType = true;
        c.Reply.Error(Errors.WrongType);
        return null;
    }

    /// <summary>Redis's lookupKeyRead + checkType (counts a keyspace hit or miss).</summary>
    private static ListValue? ReadList(CommandContext c, ReadOnlySpan<byte> key, out bool wrongType)
    {
        wrongType = false;
        var value = StringCommands.Read(c, key);
        if (value is null or ListValue)
        {
            return (ListValue?)value;
        }

        wrongType = true;
        c.Reply.Error(Errors.WrongType);
        return null;
    }

    /// <summary>An emptied list goes away with its last element.</summary>
    private static void DeleteIfEmpty(CommandContext c, ListValue list, ReadOnlySpan<byte> key)
    {
        if (list.Count == 0)
        {
            c.Db.Delete(key, c.Now);
            c.Modified(key, KeyspaceEvents.Generic, "del"u8);
        }
    }

    private static void Popped(CommandContext c, ReadOnlySpan<byte> key, bool head) =>
        c.Modified(key, KeyspaceEvents.List, head ? "lpop"u8 : "rpop"u8);

    private static void Pushed(CommandContext c, ReadOnlySpan<byte> key, bool head) =>
        c.Modified(key, KeyspaceEvents.List, head ? "lpush"u8 : "rpush"u8);

    private static void LPush(CommandContext c) => Push(c, head: true, onlyIfExists: false);

    private static void RPush(CommandContext c) => Push(c, head: false, onlyIfExists: false);

    private static void LPushX(CommandContext c) => Push(c, head: true, onlyIfExists: true);

    private static void RPushX(CommandContext c) => Push(c, head: false, onlyIfExists: true);

    private static void Push(CommandContext c, bool head, bool onlyIfExists)
    {
        var key = c.Arg(1);
        var list = WriteList(c, key, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            if (onlyIfExists)
            {
                c.Reply.Integer(0);
                return;
            }

            list = ListValue.Create();
            c.Db.Add(key, list);
        }

        for (int i = 2; i < c.ArgCount; i++)
        {
            if (head)
            {
                list.PushHead(c.Arg(i));
            }
            else
            {
                list.PushTail(c.Arg(i));
            }
        }

        c.Reply.Integer(list.Count);
        c.Dirty(c.ArgCount - 2);
        Pushed(c, key, head);
        c.Keyspace.Blocking.SignalReady(c.Client.Db, key);
    }

    private static void LPop(CommandContext c) => Pop(c, head: true);

    private static void RPop(CommandContext c) => Pop(c, head: false);

    private static void Pop(CommandContext c, bool head)
    {
        // Redis's popGenericCommand: at most one count argument.
        if (c.ArgCount > 3)
        {
            c.Reply.Error(Errors.WrongArgCount(c.Command.FullName));
            return;
        }

        bool hasCount = c.ArgCount == 3;
        long count = 0;
        if (hasCount && (!RespNumber.TryParseInt64(c.Arg(2), out count) || count < 0))
        {
            c.Reply.Error(MustBePositive);
            return;
        }

        var key = c.Arg(1);
        var list = WriteList(c, key, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            if (hasCount)
            {
                c.Reply.NullArray();
            }
            else
            {
                c.Reply.NullBulk();
            }

            return;
        }

        if (!hasCount)
        {
            PopOne(c, list, head);
        }
        else
        {
            PopMany(c, list, head, count);
        }

        if (!hasCount || count > 0)
        {
            Popped(c, key, head);
        }

        DeleteIfEmpty(c, list, key);
    }

    private static void PopOne(CommandContext c, ListValue list, bool head)
    {
        c.Reply.Bulk(head ? list.Head : list.Tail);
        if (head)
        {
            list.RemoveHead();
        }
        else
        {
            list.RemoveTail();
        }

        c.Dirty();
    }

    private static void PopMany(CommandContext c, ListValue list, bool head, long count)
    {
        long n = Math.Min(count, list.Count);
        c.Reply.ArrayHeader(n);
        for (long i = 0; i < n; i++)
        {
            PopOne(c, list, head);
        }
    }

    private static void LLen(CommandContext c)
    {
        var list = ReadList(c, c.Arg(1), out bool wrongType);
        if (!wrongType)
        {
            c.Reply.Integer(list?.Count ?? 0);
        }
    }

    private static void LRange(CommandContext c)
    {
        if (!c.TryArgLong(2, out long start) || !c.TryArgLong(3, out long end))
        {
            return;
        }

        var list = ReadList(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            c.Reply.ArrayHeader(0);
            return;
        }

        long length = list.Count;
        if (!IndexRange.TryNormalize(ref start, ref end, length))
        {
            c.Reply.ArrayHeader(0);
            return;
        }

        long count = end - start + 1;
        c.Reply.ArrayHeader(count);
        var e = list.GetEnumerator(start, forward: true);
        for (long i = 0; i < count && e.MoveNext(); i++)
        {
            c.Reply.Bulk(e.Current);
        }
    }

    private static void LIndex(CommandContext c)
    {
        var list = ReadList(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            c.Reply.NullBulk();
            return;
        }

        if (!c.TryArgLong(2, out long index))
        {
            return;
        }

        if (index < 0)
        {
            index += list.Count;
        }

        if (index < 0 || index >= list.Count)
        {
            c.Reply.NullBulk();
            return;
        }

        c.Reply.Bulk(list.Get(index));
    }

    private static void LSet(CommandContext c)
    {
        var key = c.Arg(1);
        var list = WriteList(c, key, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            c.Reply.Error(Errors.NoSuchKey);
            return;
        }

        if (!c.TryArgLong(2, out long index))
        {
            return;
        }

        if (index < 0)
        {
            index += list.Count;
        }

        if (index < 0 || index >= list.Count)
        {
            c.Reply.Error(IndexOutOfRange);
            return;
        }

        list.Set(index, c.Arg(3));
        c.Reply.Ok();
        c.Dirty();
        c.Modified(key, KeyspaceEvents.List, "lset"u8);
    }

    private static void LInsert(CommandContext c)
    {
        bool after;
        if (c.ArgIs(2, "after"u8))
        {
            after = true;
        }
        else if (c.ArgIs(2, "before"u8))
        {
            after = false;
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        var list = WriteList(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            c.Reply.Integer(0);
            return;
        }

        if (!list.Insert(c.Arg(3), after, c.Arg(4)))
        {
            c.Reply.Integer(-1);
            return;
        }

        c.Reply.Integer(list.Count);
        c.Dirty();
        c.Modified(c.Arg(1), KeyspaceEvents.List, "linsert"u8);
    }

    private static void LRem(CommandContext c)
    {
        if (!c.TryArgLong(2, out long count))
        {
            return;
        }

        var key = c.Arg(1);
        var list = WriteList(c, key, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            c.Reply.Integer(0);
            return;
        }

        var element = c.Arg(3);
        long removed;
        if (count >= 0)
        {
            removed = list.RemoveMatches(element, 0, count);
        }
        else
        {
            // From the tail: keep all but the last |count| matches.
            long matches = list.CountMatches(element);
            long limit = count == long.MinValue ? long.MaxValue : -count;
            removed = list.RemoveMatches(element, Math.Max(0, matches - limit), 0);
        }

        if (removed > 0)
        {
            c.Modified(key, KeyspaceEvents.List, "lrem"u8);
            DeleteIfEmpty(c, list, key);
        }

        c.Reply.Integer(removed);
        c.Dirty(removed);
    }

    private static void LTrim(CommandContext c)
    {
        if (!c.TryArgLong(2, out long start) || !c.TryArgLong(3, out long end))
        {
            return;
        }

        var key = c.Arg(1);
        var list = WriteList(c, key, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            c.Reply.Ok();
            return;
        }

        long length = list.Count;
        long left, right;
        if (!IndexRange.TryNormalize(ref start, ref end, length))
        {
            left = length;
            right = 0;
        }
        else
        {
            left = start;
            right = length - end - 1;
        }

        list.RemoveHead(left);
        list.RemoveTail(right);
        c.Modified(key, KeyspaceEvents.List, "ltrim"u8);
        DeleteIfEmpty(c, list, key);
        c.Reply.Ok();
        c.Dirty(left + right);
    }

    private static void LPos(CommandContext c)
    {
        long rank = 1, count = -1, maxLen = 0;
        for (int j = 3; j < c.ArgCount; j++)
        {
            bool more = j + 1 < c.ArgCount;
            if (more && c.ArgIs(j, "rank"u8))
            {
                if (!c.TryArgLong(++j, out rank))
                {
                    return;
                }

                if (rank == 0)
                {
                    c.Reply.Error(RankZero);
                    return;
                }
            }
            else if (more && c.ArgIs(j, "count"u8))
            {
                if (!RespNumber.TryParseInt64(c.Arg(++j), out count) || count < 0)
                {
                    c.Reply.Error(CountNegative);
                    return;
                }
            }
            else if (more && c.ArgIs(j, "maxlen"u8))
            {
                if (!RespNumber.TryParseInt64(c.Arg(++j), out maxLen) || maxLen < 0)
                {
                    c.Reply.Error(MaxLenNegative);
                    return;
                }
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var list = ReadList(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (list is null)
        {
            if (count != -1)
            {
                c.Reply.ArrayHeader(0);
            }
            else
            {
                c.Reply.NullBulk();
            }

            return;
        }

        // A negative rank searches from the tail.
        // Redis 7.0 negates LONG_MIN in place (it stays negative), so every match counts and
        // "matches - rank + 1 >= count" overflows: the C arithmetic is kept, unchecked.
        bool forward = rank > 0;
        if (!forward)
        {
            rank = unchecked(-rank);
        }

        long length = list.Count;
        var element = c.Arg(2);
        var positions = t_positions ??= new List<long>();
        positions.Clear();
        long matches = 0;
        long index = 0;
        var e = list.GetEnumerator(forward ? 0 : length - 1, forward);
        while ((maxLen == 0 || index < maxLen) && e.MoveNext())
        {
            if (e.Current.SequenceEqual(element) && ++matches >= rank)
            {
                positions.Add(forward ? index : length - index - 1);
                if (count == -1 || (count > 0 && unchecked(matches - rank + 1) >= count))
                {
                    break;
                }
            }

            index++;
        }

        if (count != -1)
        {
            c.Reply.ArrayHeader(positions.Count);
            foreach (long position in positions)
            {
                c.Reply.Integer(position);
            }
        }
        else if (positions.Count > 0)
        {
            c.Reply.Integer(positions[0]);
        }
        else
        {
            c.Reply.NullBulk();
        }

        if (positions.Capacity > 4096)
        {
            t_positions = null;
        }
    }

    /// <summary>LEFT or RIGHT (Redis's getListPositionFromObjectOrReply); replies a syntax error otherwise.</summary>
    private static bool TryArgEnd(CommandContext c, int index, out bool head)
    {
        head = c.ArgIs(index, "left"u8);
        if (head || c.ArgIs(index, "right"u8))
        {
            return true;
        }

        c.Reply.Error(Errors.Syntax);
        return false;
    }

    private static void LMove(CommandContext c)
    {
        if (TryArgEnd(c, 3, out bool fromHead) && TryArgEnd(c, 4, out bool toHead))
        {
            Move(c, fromHead, toHead);
        }
    }

    private static void RPopLPush(CommandContext c) => Move(c, fromHead: false, toHead: true);

    /// <summary>Redis's lmoveGenericCommand: nil when the source is absent; WRONGTYPE for either key before anything moves.</summary>
    private static void Move(CommandContext c, bool fromHead, bool toHead)
    {
        var sourceKey = c.Arg(1);
        var source = WriteList(c, sourceKey, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (source is null)
        {
            c.Reply.NullBulk();
            return;
        }

        MoveFrom(c, source, sourceKey, fromHead, toHead);
    }

    private static void MoveFrom(CommandContext c, ListValue source, ReadOnlySpan<byte> sourceKey, bool fromHead, bool toHead)
    {
        var destinationKey = c.Arg(2);
        var destination = WriteList(c, destinationKey, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        Span<byte> scratch = stackalloc byte[256];
        scoped ReadOnlySpan<byte> value = fromHead ? source.Head : source.Tail;
        byte[]? rented = null;
        if (ReferenceEquals(source, destination))
        {
            // Pushing may move the bytes the popped span points at: take a copy first.
            Span<byte> copy = value.Length <= 256 ? scratch : (rented = ArrayPool<byte>.Shared.Rent(value.Length));
            value.CopyTo(copy);
            value = copy[..value.Length];
        }

        c.Reply.Bulk(value);
        if (destination is null)
        {
            destination = ListValue.Create();
            c.Db.Add(destinationKey, destination);
        }

        if (ReferenceEquals(source, destination))
        {
            RemoveEnd(source, fromHead);
            PushEnd(destination, toHead, value);
        }
        else
        {
            PushEnd(destination, toHead, value);
            RemoveEnd(source, fromHead);
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        c.Keyspace.Blocking.SignalReady(c.Client.Db, destinationKey);
        Pushed(c, destinationKey, toHead);
        Popped(c, sourceKey, fromHead);
        DeleteIfEmpty(c, source, sourceKey);
        c.Dirty();
    }

    private static void PushEnd(ListValue list, bool head, ReadOnlySpan<byte> value)
    {
        if (head)
        {
            list.PushHead(value);
        }
        else
        {
            list.PushTail(value);
        }
    }

    private static void RemoveEnd(ListValue list, bool head)
    {
        if (head)
        {
            list.RemoveHead();
        }
        else
        {
            list.RemoveTail();
        }
    }

    private static void LMPop(CommandContext c) => MPop(c, 1, blocking: false);

    /// <summary>Redis's lmpopGenericCommand: numkeys, the keys, LEFT|RIGHT, then COUNT once.</summary>
    private static void MPop(CommandContext c, int numKeysIndex, bool blocking)
    {
        if (!RespNumber.TryParseInt64(c.Arg(numKeysIndex), out long numKeys) || numKeys < 1)
        {
            c.Reply.Error(NumKeysNotPositive);
            return;
        }

        if (numKeys >= c.ArgCount - numKeysIndex - 1)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        int whereIndex = numKeysIndex + (int)numKeys + 1;
        if (!TryArgEnd(c, whereIndex, out bool head))
        {
            return;
        }

        long count = -1;
        for (int j = whereIndex + 1; j < c.ArgCount; j++)
        {
            if (count == -1 && j + 1 < c.ArgCount && c.ArgIs(j, "count"u8))
            {
                if (!RespNumber.TryParseInt64(c.Arg(++j), out count) || count < 1)
                {
                    c.Reply.Error(CountNotPositive);
                    return;
                }
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        if (count == -1)
        {
            count = 1;
        }

        // BLMPOP's timeout is read after the other arguments (blockingPopGenericCommand reads it).
        long deadline = 0;
        if (blocking && !TryArgTimeout(c, 1, out deadline))
        {
            return;
        }

        for (int k = numKeysIndex + 1; k < whereIndex; k++)
        {
            var key = c.Arg(k);
            if (!c.MayServeFrom(key))
            {
                continue;
            }

            var list = WriteList(c, key, out bool wrongType);
            if (wrongType)
            {
                return;
            }

            if (list is not null)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(key);
                PopMany(c, list, head, count);
                Popped(c, key, head);
                DeleteIfEmpty(c, list, key);
                return;
            }
        }

        if (!blocking || c.InTransaction)
        {
            c.Reply.NullArray();
            return;
        }

        c.Keyspace.Blocking.Block(c, numKeysIndex + 1, (int)numKeys, 1, deadline, typeof(ListValue));
    }

    private static void BLPop(CommandContext c) => BlockingPop(c, head: true);

    private static void BRPop(CommandContext c) => BlockingPop(c, head: false);

    /// <summary>Redis's blockingPopGenericCommand: the first non-empty key in argument order, else block.</summary>
    private static void BlockingPop(CommandContext c, bool head)
    {
        if (!TryArgTimeout(c, c.ArgCount - 1, out long deadline))
        {
            return;
        }

        for (int k = 1; k < c.ArgCount - 1; k++)
        {
            var key = c.Arg(k);
            if (!c.MayServeFrom(key))
            {
                continue;
            }

            var list = WriteList(c, key, out bool wrongType);
            if (wrongType)
            {
                return;
            }

            if (list is not null)
            {
                c.Reply.ArrayHeader(2);
                c.Reply.Bulk(key);
                PopOne(c, list, head);
                Popped(c, key, head);
                DeleteIfEmpty(c, list, key);
                return;
            }
        }

        // Inside MULTI or a script the only thing left is to answer as a timeout (CLIENT_DENY_BLOCKING).
        if (c.InTransaction)
        {
            c.Reply.NullArray();
            return;
        }

        c.Keyspace.Blocking.Block(c, 1, c.ArgCount - 2, 1, deadline, typeof(ListValue));
    }

    private static void BLMove(CommandContext c)
    {
        if (TryArgEnd(c, 3, out bool fromHead) && TryArgEnd(c, 4, out bool toHead) && TryArgTimeout(c, 5, out long deadline))
        {
            BlockingMove(c, fromHead, toHead, deadline);
        }
    }

    private static void BRPopLPush(CommandContext c)
    {
        if (TryArgTimeout(c, 3, out long deadline))
        {
            BlockingMove(c, fromHead: false, toHead: true, deadline);
        }
    }

    private static void BlockingMove(CommandContext c, bool fromHead, bool toHead, long deadline)
    {
        var sourceKey = c.Arg(1);
        var source = WriteList(c, sourceKey, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (source is not null)
        {
            MoveFrom(c, source, sourceKey, fromHead, toHead);
            return;
        }

        // Redis's blmoveGenericCommand answers a null bulk (not array) when it may not block.
        if (c.InTransaction)
        {
            c.Reply.NullBulk();
            return;
        }

        c.Keyspace.Blocking.Block(c, 1, 1, 1, deadline, typeof(ListValue));
    }

    private static void BLMPop(CommandContext c) => MPop(c, 2, blocking: true);

    /// <summary>
    /// Redis's getTimeoutFromObjectOrReply in seconds: a float, multiplied to milliseconds and
    /// truncated (so -0.0001 is 0, wait forever); 0 = forever. Gives the unix-ms deadline.
    /// </summary>
    internal static bool TryArgTimeout(CommandContext c, int index, out long deadline)
    {
        deadline = 0;
        if (!RespNumber.TryParseDouble(c.Arg(index), out double seconds))
        {
            c.Reply.Error(TimeoutNotFloat);
            return false;
        }

        double ms = seconds * 1000.0;

        // C's (long long) of an out-of-range value is LLONG_MIN on x86-64, hence "negative".
        long milliseconds = ms is >= 9.2233720368547758E18 or < -9.2233720368547758E18 ? long.MinValue : (long)ms;
        if (milliseconds < 0)
        {
            c.Reply.Error(TimeoutNegative);
            return false;
        }

        if (milliseconds > 0)
        {
            if (milliseconds > long.MaxValue - c.Now)
            {
                c.Reply.Error(TimeoutOutOfRange);
                return false;
            }

            deadline = c.Now + milliseconds;
        }

        return true;
    }
}
