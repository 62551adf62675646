using System.Buffers;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;
using Kv.Server.Text;

namespace Kv.Server.Commands;

/// <summary>Sets: membership, random members, set algebra, SSCAN (Redis 7.0's t_set.c).</summary>
internal static class SetCommands
{
    // Redis's SPOP_MOVE_STRATEGY_MUL and SRANDMEMBER_SUB_STRATEGY_MUL: when to switch strategies.
    private const long SpopMoveStrategyMul = 5;
    private const long SrandmemberSubStrategyMul = 3;

    private const string AlgebraComplexity = "O(N) where N is the total number of elements in all given sets.";
    private const string InterComplexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.";

    private enum Algebra
    {
        Union,
        Diff,
    }

    private static ReadOnlySpan<byte> MustBePositive => "ERR value is out of range, must be positive"u8;

    private static ReadOnlySpan<byte> CountOutOfRange => "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8;

    private static ReadOnlySpan<byte> NumKeysNotPositive => "ERR numkeys should be greater than 0"u8;

    private static ReadOnlySpan<byte> TooManyKeys => "ERR Number of keys can't be greater than number of args"u8;

    private static ReadOnlySpan<byte> LimitNegative => "ERR LIMIT can't be negative"u8;

    public static void Register(CommandTable table)
    {
        table.Add("sadd", -3, "write denyoom fast", 1, 1, 1, "@set", SAdd, "set", "Add one or more members to a set", "1.0.0", "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string*")
            .WithHistory(("2.4.0", "Accepts multiple `member` arguments."));
        table.Add("srem", -3, "write fast", 1, 1, 1, "@set", SRem, "set", "Remove one or more members from a set", "1.0.0", "O(N) where N is the number of members to be removed.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string*")
            .WithHistory(("2.4.0", "Accepts multiple `member` arguments."));
        table.Add("smembers", 2, "readonly", 1, 1, 1, "@set", SMembers, "set", "Get all the members in a set", "1.0.0", "O(N) where N is the set cardinality.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output_order")
            .WithArgs("key:key#0");
        table.Add("sismember", 3, "readonly fast", 1, 1, 1, "@set", SIsMember, "set", "Determine if a given value is a member of a set")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string");
        table.Add("smismember", -3, "readonly fast", 1, 1, 1, "@set", SMIsMember, "set", "Returns the membership associated with the given elements for a set", "6.2.0", "O(N) where N is the number of elements being checked for membership")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string*");
        table.Add("scard", 2, "readonly fast", 1, 1, 1, "@set", SCard, "set", "Get the number of members in a set")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("spop", -2, "write fast", 1, 1, 1, "@set", SPop, "set", "Remove and return one or multiple random members from a set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.")
            .WithKeys("RW access delete | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0 count:integer@3.2.0?")
            .WithHistory(("3.2.0", "Added the `count` argument."));
        table.Add("srandmember", -2, "readonly", 1, 1, 1, "@set", SRandMember, "set", "Get one or multiple random members from a set", "1.0.0", "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0 count:integer@2.6.0?")
            .WithHistory(("2.6.0", "Added the optional `count` argument."));
        table.Add("smove", 4, "write fast", 1, 2, 1, "@set", SMove, "set", "Move a member from one set to another")
            .WithKeys("RW access delete | index 1 | range 0 1 0", "RW insert | index 2 | range 0 1 0")
            .WithArgs("source:key#0 destination:key#1 member:string");
        table.Add("sinter", -2, "readonly", 1, -1, 1, "@set", SInter, "set", "Intersect multiple sets", "1.0.0", InterComplexity)
            .WithKeys("RO access | index 1 | range -1 1 0")
            .WithTips("nondeterministic_output_order")
            .WithArgs("key:key#0*");
        table.Add("sintercard", -3, "readonly movablekeys", 0, 0, 0, "@set", SInterCard, "set", "Intersect multiple sets and return the cardinality of the result", "7.0.0", InterComplexity)
            .WithKeys("RO access | index 1 | keynum 0 1 1")
            .WithArgs("numkeys:integer key:key#0* limit:integer=LIMIT?");
        table.Add("sinterstore", -3, "write denyoom", 1, -1, 1, "@set", SInterStore, "set", "Intersect multiple sets and store the resulting set in a key", "1.0.0", InterComplexity)
            .WithKeys("RW update | index 1 | range 0 1 0", "RO access | index 2 | range -1 1 0")
            .WithArgs("destination:key#0 key:key#1*");
        table.Add("sunion", -2, "readonly", 1, -1, 1, "@set", SUnion, "set", "Add multiple sets", "1.0.0", AlgebraComplexity)
            .WithKeys("RO access | index 1 | range -1 1 0")
            .WithTips("nondeterministic_output_order")
            .WithArgs("key:key#0*");
        table.Add("sunionstore", -3, "write denyoom", 1, -1, 1, "@set", SUnionStore, "set", "Add multiple sets and store the resulting set in a key", "1.0.0", AlgebraComplexity)
            .WithKeys("OW update | index 1 | range 0 1 0", "RO access | index 2 | range -1 1 0")
            .WithArgs("destination:key#0 key:key#1*");
        table.Add("sdiff", -2, "readonly", 1, -1, 1, "@set", SDiff, "set", "Subtract multiple sets", "1.0.0", AlgebraComplexity)
            .WithKeys("RO access | index 1 | range -1 1 0")
            .WithTips("nondeterministic_output_order")
            .WithArgs("key:key#0*");
        table.Add("sdiffstore", -3, "write denyoom", 1, -1, 1, "@set", SDiffStore, "set", "Subtract multiple sets and store the resulting set in a key", "1.0.0", AlgebraComplexity)
            .WithKeys("OW update | index 1 | range 0 1 0", "RO access | index 2 | range -1 1 0")
            .WithArgs("destination:key#0 key:key#1*");
        table.Add("sscan", -3, "readonly", 1, 1, 1, "@set", SScan, "set", "Incrementally iterate Set elements", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0 cursor:integer pattern:pattern=MATCH? count:integer=COUNT?");
    }

    private static int MaxIntsetEntries(CommandContext c) => c.Server.Config.SetMaxIntsetEntries;

    /// <summary>Redis's lookupKeyRead + checkType: false when WRONGTYPE was replied; <paramref name="set"/> is null for a missing key.</summary>
    private static bool TryRead(CommandContext c, ReadOnlySpan<byte> key, out SetValue? set)
    {
        var value = StringCommands.Read(c, key);
        set = value as SetValue;
        if (value is not null && set is null)
        {
            c.Reply.Error(Errors.WrongType);
            return false;
        }

        return true;
    }

    /// <summary>Redis's lookupKeyWrite + checkType: the entry index (-1 when missing); false when WRONGTYPE was replied.</summary>
    private static bool TryWrite(CommandContext c, ReadOnlySpan<byte> key, out int index, out SetValue? set)
    {
        var db = c.Db;
        index = db.Find(key, c.Now);
        set = null;
        if (index < 0)
        {
            return true;
        }

        set = db.Table.ValueAt(index) as SetValue;
        if (set is null)
        {
            c.Reply.Error(Errors.WrongType);
            return false;
        }

        return true;
    }

    private static void SAdd(CommandContext c)
    {
        var key = c.Arg(1);
        if (!TryWrite(c, key, out _, out var set))
        {
            return;
        }

        if (set is null)
        {
            set = SetValue.CreateFor(c.Arg(2));
            int memberBytes = 0;
            for (int i = 2; i < c.ArgCount; i++)
            {
                memberBytes += c.Arg(i).Length;
            }

            set.Reserve(c.ArgCount - 2, memberBytes);
            c.Db.Add(key, set);
        }

        int max = MaxIntsetEntries(c);
        long added = 0;
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (set.Add(c.Arg(i), max))
            {
                added++;
            }
        }

        c.Dirty(added);
        if (added > 0)
        {
            c.Modified(key, KeyspaceEvents.Set, "sadd"u8);
        }

        c.Reply.Integer(added);
    }

    private static void SRem(CommandContext c)
    {
        if (!TryWrite(c, c.Arg(1), out int index, out var set))
        {
            return;
        }

        long removed = 0;
        if (set is not null)
        {
            for (int i = 2; i < c.ArgCount; i++)
            {
                if (set.Remove(c.Arg(i)))
                {
                    removed++;
                    if (set.Count == 0)
                    {
                        c.Db.Table.RemoveAt(index);
                        break;
                    }
                }
            }

            if (removed > 0)
            {
                c.Modified(c.Arg(1), KeyspaceEvents.Set, "srem"u8);
                if (set.Count == 0)
                {
                    c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
                }
            }
        }

        c.Dirty(removed);
        c.Reply.Integer(removed);
    }

    private static void SIsMember(CommandContext c)
    {
        if (TryRead(c, c.Arg(1), out var set))
        {
            c.Reply.Integer(set is not null && set.Contains(c.Arg(2)) ? 1 : 0);
        }
    }

    // A missing key is an empty set: a zero for every member.
    private static void SMIsMember(CommandContext c)
    {
        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            c.Reply.Integer(set is not null && set.Contains(c.Arg(i)) ? 1 : 0);
        }
    }

    private static void SCard(CommandContext c)
    {
        if (TryRead(c, c.Arg(1), out var set))
        {
            c.Reply.Integer(set?.Count ?? 0);
        }
    }

    private static void WriteAll(RespWriter reply, SetValue set)
    {
        int limit = set.PositionLimit;
        for (int p = 0; p < limit; p++)
        {
            if (set.IsLive(p))
            {
                set.WriteMember(reply, p);
            }
        }
    }

    private static void SPop(CommandContext c)
    {
        if (c.ArgCount == 3)
        {
            SPopWithCount(c);
            return;
        }

        if (c.ArgCount > 3)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (!TryWrite(c, c.Arg(1), out int index, out var set))
        {
            return;
        }

        if (set is null)
        {
            c.Reply.NullBulk();
            return;
        }

        int position = set.RandomPosition(Random.Shared);
        set.WriteMember(c.Reply, position);
        if (StartSRem(c, 1))
        {
            set.WriteMember(c.Keyspace.Propagation.Replacement, position);
        }

        set.RemoveAt(position);
        c.Modified(c.Arg(1), KeyspaceEvents.Set, "spop"u8);
        if (set.Count == 0)
        {
            c.Db.Table.RemoveAt(index);
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
        }

        c.Dirty();
    }

    // Redis's spopWithCountCommand: the whole set when count covers it; otherwise pop random members
    // one by one, or, when few would remain, move the survivors into a new set and reply the rest.
    private static void SPopWithCount(CommandContext c)
    {
        if (!RespNumber.TryParseInt64(c.Arg(2), out long count) || count < 0)
        {
            c.Reply.Error(MustBePositive);
            return;
        }

        if (!TryWrite(c, c.Arg(1), out int index, out var set))
        {
            return;
        }

        if (set is null || count == 0)
        {
            c.Reply.SetHeader(0);
            return;
        }

        long size = set.Count;
        if (count >= size)
        {
            c.Reply.SetHeader(size);
            WriteAll(c.Reply, set);
            if (c.Keyspace.Propagation.Active)
            {
                // Redis propagates popping the whole set as DEL (or UNLINK under lazyfree-lazy-server-del).
                var w = c.Keyspace.Propagation.Replace(2);
                w.Bulk(c.Server.Config.LazyfreeLazyServerDel ? "UNLINK"u8 : "DEL"u8);
                w.Bulk(c.Arg(1));
            }

            c.Db.Table.RemoveAt(index);
            c.Dirty(size);
            c.Modified(c.Arg(1), KeyspaceEvents.Set, "spop"u8);
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
            return;
        }

        c.Dirty(count);
        c.Modified(c.Arg(1), KeyspaceEvents.Set, "spop"u8);
        c.Reply.SetHeader(count);
        long remaining = size - count;
        if (remaining * SpopMoveStrategyMul > count)
        {
            bool srem = StartSRem(c, count);
            for (long i = 0; i < count; i++)
            {
                int position = set.RandomPosition(Random.Shared);
                set.WriteMember(c.Reply, position);
                if (srem)
                {
                    set.WriteMember(c.Keyspace.Propagation.Replacement, position);
                }

                set.RemoveAt(position);
            }

            return;
        }

        int max = MaxIntsetEntries(c);
        SetValue? survivors = null;
        for (long i = 0; i < remaining; i++)
        {
            int position = set.RandomPosition(Random.Shared);
            bool isInteger = set.TryGetInteger(position, out _);
            survivors ??= isInteger ? new SetValue() : SetValue.CreateFor(set.BytesAt(position));
            survivors.AddMemberOf(set, position, max);
            set.RemoveAt(position);
        }

        WriteAll(c.Reply, set);
        if (StartSRem(c, set.Count))
        {
            WriteAll(c.Keyspace.Propagation.Replacement, set);
        }

        c.Db.Table.Replace(index, survivors!);
    }

    // Redis's spop propagates SREM with the members it popped (the pop is random, a replay must not
    // be): starts "SREM key" for count members, which the caller writes to the replacement.
    private static bool StartSRem(CommandContext c, long count)
    {
        var propagation = c.Keyspace.Propagation;
        if (!propagation.Active)
        {
            return false;
        }

        var w = propagation.Replace(2 + (int)count);
        w.Bulk("SREM"u8);
        w.Bulk(c.Arg(1));
        return true;
    }

    private static void SRandMember(CommandContext c)
    {
        if (c.ArgCount == 3)
        {
            SRandMemberWithCount(c);
            return;
        }

        if (c.ArgCount > 3)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        if (set is null)
        {
            c.Reply.NullBulk();
            return;
        }

        set.WriteMember(c.Reply, set.RandomPosition(Random.Shared));
    }

    // Redis's srandmemberWithCountCommand. A negative count may repeat members; a positive one
    // returns distinct members. Redis 7.0 replies an array here (not a RESP3 set), even when empty.
    private static void SRandMemberWithCount(CommandContext c)
    {
        if (!RespNumber.TryParseInt64(c.Arg(2), out long requested))
        {
            c.Reply.Error(Errors.NotInteger);
            return;
        }

        if (requested == long.MinValue)
        {
            c.Reply.Error(CountOutOfRange);
            return;
        }

        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        bool unique = requested >= 0;
        long count = Math.Abs(requested);
        if (set is null || count == 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }

        if (!unique || count == 1)
        {
            c.Reply.ArrayHeader(count);
            for (long i = 0; i < count; i++)
            {
                set.WriteMember(c.Reply, set.RandomPosition(Random.Shared));
            }

            return;
        }

        int size = set.Count;
        if (count >= size)
        {
            c.Reply.ArrayHeader(size);
            WriteAll(c.Reply, set);
            return;
        }

        c.Reply.ArrayHeader(count);
        if (count * SrandmemberSubStrategyMul > size)
        {
            WriteShuffledPrefix(c.Reply, set, (int)count);
        }
        else
        {
            WriteDistinctRandom(c.Reply, set, (int)count);
        }
    }

    // Many members wanted: a partial Fisher-Yates shuffle of all live positions.
    private static void WriteShuffledPrefix(RespWriter reply, SetValue set, int count)
    {
        int size = set.Count;
        int[] positions = ArrayPool<int>.Shared.Rent(size);
        try
        {
            int n = 0, limit = set.PositionLimit;
            for (int p = 0; p < limit; p++)
            {
                if (set.IsLive(p))
                {
                    positions[n++] = p;
                }
            }

            for (int i = 0; i < count; i++)
            {
                int j = Random.Shared.Next(i, n);
                (positions[i], positions[j]) = (positions[j], positions[i]);
                set.WriteMember(reply, positions[i]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(positions);
        }
    }

    // Few members wanted from a big set: draw random positions, skipping repeats (an open-addressing
    // set of positions; positions are stable while the set is only read).
    private static void WriteDistinctRandom(RespWriter reply, SetValue set, int count)
    {
        int capacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(count * 2));
        int[] seen = ArrayPool<int>.Shared.Rent(capacity);
        try
        {
            seen.AsSpan(0, capacity).Fill(-1);
            int mask = capacity - 1, added = 0;
            while (added < count)
            {
                int position = set.RandomPosition(Random.Shared);
                int slot = (int)((uint)(position * -1640531535) & mask);
                while (seen[slot] >= 0 && seen[slot] != position)
                {
                    slot = (slot + 1) & mask;
                }

                if (seen[slot] == position)
                {
                    continue;
                }

                seen[slot] = position;
                set.WriteMember(reply, position);
                added++;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(seen);
        }
    }

    // Redis's smoveCommand: a missing source is 0 before any type check of the destination; the
    // same key on both sides only reports membership.
    private static void SMove(CommandContext c)
    {
        var db = c.Db;
        var member = c.Arg(3);
        int sourceIndex = db.Find(c.Arg(1), c.Now);
        int destinationIndex = db.Find(c.Arg(2), c.Now);
        if (sourceIndex < 0)
        {
            c.Reply.Integer(0);
            return;
        }

        var source = db.Table.ValueAt(sourceIndex) as SetValue;
        var destination = destinationIndex < 0 ? null : db.Table.ValueAt(destinationIndex) as SetValue;
        if (source is null || (destinationIndex >= 0 && destination is null))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        if (ReferenceEquals(source, destination))
        {
            c.Reply.Integer(source.Contains(member) ? 1 : 0);
            return;
        }

        if (!source.Remove(member))
        {
            c.Reply.Integer(0);
            return;
        }

        // Redis's smoveCommand: "srem" (and "del") on the source, then "sadd" when the member was new there.
        c.Modified(c.Arg(1), KeyspaceEvents.Set, "srem"u8);
        if (source.Count == 0)
        {
            db.Table.RemoveAt(sourceIndex);
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
        }

        if (destination is null)
        {
            destination = SetValue.CreateFor(member);
            db.Add(c.Arg(2), destination);
        }

        bool added = destination.Add(member, MaxIntsetEntries(c));
        c.Dirty(added ? 2 : 1);
        if (added)
        {
            c.Modified(c.Arg(2), KeyspaceEvents.Set, "sadd"u8);
        }

        c.Reply.Integer(1);
    }

    // SMEMBERS is SINTER of one key in Redis 7.0 (same replies, same order).
    private static void SMembers(CommandContext c) => Intersect(c, 1, 1, -1, false, 0);

    private static void SInter(CommandContext c) => Intersect(c, 1, c.ArgCount - 1, -1, false, 0);

    private static void SInterStore(CommandContext c) => Intersect(c, 2, c.ArgCount - 2, 1, false, 0);

    // SINTERCARD numkeys key [key ...] [LIMIT limit]
    private static void SInterCard(CommandContext c)
    {
        if (!RespNumber.TryParseInt64(c.Arg(1), out long numKeys) || numKeys < 1)
        {
            c.Reply.Error(NumKeysNotPositive);
            return;
        }

        if (numKeys > c.ArgCount - 2)
        {
            c.Reply.Error(TooManyKeys);
            return;
        }

        long limit = 0;
        for (int i = 2 + (int)numKeys; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "limit"u8) && i + 1 < c.ArgCount)
            {
                if (!RespNumber.TryParseInt64(c.Arg(++i), out limit) || limit < 0)
                {
                    c.Reply.Error(LimitNegative);
                    return;
                }
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        Intersect(c, 2, (int)numKeys, -1, true, limit);
    }

    // Redis's sinterGenericCommand: every key is looked up and type-checked first (a missing key
    // makes the result empty, but a later WRONGTYPE still wins); then the members of the smallest set
    // (ties keep key order) that are in all the others, in that set's order.
    private static void Intersect(CommandContext c, int firstKey, int keyCount, int destinationArg, bool cardinalityOnly, long limit)
    {
        var sets = ArrayPool<SetValue?>.Shared.Rent(keyCount);
        long[] order = ArrayPool<long>.Shared.Rent(keyCount);
        int[] found = [];
        try
        {
            bool empty = false;
            for (int j = 0; j < keyCount; j++)
            {
                if (!TryRead(c, c.Arg(firstKey + j), out var set))
                {
                    return;
                }

                if (set is null)
                {
                    empty = true;
                }
                else
                {
                    sets[j] = set;
                    order[j] = ((long)set.Count << 32) | (uint)j;
                }
            }

            if (empty)
            {
                if (destinationArg > 0)
                {
                    if (c.Db.Delete(c.Arg(destinationArg), c.Now))
                    {
                        c.Dirty();
                        c.Modified(c.Arg(destinationArg), KeyspaceEvents.Generic, "del"u8);
                    }

                    c.Reply.Integer(0);
                }
                else if (cardinalityOnly)
                {
                    c.Reply.Integer(0);
                }
                else
                {
                    c.Reply.SetHeader(0);
                }

                return;
            }

            // Sorting (size, key position) pairs is qsort-by-size made stable, as glibc's merge sort is.
            Array.Sort(order, 0, keyCount);
            var smallest = sets[(int)order[0]]!;
            var result = destinationArg > 0 ? new SetValue() : null;
            int max = MaxIntsetEntries(c);
            if (!cardinalityOnly && result is null)
            {
                found = ArrayPool<int>.Shared.Rent(smallest.Count);
            }

            long cardinality = 0;
            int positions = smallest.PositionLimit;
            for (int p = 0; p < positions; p++)
            {
                if (!smallest.IsLive(p))
                {
                    continue;
                }

                int j = 1;
                for (; j < keyCount; j++)
                {
                    var other = sets[(int)order[j]]!;
                    if (!ReferenceEquals(other, smallest) && !other.ContainsMemberOf(smallest, p))
                    {
                        break;
                    }
                }

                if (j < keyCount)
                {
                    continue;
                }

                if (cardinalityOnly)
                {
                    cardinality++;
                    if (limit != 0 && cardinality >= limit)
                    {
                        break;
                    }
                }
                else if (result is null)
                {
                    found[cardinality++] = p;
                }
                else
                {
                    result.AddMemberOf(smallest, p, max);
                }
            }

            if (cardinalityOnly)
            {
                c.Reply.Integer(cardinality);
            }
            else if (result is not null)
            {
                Store(c, c.Arg(destinationArg), result, "sinterstore"u8);
            }
            else
            {
                c.Reply.SetHeader(cardinality);
                for (int i = 0; i < cardinality; i++)
                {
                    smallest.WriteMember(c.Reply, found[i]);
                }
            }
        }
        finally
        {
            ArrayPool<SetValue?>.Shared.Return(sets, clearArray: true);
            ArrayPool<long>.Shared.Return(order);
            if (found.Length > 0)
            {
                ArrayPool<int>.Shared.Return(found);
            }
        }
    }

    // The *STORE commands: a non-empty result replaces the destination (and its TTL), an empty one deletes it.
    private static void Store(CommandContext c, ReadOnlySpan<byte> destination, SetValue result, ReadOnlySpan<byte> eventName)
    {
        if (result.Count > 0)
        {
            c.Db.Set(destination, result, c.Now);
            c.Dirty();
            c.Modified(destination, KeyspaceEvents.Set, eventName);
            c.Reply.Integer(result.Count);
            return;
        }

        c.Reply.Integer(0);
        if (c.Db.Delete(destination, c.Now))
        {
            c.Dirty();
            c.Modified(destination, KeyspaceEvents.Generic, "del"u8);
        }
    }

    private static void SUnion(CommandContext c) => UnionOrDiff(c, 1, c.ArgCount - 1, -1, Algebra.Union);

    private static void SUnionStore(CommandContext c) => UnionOrDiff(c, 2, c.ArgCount - 2, 1, Algebra.Union);

    private static void SDiff(CommandContext c) => UnionOrDiff(c, 1, c.ArgCount - 1, -1, Algebra.Diff);

    private static void SDiffStore(CommandContext c) => UnionOrDiff(c, 2, c.ArgCount - 2, 1, Algebra.Diff);

    // Redis's sunionDiffGenericCommand: the result is built as a set (an intset until a member is not
    // an integer or it grows past set-max-intset-entries) and replied in that set's order. SDIFF picks
    // Redis's algorithm by the same cost estimate, because the two can end in different encodings.
    private static void UnionOrDiff(CommandContext c, int firstKey, int keyCount, int destinationArg, Algebra op)
    {
        var sets = ArrayPool<SetValue?>.Shared.Rent(keyCount);
        try
        {
            bool sameSet = false;
            for (int j = 0; j < keyCount; j++)
            {
                if (!TryRead(c, c.Arg(firstKey + j), out var set))
                {
                    return;
                }

                sets[j] = set;
                if (j > 0 && set is not null && ReferenceEquals(set, sets[0]))
                {
                    sameSet = true;
                }
            }

            var first = sets[0];
            bool firstAlgorithm = true;
            if (op == Algebra.Diff && first is not null && !sameSet)
            {
                long oneWork = 0, twoWork = 0;
                for (int j = 0; j < keyCount; j++)
                {
                    if (sets[j] is { } set)
                    {
                        oneWork += first.Count;
                        twoWork += set.Count;
                    }
                }

                firstAlgorithm = oneWork / 2 <= twoWork;
            }

            int max = MaxIntsetEntries(c);
            var result = new SetValue();
            if (op == Algebra.Union)
            {
                for (int j = 0; j < keyCount; j++)
                {
                    if (sets[j] is { } set)
                    {
                        int limit = set.PositionLimit;
                        for (int p = 0; p < limit; p++)
                        {
                            if (set.IsLive(p))
                            {
                                result.AddMemberOf(set, p, max);
                            }
                        }
                    }
                }
            }
            else if (first is not null && !sameSet && firstAlgorithm)
            {
                // Members of the first set that no other set has.
                int limit = first.PositionLimit;
                for (int p = 0; p < limit; p++)
                {
                    if (!first.IsLive(p))
                    {
                        continue;
                    }

                    int j = 1;
                    for (; j < keyCount; j++)
                    {
                        if (sets[j] is { } other && other.ContainsMemberOf(first, p))
                        {
                            break;
                        }
                    }

                    if (j == keyCount)
                    {
                        result.AddMemberOf(first, p, max);
                    }
                }
            }
            else if (first is not null && !sameSet)
            {
                // All of the first set, then remove every other set's members.
                for (int j = 0; j < keyCount; j++)
                {
                    if (sets[j] is not { } set)
                    {
                        continue;
                    }

                    int limit = set.PositionLimit;
                    for (int p = 0; p < limit; p++)
                    {
                        if (set.IsLive(p))
                        {
                            if (j == 0)
                            {
                                result.AddMemberOf(set, p, max);
                            }
                            else
                            {
                                result.RemoveMemberOf(set, p);
                            }
                        }
                    }

                    if (result.Count == 0)
                    {
                        break;
                    }
                }
            }

            if (destinationArg > 0)
            {
                Store(c, c.Arg(destinationArg), result, op == Algebra.Union ? "sunionstore"u8 : "sdiffstore"u8);
                return;
            }

            c.Reply.SetHeader(result.Count);
            WriteAll(c.Reply, result);
        }
        finally
        {
            ArrayPool<SetValue?>.Shared.Return(sets, clearArray: true);
        }
    }

    // SSCAN key cursor [MATCH pattern] [COUNT count], as Redis's sscanCommand + scanGenericCommand:
    // the cursor is checked before the key, the options only for an existing set. An intset (or a
    // small set in its compact array, whose positions shift on removal, as Redis 7.2's listpack set)
    // is returned whole with cursor 0; a table is walked by slot index, COUNT bounding the members
    // examined (before MATCH filters them), as SCAN does.
    private static void SScan(CommandContext c)
    {
        if (!KeyCommands.TryParseCursor(c.Arg(2), out ulong cursor))
        {
            c.Reply.Error(Errors.InvalidCursor);
            return;
        }

        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        if (set is null)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("0"u8);
            c.Reply.ArrayHeader(0);
            return;
        }

        if (!ScanOptions.TryParse(c, 3, out long count, out int patternArg))
        {
            return;
        }

        var pattern = patternArg > 0 ? c.Arg(patternArg) : default;
        bool usePattern = patternArg > 0 && !GlobMatcher.MatchesAll(pattern);
        int limit = set.PositionLimit;
        int start, end;
        if (set.IsSmall)
        {
            start = 0;
            end = limit;
        }
        else
        {
            start = cursor >= (ulong)limit ? limit : (int)cursor;
            end = start;
            long examined = 0, budget = Math.Min(count, limit) * 10;
            for (; end < limit && examined < count && budget > 0; end++, budget--)
            {
                if (set.IsLive(end))
                {
                    examined++;
                }
            }
        }

        int[] found = ArrayPool<int>.Shared.Rent(Math.Max(end - start, 1));
        try
        {
            int foundCount = 0;
            Span<byte> scratch = stackalloc byte[20];
            for (int p = start; p < end; p++)
            {
                if (set.IsLive(p) && (!usePattern || GlobMatcher.IsMatch(pattern, set.MemberAt(p, scratch))))
                {
                    found[foundCount++] = p;
                }
            }

            c.Reply.ArrayHeader(2);
            c.Reply.BulkInteger(set.IsSmall || end >= limit ? 0 : end);
            c.Reply.ArrayHeader(foundCount);
            for (int i = 0; i < foundCount; i++)
            {
                set.WriteMember(c.Reply, found[i]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(found);
        }
    }
}
