using System.Buffers;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;
using Kv.Server.Text;

namespace Kv.Server.Commands;

/// <summary>Sorted sets: scores, ranks, ranges by score, rank and lex, set algebra, pops.</summary>
internal static class SortedSetCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("zadd", -4, "write denyoom fast", 1, 1, 1, "@sortedset", ZAdd, "sorted-set", "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 condition:oneof@3.0.2?(nx:pure-token=NX xx:pure-token=XX) comparison:oneof@6.2.0?(gt:pure-token=GT lt:pure-token=LT) change:pure-token=CH@3.0.2? increment:pure-token=INCR@3.0.2? score_member:block*(score:double member:string)")
            .WithHistory(("2.4.0", "Accepts multiple elements."), ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."), ("6.2.0", "Added the `GT` and `LT` options."));
        table.Add("zincrby", 4, "write denyoom fast", 1, 1, 1, "@sortedset", ZIncrBy, "sorted-set", "Increment the score of a member in a sorted set", "1.2.0", "O(log(N)) where N is the number of elements in the sorted set.")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 increment:integer member:string");
        table.Add("zrem", -3, "write fast", 1, 1, 1, "@sortedset", ZRem, "sorted-set", "Remove one or more members from a sorted set", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string*")
            .WithHistory(("2.4.0", "Accepts multiple elements."));
        table.Add("zcard", 2, "readonly fast", 1, 1, 1, "@sortedset", ZCard, "sorted-set", "Get the number of members in a sorted set", "1.2.0", "O(1)")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("zscore", 3, "readonly fast", 1, 1, 1, "@sortedset", ZScore, "sorted-set", "Get the score associated with the given member in a sorted set", "1.2.0", "O(1)")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string");
        table.Add("zmscore", -3, "readonly fast", 1, 1, 1, "@sortedset", ZMScore, "sorted-set", "Get the score associated with the given members in a sorted set", "6.2.0", "O(N) where N is the number of members being requested.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string*");
        table.Add("zrank", 3, "readonly fast", 1, 1, 1, "@sortedset", ZRank, "sorted-set", "Determine the index of a member in a sorted set", "2.0.0", "O(log(N))")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string");
        table.Add("zrevrank", 3, "readonly fast", 1, 1, 1, "@sortedset", ZRevRank, "sorted-set", "Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0", "O(log(N))")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 member:string");
        table.Add("zcount", 4, "readonly fast", 1, 1, 1, "@sortedset", ZCount, "sorted-set", "Count the members in a sorted set with scores within the given values", "2.0.0", "O(log(N)) with N being the number of elements in the sorted set.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 min:double max:double");
        table.Add("zlexcount", 4, "readonly fast", 1, 1, 1, "@sortedset", ZLexCount, "sorted-set", "Count the number of members in a sorted set between a given lexicographical range", "2.8.9", "O(log(N)) with N being the number of elements in the sorted set.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 min:string max:string");
        table.Add("zrange", -4, "readonly", 1, 1, 1, "@sortedset", ZRange, "sorted-set", "Return a range of members in a sorted set", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:string stop:string sortby:oneof@6.2.0?(byscore:pure-token=BYSCORE bylex:pure-token=BYLEX) rev:pure-token=REV@6.2.0? offset_count:block=LIMIT@6.2.0?(offset:integer count:integer) withscores:pure-token=WITHSCORES?")
            .WithHistory(("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."));
        table.Add("zrangestore", -5, "write denyoom", 1, 2, 1, "@sortedset", ZRangeStore, "sorted-set", "Store a range of members from sorted set into another key", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")
            .WithKeys("OW update | index 1 | range 0 1 0", "RO access | index 2 | range 0 1 0")
            .WithArgs("dst:key#0 src:key#1 min:string max:string sortby:oneof?(byscore:pure-token=BYSCORE bylex:pure-token=BYLEX) rev:pure-token=REV? offset_count:block=LIMIT?(offset:integer count:integer)");
        table.Add("zrevrange", -4, "readonly", 1, 1, 1, "@sortedset", ZRevRange, "sorted-set", "Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:integer stop:integer withscores:pure-token=WITHSCORES?")
            .Deprecated("6.2.0", "`ZRANGE` with the `REV` argument");
        table.Add("zrangebyscore", -4, "readonly", 1, 1, 1, "@sortedset", ZRangeByScore, "sorted-set", "Return a range of members in a sorted set, by score", "1.0.5", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 min:double max:double withscores:pure-token=WITHSCORES@2.0.0? offset_count:block=LIMIT?(offset:integer count:integer)")
            .WithHistory(("2.0.0", "Added the `WITHSCORES` modifier."))
            .Deprecated("6.2.0", "`ZRANGE` with the `BYSCORE` argument");
        table.Add("zrevrangebyscore", -4, "readonly", 1, 1, 1, "@sortedset", ZRevRangeByScore, "sorted-set", "Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 max:double min:double withscores:pure-token=WITHSCORES? offset_count:block=LIMIT?(offset:integer count:integer)")
            .WithHistory(("2.1.6", "`min` and `max` can be exclusive."))
            .Deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments");
        table.Add("zrangebylex", -4, "readonly", 1, 1, 1, "@sortedset", ZRangeByLex, "sorted-set", "Return a range of members in a sorted set, by lexicographical range", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 min:string max:string offset_count:block=LIMIT?(offset:integer count:integer)")
            .Deprecated("6.2.0", "`ZRANGE` with the `BYLEX` argument");
        table.Add("zrevrangebylex", -4, "readonly", 1, 1, 1, "@sortedset", ZRevRangeByLex, "sorted-set", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 max:string min:string offset_count:block=LIMIT?(offset:integer count:integer)")
            .Deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments");
        table.Add("zremrangebyrank", 4, "write", 1, 1, 1, "@sortedset", ZRemRangeByRank, "sorted-set", "Remove all members in a sorted set within the given indexes", "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:integer stop:integer");
        table.Add("zremrangebyscore", 4, "write", 1, 1, 1, "@sortedset", ZRemRangeByScore, "sorted-set", "Remove all members in a sorted set within the given scores", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 min:double max:double");
        table.Add("zremrangebylex", 4, "write", 1, 1, 1, "@sortedset", ZRemRangeByLex, "sorted-set", "Remove all members in a sorted set between the given lexicographical range", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 min:string max:string");
        table.Add("zpopmin", -2, "write fast", 1, 1, 1, "@sortedset", ZPopMin, "sorted-set", "Remove and return members with the lowest scores in a sorted set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
            .WithKeys("RW access delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 count:integer?");
        table.Add("zpopmax", -2, "write fast", 1, 1, 1, "@sortedset", ZPopMax, "sorted-set", "Remove and return members with the highest scores in a sorted set", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
            .WithKeys("RW access delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 count:integer?");
        table.Add("zmpop", -4, "write movablekeys", 0, 0, 0, "@sortedset", ZMPop, "sorted-set", "Remove and return members with scores in a sorted set", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
            .WithKeys("RW access delete | index 1 | keynum 0 1 1")
            .WithArgs("numkeys:integer key:key#0* where:oneof(min:pure-token=MIN max:pure-token=MAX) count:integer=COUNT?");
        table.Add("bzpopmin", -3, "write noscript blocking fast", 1, -2, 1, "@sortedset", BZPopMin, "sorted-set", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.")
            .WithKeys("RW access delete | index 1 | range -2 1 0")
            .WithArgs("key:key#0* timeout:double")
            .WithHistory(("6.0.0", "`timeout` is interpreted as a double instead of an integer."));
        table.Add("bzpopmax", -3, "write noscript blocking fast", 1, -2, 1, "@sortedset", BZPopMax, "sorted-set", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "5.0.0", "O(log(N)) with N being the number of elements in the sorted set.")
            .WithKeys("RW access delete | index 1 | range -2 1 0")
            .WithArgs("key:key#0* timeout:double")
            .WithHistory(("6.0.0", "`timeout` is interpreted as a double instead of an integer."));
        table.Add("bzmpop", -5, "write blocking movablekeys", 0, 0, 0, "@sortedset", BZMPop, "sorted-set", "Remove and return members with scores in a sorted set or block until one is available", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
            .WithKeys("RW access delete | index 2 | keynum 0 1 1")
            .WithArgs("timeout:double numkeys:integer key:key#0* where:oneof(min:pure-token=MIN max:pure-token=MAX) count:integer=COUNT?");
        table.Add("zrandmember", -2, "readonly", 1, 1, 1, "@sortedset", ZRandMember, "sorted-set", "Get one or multiple random elements from a sorted set", "6.2.0", "O(N) where N is the number of elements returned")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0 options:block?(count:integer withscores:pure-token=WITHSCORES?)");
        table.Add("zunion", -3, "readonly movablekeys", 0, 0, 0, "@sortedset", ZUnion, "sorted-set", "Add multiple sorted sets", "6.2.0", "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
            .WithKeys("RO access | index 1 | keynum 0 1 1")
            .WithArgs("numkeys:integer key:key#0* weight:integer=WEIGHTS?* aggregate:oneof=AGGREGATE?(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX) withscores:pure-token=WITHSCORES?");
        table.Add("zinter", -3, "readonly movablekeys", 0, 0, 0, "@sortedset", ZInter, "sorted-set", "Intersect multiple sorted sets", "6.2.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
            .WithKeys("RO access | index 1 | keynum 0 1 1")
            .WithArgs("numkeys:integer key:key#0* weight:integer=WEIGHTS?* aggregate:oneof=AGGREGATE?(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX) withscores:pure-token=WITHSCORES?");
        table.Add("zdiff", -3, "readonly movablekeys", 0, 0, 0, "@sortedset", ZDiff, "sorted-set", "Subtract multiple sorted sets", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
            .WithKeys("RO access | index 1 | keynum 0 1 1")
            .WithArgs("numkeys:integer key:key#0* withscores:pure-token=WITHSCORES?");
        table.Add("zunionstore", -4, "write denyoom movablekeys", 1, 1, 1, "@sortedset", ZUnionStore, "sorted-set", "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
            .WithKeys("OW update | index 1 | range 0 1 0", "RO access | index 2 | keynum 0 1 1")
            .WithArgs("destination:key#0 numkeys:integer key:key#1* weight:integer=WEIGHTS?* aggregate:oneof=AGGREGATE?(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX)");
        table.Add("zinterstore", -4, "write denyoom movablekeys", 1, 1, 1, "@sortedset", ZInterStore, "sorted-set", "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
            .WithKeys("OW update | index 1 | range 0 1 0", "RO access | index 2 | keynum 0 1 1")
            .WithArgs("destination:key#0 numkeys:integer key:key#1* weight:integer=WEIGHTS?* aggregate:oneof=AGGREGATE?(sum:pure-token=SUM min:pure-token=MIN max:pure-token=MAX)");
        table.Add("zdiffstore", -4, "write denyoom movablekeys", 1, 1, 1, "@sortedset", ZDiffStore, "sorted-set", "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0", "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
            .WithKeys("OW update | index 1 | range 0 1 0", "RO access | index 2 | keynum 0 1 1")
            .WithArgs("destination:key#0 numkeys:integer key:key#1*");
        table.Add("zintercard", -3, "readonly movablekeys", 0, 0, 0, "@sortedset", ZInterCard, "sorted-set", "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.")
            .WithKeys("RO access | index 1 | keynum 0 1 1")
            .WithArgs("numkeys:integer key:key#0* limit:integer=LIMIT?");
        table.Add("zscan", -3, "readonly", 1, 1, 1, "@sortedset", ZScan, "sorted-set", "Incrementally iterate sorted sets elements and associated scores", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0 cursor:integer pattern:pattern=MATCH? count:integer=COUNT?");
    }

    private static ReadOnlySpan<byte> NotFloatRange => "ERR min or max is not a float"u8;

    private static ReadOnlySpan<byte> NotLexRange => "ERR min or max not valid string range item"u8;

    private static ReadOnlySpan<byte> XxAndNx => "ERR XX and NX options at the same time are not compatible"u8;

    private static ReadOnlySpan<byte> GtLtNx => "ERR GT, LT, and/or NX options at the same time are not compatible"u8;

    private static ReadOnlySpan<byte> IncrSinglePair => "ERR INCR option supports a single increment-element pair"u8;

    private static ReadOnlySpan<byte> ScoreNaN => "ERR resulting score is not a number (NaN)"u8;

    private static ReadOnlySpan<byte> LimitOnlyByScoreOrLex => "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"u8;

    private static ReadOnlySpan<byte> WithScoresNotByLex => "ERR syntax error, WITHSCORES not supported in combination with BYLEX"u8;

    private static ReadOnlySpan<byte> MustBePositive => "ERR value is out of range, must be positive"u8;

    private static ReadOnlySpan<byte> NumKeysPositive => "ERR numkeys should be greater than 0"u8;

    private static ReadOnlySpan<byte> CountPositive => "ERR count should be greater than 0"u8;

    private static ReadOnlySpan<byte> WeightNotFloat => "ERR weight value is not a float"u8;

    private static ReadOnlySpan<byte> LimitNegative => "ERR LIMIT can't be negative"u8;

    private static ReadOnlySpan<byte> ValueOutOfRange => "ERR value is out of range"u8;

    private static ReadOnlySpan<byte> RandCountRange => "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8;

    /// <summary>Outcome of <see cref="TryPop"/>.</summary>
    internal enum PopResult
    {
        /// <summary>Elements were popped and replied.</summary>
        Popped,

        /// <summary>No key held a sorted set; nothing was replied (a blocking pop waits, the others reply empty).</summary>
        Empty,

        /// <summary>A key held another type; WRONGTYPE was replied.</summary>
        WrongType,
    }

    private enum RangeKind
    {
        Auto,
        Rank,
        Score,
        Lex,
    }

    private enum SetOp
    {
        Union,
        Inter,
        Diff,
    }

    private enum Aggregate
    {
        Sum,
        Min,
        Max,
    }

    // Redis's lookupKeyRead + checkType: false (and WRONGTYPE replied) for another type; set is null for a missing key.
    private static bool TryRead(CommandContext c, ReadOnlySpan<byte> key, out SortedSet? set)
    {
        var value = StringCommands.Read(c, key);
        if (value is null or SortedSet)
        {
            set = (SortedSet?)value;
            return true;
        }

        c.Reply.Error(Errors.WrongType);
        set = null;
        return false;
    }

    // Redis's lookupKeyWrite + checkType.
    private static bool TryWrite(CommandContext c, ReadOnlySpan<byte> key, out SortedSet? set, out int index)
    {
        index = c.Db.Find(key, c.Now);
        if (index < 0)
        {
            set = null;
            return true;
        }

        if (c.Db.Table.ValueAt(index) is SortedSet s)
        {
            set = s;
            return true;
        }

        c.Reply.Error(Errors.WrongType);
        set = null;
        return false;
    }

    // Empty collections do not exist: the key goes with its last member.
    private static void DeleteIfEmpty(CommandContext c, SortedSet set, int index, ReadOnlySpan<byte> key)
    {
        if (set.Count == 0)
        {
            c.Db.Table.RemoveAt(index);
            c.Modified(key, KeyspaceEvents.Generic, "del"u8);
        }
    }

    /// <summary>Redis's zsetAdd listpack limits: a set turns into a skiplist once it would pass them, and stays one.</summary>
    private static void CheckEncodingBeforeInsert(CommandContext c, SortedSet set, int memberLength)
    {
        var config = c.Server.Config;
        if (set.IsListpack && (set.Count + 1 > config.ZsetMaxListpackEntries || memberLength > config.ZsetMaxListpackValue))
        {
            set.ConvertToSkiplist();
        }
    }

    /// <summary>What a store command's result is encoded as (zsetConvertToListpackIfNeeded): by its final size.</summary>
    private static bool FitsListpack(CommandContext c, long count, int maxLength)
        => count <= c.Server.Config.ZsetMaxListpackEntries && maxLength <= c.Server.Config.ZsetMaxListpackValue;

    private static void ZAdd(CommandContext c) => AddGeneric(c, incr: false);

    private static void ZIncrBy(CommandContext c) => AddGeneric(c, incr: true);

    // Redis's zaddGenericCommand (ZINCRBY is ZADD with INCR, options loop included).
    private static void AddGeneric(CommandContext c, bool incr)
    {
        bool nx = false, xx = false, gt = false, lt = false, ch = false;
        int scoreIndex = 2;
        for (; scoreIndex < c.ArgCount; scoreIndex++)
        {
            if (c.ArgIs(scoreIndex, "nx"u8)) { nx = true; }
            else if (c.ArgIs(scoreIndex, "xx"u8)) { xx = true; }
            else if (c.ArgIs(scoreIndex, "ch"u8)) { ch = true; }
            else if (c.ArgIs(scoreIndex, "incr"u8)) { incr = true; }
            else if (c.ArgIs(scoreIndex, "gt"u8)) { gt = true; }
            else if (c.ArgIs(scoreIndex, "lt"u8)) { lt = true; }
            else { break; }
        }

        int elements = c.ArgCount - scoreIndex;
        if (elements % 2 != 0 || elements == 0)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        elements /= 2;
        if (nx && xx)
        {
            c.Reply.Error(XxAndNx);
            return;
        }

        if ((gt && nx) || (lt && nx) || (gt && lt))
        {
            c.Reply.Error(GtLtNx);
            return;
        }

        if (incr && elements > 1)
        {
            c.Reply.Error(IncrSinglePair);
            return;
        }

        // All scores are parsed before anything changes.
        for (int j = 0; j < elements; j++)
        {
            if (!TryParseScore(c.Arg(scoreIndex + (j * 2)), out _))
            {
                c.Reply.Error(Errors.NotFloat);
                return;
            }
        }

        var key = c.Arg(1);
        if (!TryWrite(c, key, out var set, out _))
        {
            return;
        }

        long added = 0, updated = 0, processed = 0;
        double newScore = 0;
        if (set is null)
        {
            if (xx)
            {
                ReplyAdd(c, incr, ch, processed, added, updated, newScore);
                return;
            }

            // Redis 7.0 picks the new key's encoding from the first member's length.
            var config = c.Server.Config;
            set = SortedSet.Create(config.ZsetMaxListpackEntries != 0 && c.Arg(scoreIndex + 1).Length <= config.ZsetMaxListpackValue);
            if (set.IsListpack && elements <= config.ZsetMaxListpackEntries)
            {
                long bytes = 0;
                for (int j = 0; j < elements; j++)
                {
                    TryParseScore(c.Arg(scoreIndex + (j * 2)), out double score);
                    bytes += SortedSet.EntryBytes(ListpackScore(set, score), c.Arg(scoreIndex + (j * 2) + 1).Length);
                }

                set.Reserve(elements, bytes);
            }

            c.Db.Add(key, set);
        }

        for (int j = 0; j < elements; j++)
        {
            TryParseScore(c.Arg(scoreIndex + (j * 2)), out double score);
            double stored;
            var member = c.Arg(scoreIndex + (j * 2) + 1);
            int node = set.Find(member);
            if (node != 0)
            {
                if (nx)
                {
                    continue;
                }

                double current = set.ScoreAt(node);
                if (incr)
                {
                    score += current;
                    if (double.IsNaN(score))
                    {
                        // Earlier elements stay added, as in Redis.
                        c.Dirty(added + updated);
                        Added(c, key, incr, added + updated);
                        c.Reply.Error(ScoreNaN);
                        return;
                    }
                }

                if ((lt && score >= current) || (gt && score <= current))
                {
                    continue;
                }

                newScore = score;
                processed++;
                stored = ListpackScore(set, score);
                if (stored != current)
                {
                    set.UpdateScore(node, stored);
                    updated++;
                }
            }
            else if (!xx)
            {
                CheckEncodingBeforeInsert(c, set, member.Length);
                set.Insert(member, ListpackScore(set, score));
                newScore = score;
                added++;
                processed++;
            }
        }

        c.Dirty(added + updated);
        Added(c, key, incr, added + updated);
        ReplyAdd(c, incr, ch, processed, added, updated, newScore);
    }

    private static void Added(CommandContext c, ReadOnlySpan<byte> key, bool incr, long changed)
    {
        if (changed > 0)
        {
            c.Modified(key, KeyspaceEvents.SortedSet, incr ? "zincr"u8 : "zadd"u8);
        }
    }

    // A listpack keeps scores as text and reads "-0" back as the integer 0: the sign of a zero is lost there.
    private static double ListpackScore(SortedSet set, double score) => set.IsListpack && score == 0 ? 0.0 : score;

    private static void ReplyAdd(CommandContext c, bool incr, bool ch, long processed, long added, long updated, double newScore)
    {
        if (incr)
        {
            if (processed > 0)
            {
                c.Reply.Double(newScore);
            }
            else
            {
                c.Reply.NullBulk();
            }
        }
        else
        {
            c.Reply.Integer(ch ? added + updated : added);
        }
    }

    private static void ZRem(CommandContext c)
    {
        if (!TryWrite(c, c.Arg(1), out var set, out int index))
        {
            return;
        }

        if (set is null)
        {
            c.Reply.Integer(0);
            return;
        }

        long deleted = 0;
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (set.Remove(c.Arg(i)))
            {
                deleted++;
                if (set.Count == 0)
                {
                    break;
                }
            }
        }

        if (deleted > 0)
        {
            c.Modified(c.Arg(1), KeyspaceEvents.SortedSet, "zrem"u8);
        }

        DeleteIfEmpty(c, set, index, c.Arg(1));
        c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    private static void ZCard(CommandContext c)
    {
        if (TryRead(c, c.Arg(1), out var set))
        {
            c.Reply.Integer(set?.Count ?? 0);
        }
    }

    private static void ZScore(CommandContext c)
    {
        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        if (set is not null && set.TryGetScore(c.Arg(2), out double score))
        {
            c.Reply.Double(score);
        }
        else
        {
            c.Reply.NullBulk();
        }
    }

    private static void ZMScore(CommandContext c)
    {
        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            if (set is not null && set.TryGetScore(c.Arg(i), out double score))
            {
                c.Reply.Double(score);
            }
            else
            {
                c.Reply.NullBulk();
            }
        }
    }

    private static void ZRank(CommandContext c) => RankGeneric(c, reverse: false);

    private static void ZRevRank(CommandContext c) => RankGeneric(c, reverse: true);

    // Redis's zrankGenericCommand; WITHSCORE is Redis 7.2's (a [rank, score] pair), kept for when the row's arity allows it.
    private static void RankGeneric(CommandContext c, bool reverse)
    {
        bool withScore = false;
        if (c.ArgCount == 4)
        {
            if (!c.ArgIs(3, "withscore"u8))
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }

            withScore = true;
        }
        else if (c.ArgCount > 4)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        int node = set?.Find(c.Arg(2)) ?? 0;
        if (node == 0)
        {
            if (withScore)
            {
                c.Reply.NullArray();
            }
            else
            {
                c.Reply.NullBulk();
            }

            return;
        }

        long rank = set!.RankOf(node);
        if (reverse)
        {
            rank = set.Count - 1 - rank;
        }

        if (withScore)
        {
            c.Reply.ArrayHeader(2);
            c.Reply.Integer(rank);
            c.Reply.Double(set.ScoreAt(node));
        }
        else
        {
            c.Reply.Integer(rank);
        }
    }

    private static void ZCount(CommandContext c)
    {
        if (!TryParseScoreRange(c.Arg(2), c.Arg(3), out var range))
        {
            c.Reply.Error(NotFloatRange);
            return;
        }

        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        long count = 0;
        if (set is not null)
        {
            int first = set.FirstInRange(range);
            if (first != 0)
            {
                count = set.RankOf(set.LastInRange(range)) - set.RankOf(first) + 1;
            }
        }

        c.Reply.Integer(count);
    }

    private static void ZLexCount(CommandContext c)
    {
        if (!TryParseLexRange(c.Arg(2), c.Arg(3), out var range))
        {
            c.Reply.Error(NotLexRange);
            return;
        }

        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        long count = 0;
        if (set is not null)
        {
            int first = set.FirstInLexRange(range);
            if (first != 0)
            {
                // A listpack counts by walking while in range; a skiplist by the ranks of both ends.
                count = set.IsListpack
                    ? LexWalk(set, first, range, reverse: false, 0, -1).Count
                    : set.RankOf(set.LastInLexRange(range)) - set.RankOf(first) + 1;
            }
        }

        c.Reply.Integer(count);
    }

    // zslParseRange: '(' makes a bound exclusive; the number is read by strtod (leading spaces allowed,
    // an empty string reads as 0), NaN refused.
    internal static bool TryParseScoreRange(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out ScoreRange range)
    {
        range = default;
        if (!TryParseScoreBound(min, out double minValue, out bool minExclusive) || !TryParseScoreBound(max, out double maxValue, out bool maxExclusive))
        {
            return false;
        }

        range = new ScoreRange(minValue, minExclusive, maxValue, maxExclusive);
        return true;
    }

    private static bool TryParseScoreBound(ReadOnlySpan<byte> text, out double value, out bool exclusive)
    {
        exclusive = false;
        if (!text.IsEmpty && text[0] == (byte)'(')
        {
            exclusive = true;
            text = text[1..];
        }

        if (text.IsEmpty)
        {
            value = 0;
            return true;
        }

        int start = 0;
        while (start < text.Length && text[start] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r')
        {
            start++;
        }

        return TryParseScore(text[start..], out value, rangeChecked: false);
    }

    /// <summary>
    /// Redis's getDoubleFromObject (strtod): decimal or hexadecimal (<c>0x10</c>), <c>inf</c> spelled out, NaN refused;
    /// with <paramref name="rangeChecked"/> a result that overflows to infinity or underflows to zero is refused
    /// (ERANGE), as for scores and weights; zslParseRange does not check that.
    /// </summary>
    internal static bool TryParseScore(ReadOnlySpan<byte> text, out double value, bool rangeChecked = true)
    {
        if (TryParseHex(text, out value))
        {
            return true;
        }

        if (!RespNumber.TryParseDouble(text, out value))
        {
            return false;
        }

        if (!rangeChecked)
        {
            return true;
        }

        if (double.IsInfinity(value))
        {
            // Only a spelled-out inf/infinity may be infinite.
            foreach (byte b in text)
            {
                if (b is (byte)'i' or (byte)'I')
                {
                    return true;
                }
            }

            return false;
        }

        if (value == 0)
        {
            foreach (byte b in text)
            {
                if (b is (byte)'e' or (byte)'E')
                {
                    break;
                }

                if (b is >= (byte)'1' and <= (byte)'9')
                {
                    return false;
                }
            }
        }

        return true;
    }

    // strtod's hexadecimal integers (a sign, 0x, hex digits); hex fractions and p exponents are not accepted.
    private static bool TryParseHex(ReadOnlySpan<byte> text, out double value)
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

        foreach (byte b in text[2..])
        {
            int digit = b is >= (byte)'0' and <= (byte)'9' ? b - '0' : (b | 0x20) is >= (byte)'a' and <= (byte)'f' ? (b | 0x20) - 'a' + 10 : -1;
            if (digit < 0)
            {
                return false;
            }

            value = (value * 16) + digit;
        }

        if (negative)
        {
            value = -value;
        }

        return true;
    }

    // zslParseLexRange: '-' and '+' alone, or '(' / '[' followed by the string.
    internal static bool TryParseLexRange(ReadOnlySpan<byte> min, ReadOnlySpan<byte> max, out LexRange range)
    {
        range = default;
        if (!TryParseLexBound(min, out int minKind, out var minValue, out bool minExclusive) || !TryParseLexBound(max, out int maxKind, out var maxValue, out bool maxExclusive))
        {
            return false;
        }

        range = new LexRange(minKind, minValue, minExclusive, maxKind, maxValue, maxExclusive);
        return true;
    }

    private static bool TryParseLexBound(ReadOnlySpan<byte> text, out int kind, out ReadOnlySpan<byte> value, out bool exclusive)
    {
        kind = 0;
        value = default;
        exclusive = false;
        if (text.IsEmpty)
        {
            return false;
        }

        switch (text[0])
        {
            case (byte)'+':
                kind = 1;
                exclusive = true;
                return text.Length == 1;
            case (byte)'-':
                kind = -1;
                exclusive = true;
                return text.Length == 1;
            case (byte)'(':
                exclusive = true;
                value = text[1..];
                return true;
            case (byte)'[':
                value = text[1..];
                return true;
            default:
                return false;
        }
    }

    private static void ZRange(CommandContext c) => RangeGeneric(c, 1, store: false, RangeKind.Auto, reverse: null);

    private static void ZRangeStore(CommandContext c) => RangeGeneric(c, 2, store: true, RangeKind.Auto, reverse: null);

    private static void ZRevRange(CommandContext c) => RangeGeneric(c, 1, store: false, RangeKind.Rank, reverse: true);

    private static void ZRangeByScore(CommandContext c) => RangeGeneric(c, 1, store: false, RangeKind.Score, reverse: false);

    private static void ZRevRangeByScore(CommandContext c) => RangeGeneric(c, 1, store: false, RangeKind.Score, reverse: true);

    private static void ZRangeByLex(CommandContext c) => RangeGeneric(c, 1, store: false, RangeKind.Lex, reverse: false);

    private static void ZRevRangeByLex(CommandContext c) => RangeGeneric(c, 1, store: false, RangeKind.Lex, reverse: true);

    // Redis's zrangeGenericCommand: options, their conflicts, then the range parse, then the key.
    private static void RangeGeneric(CommandContext c, int keyArg, bool store, RangeKind kind, bool? reverse)
    {
        bool withScores = false;
        long offset = 0, limit = -1;
        for (int j = keyArg + 3; j < c.ArgCount; j++)
        {
            int left = c.ArgCount - j - 1;
            if (!store && c.ArgIs(j, "withscores"u8))
            {
                withScores = true;
            }
            else if (c.ArgIs(j, "limit"u8) && left >= 2)
            {
                if (!c.TryArgLong(j + 1, out offset) || !c.TryArgLong(j + 2, out limit))
                {
                    return;
                }

                j += 2;
            }
            else if (reverse is null && c.ArgIs(j, "rev"u8))
            {
                reverse = true;
            }
            else if (kind == RangeKind.Auto && c.ArgIs(j, "bylex"u8))
            {
                kind = RangeKind.Lex;
            }
            else if (kind == RangeKind.Auto && c.ArgIs(j, "byscore"u8))
            {
                kind = RangeKind.Score;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        bool rev = reverse ?? false;
        if (kind == RangeKind.Auto)
        {
            kind = RangeKind.Rank;
        }

        if (limit != -1 && kind == RangeKind.Rank)
        {
            c.Reply.Error(LimitOnlyByScoreOrLex);
            return;
        }

        if (withScores && kind == RangeKind.Lex)
        {
            c.Reply.Error(WithScoresNotByLex);
            return;
        }

        int minArg = keyArg + 1, maxArg = keyArg + 2;
        if (rev && kind != RangeKind.Rank)
        {
            // The range is given as max, min.
            (minArg, maxArg) = (maxArg, minArg);
        }

        long start = 0, end = 0;
        ScoreRange scores = default;
        LexRange lex = default;
        switch (kind)
        {
            case RangeKind.Rank:
                if (!c.TryArgLong(minArg, out start) || !c.TryArgLong(maxArg, out end))
                {
                    return;
                }

                break;
            case RangeKind.Score:
                if (!TryParseScoreRange(c.Arg(minArg), c.Arg(maxArg), out scores))
                {
                    c.Reply.Error(NotFloatRange);
                    return;
                }

                break;
            default:
                if (!TryParseLexRange(c.Arg(minArg), c.Arg(maxArg), out lex))
                {
                    c.Reply.Error(NotLexRange);
                    return;
                }

                break;
        }

        if (!TryRead(c, c.Arg(keyArg), out var set))
        {
            return;
        }

        int first = 0;
        long count = 0;
        if (set is not null)
        {
            switch (kind)
            {
                case RangeKind.Rank:
                    (first, count) = RankRange(set, start, end, rev);
                    break;
                case RangeKind.Score:
                {
                    int a = rev ? set.LastInRange(scores) : set.FirstInRange(scores);
                    int b = a == 0 ? 0 : rev ? set.FirstInRange(scores) : set.LastInRange(scores);
                    (first, count) = Limit(set, a, b, rev, offset, limit);
                    break;
                }

                default:
                {
                    int a = rev ? set.LastInLexRange(lex) : set.FirstInLexRange(lex);
                    (first, count) = LexWalk(set, a, lex, rev, offset, limit);
                    break;
                }
            }
        }

        if (store)
        {
            var result = Copy(c, set, first, count, rev);
            StoreResult(c, c.Arg(1), result, "zrangestore"u8);
            return;
        }

        WriteElements(c, set, first, count, rev, withScores);
    }

    // genericZrangebyrankCommand's index rules.
    private static (int First, long Count) RankRange(SortedSet set, long start, long end, bool reverse)
    {
        long length = set.Count;
        if (!IndexRange.TryNormalize(ref start, ref end, length))
        {
            return (0, 0);
        }

        return (set.AtRank(reverse ? length - 1 - start : start), end - start + 1);
    }

    // LIMIT offset count over the nodes a..b (in walk order): a negative offset skips everything and a
    // negative count takes everything, as Redis's `while (ln && offset--)` / `limit--` loops do.
    private static (int First, long Count) Limit(SortedSet set, int a, int b, bool reverse, long offset, long limit)
    {
        if (a == 0 || offset < 0)
        {
            return (0, 0);
        }

        long rankA = set.RankOf(a);
        long available = Math.Abs(set.RankOf(b) - rankA) + 1;
        if (offset >= available)
        {
            return (0, 0);
        }

        long count = available - offset;
        if (limit >= 0 && limit < count)
        {
            count = limit;
        }

        if (count == 0)
        {
            return (0, 0);
        }

        return (offset == 0 ? a : set.AtRank(reverse ? rankA - offset : rankA + offset), count);
    }

    // Redis walks a lex range element by element while the next one is still inside (members need not be
    // sorted when scores differ), skipping offset first; this counts that walk so the reply length is known.
    private static (int First, long Count) LexWalk(SortedSet set, int start, in LexRange range, bool reverse, long offset, long limit)
    {
        if (start == 0 || offset < 0)
        {
            return (0, 0);
        }

        int node = start;
        for (; node != 0 && offset > 0; offset--)
        {
            node = reverse ? set.Previous(node) : set.Next(node);
        }

        long count = 0;
        for (int x = node; x != 0 && count != limit; x = reverse ? set.Previous(x) : set.Next(x))
        {
            if (reverse ? !range.GteMin(set.MemberAt(x)) : !range.LteMax(set.MemberAt(x)))
            {
                break;
            }

            count++;
        }

        return count == 0 ? (0, 0) : (node, count);
    }

    // The zrange result handler's shapes: RESP2 a flat member, score list; RESP3 [member, score] pairs.
    private static void WriteElements(CommandContext c, SortedSet? set, int first, long count, bool reverse, bool withScores)
    {
        var reply = c.Reply;
        bool nested = withScores && reply.IsResp3;
        reply.ArrayHeader(withScores && !nested ? count * 2 : count);
        for (int node = first; count > 0; count--)
        {
            if (nested)
            {
                reply.ArrayHeader(2);
            }

            reply.Bulk(set!.MemberAt(node));
            if (withScores)
            {
                reply.Double(set.ScoreAt(node));
            }

            node = reverse ? set.Previous(node) : set.Next(node);
        }
    }

    // ZRANGESTORE's result, as Redis's zrangeResultBeginStore builds it: a skiplist when the count passes the entry
    // limit, else a listpack that converts (zsetAdd) on a member too long, so only scores added before that lose a
    // zero's sign.
    private static SortedSet? Copy(CommandContext c, SortedSet? source, int first, long count, bool reverse)
    {
        if (count == 0)
        {
            return null;
        }

        bool listpack = count <= c.Server.Config.ZsetMaxListpackEntries;
        var result = SortedSet.Create(listpack, listpack ? 0 : (int)Math.Min(count, 1 << 20));
        for (int node = first; count > 0; count--)
        {
            var member = source!.MemberAt(node);
            CheckEncodingBeforeInsert(c, result, member.Length);
            result.Insert(member, ListpackScore(result, source.ScoreAt(node)));
            node = reverse ? source.Previous(node) : source.Next(node);
        }

        return result;
    }

    // A store command's destination: replaced by a non-empty result (TTL cleared, as setKey), deleted by an empty one.
    private static void StoreResult(CommandContext c, ReadOnlySpan<byte> destination, SortedSet? result, ReadOnlySpan<byte> eventName)
    {
        if (result is not null && result.Count > 0)
        {
            c.Db.Set(destination, result, c.Now);
            c.Dirty();
            c.Modified(destination, KeyspaceEvents.SortedSet, eventName);
            c.Reply.Integer(result.Count);
        }
        else
        {
            if (c.Db.Delete(destination, c.Now))
            {
                c.Dirty();
                c.Modified(destination, KeyspaceEvents.Generic, "del"u8);
            }

            c.Reply.Integer(0);
        }
    }

    private static void ZRemRangeByRank(CommandContext c) => RemoveRangeGeneric(c, RangeKind.Rank);

    private static void ZRemRangeByScore(CommandContext c) => RemoveRangeGeneric(c, RangeKind.Score);

    private static void ZRemRangeByLex(CommandContext c) => RemoveRangeGeneric(c, RangeKind.Lex);

    // Redis's zremrangeGenericCommand: the range is parsed before the key is looked up.
    private static void RemoveRangeGeneric(CommandContext c, RangeKind kind)
    {
        long start = 0, end = 0;
        ScoreRange scores = default;
        LexRange lex = default;
        if (kind == RangeKind.Rank)
        {
            if (!c.TryArgLong(2, out start) || !c.TryArgLong(3, out end))
            {
                return;
            }
        }
        else if (kind == RangeKind.Score)
        {
            if (!TryParseScoreRange(c.Arg(2), c.Arg(3), out scores))
            {
                c.Reply.Error(NotFloatRange);
                return;
            }
        }
        else if (!TryParseLexRange(c.Arg(2), c.Arg(3), out lex))
        {
            c.Reply.Error(NotLexRange);
            return;
        }

        if (!TryWrite(c, c.Arg(1), out var set, out int index))
        {
            return;
        }

        if (set is null)
        {
            c.Reply.Integer(0);
            return;
        }

        int first;
        long count;
        if (kind == RangeKind.Rank)
        {
            (first, count) = RankRange(set, start, end, reverse: false);
        }
        else if (kind == RangeKind.Score)
        {
            first = set.FirstInRange(scores);
            count = first == 0 ? 0 : set.RankOf(set.LastInRange(scores)) - set.RankOf(first) + 1;
        }
        else
        {
            first = set.FirstInLexRange(lex);
            (first, count) = LexWalk(set, first, lex, reverse: false, 0, -1);
        }

        long deleted = count;
        set.RemoveRange(first, count);

        if (deleted > 0)
        {
            c.Modified(c.Arg(1), KeyspaceEvents.SortedSet, kind switch
            {
                RangeKind.Rank => "zremrangebyrank"u8,
                RangeKind.Score => "zremrangebyscore"u8,
                _ => "zremrangebylex"u8,
            });
        }

        DeleteIfEmpty(c, set, index, c.Arg(1));
        c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    private static void ZPopMin(CommandContext c) => PopMinMax(c, max: false);

    private static void ZPopMax(CommandContext c) => PopMinMax(c, max: true);

    // zpopMinMaxCommand: COUNT must be positive; with a count, RESP3 nests the pairs.
    private static void PopMinMax(CommandContext c, bool max)
    {
        if (c.ArgCount > 3)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        long count = -1;
        if (c.ArgCount == 3)
        {
            // getPositiveLongFromObjectOrReply: its message also answers a non-integer.
            if (!RespNumber.TryParseInt64(c.Arg(2), out count) || count < 0)
            {
                c.Reply.Error(MustBePositive);
                return;
            }
        }

        if (TryPop(c, 1, 1, max, emitKey: false, count, nested: c.ArgCount == 3 && c.Reply.IsResp3) == PopResult.Empty)
        {
            c.Reply.ArrayHeader(0);
        }
    }

    // ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] (zmpopGenericCommand).
    private static void ZMPop(CommandContext c)
    {
        if (!TryParseMPop(c, 1, out long numKeys, out bool max, out long count))
        {
            return;
        }

        if (TryPop(c, 2, (int)numKeys, max, emitKey: true, count, nested: true) == PopResult.Empty)
        {
            c.Reply.NullArray();
        }
    }

    private static void BZPopMin(CommandContext c) => BlockingPopMinMax(c, max: false);

    private static void BZPopMax(CommandContext c) => BlockingPopMinMax(c, max: true);

    // BZPOPMIN/BZPOPMAX key [key ...] timeout (bzpopMinMaxCommand): the timeout is read before the keys are looked at.
    private static void BlockingPopMinMax(CommandContext c, bool max)
    {
        if (ListCommands.TryArgTimeout(c, c.ArgCount - 1, out long deadline))
        {
            BlockingPop(c, 1, c.ArgCount - 2, max, emitKey: true, count: -1, nested: false, deadline);
        }
    }

    // BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] (zmpopGenericCommand reads the timeout after the rest).
    private static void BZMPop(CommandContext c)
    {
        if (TryParseMPop(c, 2, out long numKeys, out bool max, out long count) && ListCommands.TryArgTimeout(c, 1, out long deadline))
        {
            BlockingPop(c, 3, (int)numKeys, max, emitKey: true, count, nested: true, deadline);
        }
    }

    /// <summary>
    /// Redis's blockingGenericZpopCommand: pops from the first key holding a sorted set, else blocks on all of them
    /// (run again by <see cref="Blocking.BlockingKeys"/> when one becomes ready). Inside MULTI (CLIENT_DENY_BLOCKING)
    /// it answers as a timeout: the null array.
    /// </summary>
    private static void BlockingPop(CommandContext c, int firstKeyArg, int keyCount, bool max, bool emitKey, long count, bool nested, long deadline)
    {
        if (TryPop(c, firstKeyArg, keyCount, max, emitKey, count, nested) != PopResult.Empty)
        {
            return;
        }

        if (c.InTransaction)
        {
            c.Reply.NullArray();
            return;
        }

        c.Keyspace.Blocking.Block(c, firstKeyArg, keyCount, 1, deadline, typeof(SortedSet));
    }

    /// <summary>Parses ZMPOP's / BZMPOP's numkeys, MIN|MAX and COUNT from <paramref name="numKeysArg"/> on; replies the error itself.</summary>
    internal static bool TryParseMPop(CommandContext c, int numKeysArg, out long numKeys, out bool max, out long count)
    {
        max = false;
        count = -1;
        // getRangeLongFromObjectOrReply: its message also answers a non-integer.
        if (!RespNumber.TryParseInt64(c.Arg(numKeysArg), out numKeys) || numKeys < 1)
        {
            c.Reply.Error(NumKeysPositive);
            return false;
        }

        long whereArg = numKeysArg + numKeys + 1;
        if (whereArg >= c.ArgCount)
        {
            c.Reply.Error(Errors.Syntax);
            return false;
        }

        if (c.ArgIs((int)whereArg, "max"u8))
        {
            max = true;
        }
        else if (!c.ArgIs((int)whereArg, "min"u8))
        {
            c.Reply.Error(Errors.Syntax);
            return false;
        }

        for (int j = (int)whereArg + 1; j < c.ArgCount; j++)
        {
            bool more = j < c.ArgCount - 1;
            if (count == -1 && c.ArgIs(j, "count"u8) && more)
            {
                j++;
                if (!RespNumber.TryParseInt64(c.Arg(j), out count) || count < 1)
                {
                    c.Reply.Error(CountPositive);
                    return false;
                }
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return false;
            }
        }

        if (count == -1)
        {
            count = 1;
        }

        return true;
    }

    /// <summary>
    /// Redis's genericZpopCommand: pops up to <paramref name="count"/> (-1: one) from the first of the keys holding
    /// a sorted set and replies. Shapes: flat pairs (ZPOPMIN/ZPOPMAX), nested pairs (their RESP3 COUNT form),
    /// key then flat pairs (BZPOPMIN/BZPOPMAX: <paramref name="emitKey"/> without <paramref name="nested"/>), key then
    /// nested pairs (ZMPOP/BZMPOP). Replies nothing and returns <see cref="PopResult.Empty"/> when no key holds a set.
    /// </summary>
    internal static PopResult TryPop(CommandContext c, int firstKeyArg, int keyCount, bool max, bool emitKey, long count, bool nested)
    {
        SortedSet? set = null;
        int index = -1, keyArg = 0;
        for (int i = 0; i < keyCount; i++)
        {
            keyArg = firstKeyArg + i;
            if (!c.MayServeFrom(c.Arg(keyArg)))
            {
                continue;
            }

            if (!TryWrite(c, c.Arg(keyArg), out set, out index))
            {
                return PopResult.WrongType;
            }

            if (set is not null)
            {
                break;
            }
        }

        if (set is null)
        {
            return PopResult.Empty;
        }

        var reply = c.Reply;
        if (count == 0)
        {
            reply.ArrayHeader(0);
            return PopResult.Popped;
        }

        if (count == -1)
        {
            count = 1;
        }

        long popped = Math.Min(count, set.Count);
        if (!emitKey)
        {
            reply.ArrayHeader(nested ? popped : popped * 2);
        }
        else if (!nested)
        {
            reply.ArrayHeader((popped * 2) + 1);
            reply.Bulk(c.Arg(keyArg));
        }
        else
        {
            reply.ArrayHeader(2);
            reply.Bulk(c.Arg(keyArg));
            reply.ArrayHeader(popped);
        }

        for (long i = 0; i < popped; i++)
        {
            int node = max ? set.Last : set.First;
            if (nested)
            {
                reply.ArrayHeader(2);
            }

            reply.Bulk(set.MemberAt(node));
            reply.Double(set.ScoreAt(node));
            set.RemoveNode(node);
        }

        c.Modified(c.Arg(keyArg), KeyspaceEvents.SortedSet, max ? "zpopmax"u8 : "zpopmin"u8);
        DeleteIfEmpty(c, set, index, c.Arg(keyArg));
        c.Dirty(popped);
        return PopResult.Popped;
    }

    // zrandmemberCommand / zrandmemberWithCountCommand.
    private static void ZRandMember(CommandContext c)
    {
        var reply = c.Reply;
        if (c.ArgCount < 3)
        {
            if (!TryRead(c, c.Arg(1), out var single))
            {
                return;
            }

            if (single is null)
            {
                reply.NullBulk();
            }
            else
            {
                reply.Bulk(single.MemberAt(single.AtRank(Random.Shared.NextInt64(single.Count))));
            }

            return;
        }

        if (!RespNumber.TryParseInt64(c.Arg(2), out long l))
        {
            reply.Error(Errors.NotInteger);
            return;
        }

        if (l == long.MinValue)
        {
            reply.Error(RandCountRange);
            return;
        }

        bool withScores = false;
        if (c.ArgCount == 4 && c.ArgIs(3, "withscores"u8))
        {
            // Redis's zrandmemberCommand: with scores a reply holds 2*|count| items, so |count| must
            // stay within LONG_MAX/2 (a larger one used to overflow the reply length and write forever).
            withScores = true;
            if (l < -(long.MaxValue / 2) || l > long.MaxValue / 2)
            {
                reply.Error(ValueOutOfRange);
                return;
            }
        }
        else if (c.ArgCount >= 4)
        {
            reply.Error(Errors.Syntax);
            return;
        }

        if (!TryRead(c, c.Arg(1), out var set))
        {
            return;
        }

        if (set is null || l == 0)
        {
            reply.ArrayHeader(0);
            return;
        }

        bool unique = l > 0;
        long count = Math.Abs(l);
        long size = set.Count;
        bool nested = withScores && reply.IsResp3;
        if (!unique || count == 1)
        {
            reply.ArrayHeader(withScores && !nested ? count * 2 : count);
            for (long i = 0; i < count; i++)
            {
                WriteRandom(reply, set, set.AtRank(Random.Shared.NextInt64(size)), withScores, nested);
            }

            return;
        }

        if (count >= size)
        {
            WriteElements(c, set, set.First, size, reverse: false, withScores);
            return;
        }

        // Distinct ranks: a partial Fisher-Yates shuffle of all ranks when many are wanted, rejection otherwise.
        reply.ArrayHeader(withScores && !nested ? count * 2 : count);
        if (count * 3 > size)
        {
            int[] ranks = ArrayPool<int>.Shared.Rent((int)size);
            try
            {
                for (int i = 0; i < size; i++)
                {
                    ranks[i] = i;
                }

                for (int i = 0; i < count; i++)
                {
                    int j = i + Random.Shared.Next((int)size - i);
                    (ranks[i], ranks[j]) = (ranks[j], ranks[i]);
                    WriteRandom(reply, set, set.AtRank(ranks[i]), withScores, nested);
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(ranks);
            }

            return;
        }

        var chosen = new HashSet<long>();
        while (chosen.Count < count)
        {
            long rank = Random.Shared.NextInt64(size);
            if (chosen.Add(rank))
            {
                WriteRandom(reply, set, set.AtRank(rank), withScores, nested);
            }
        }
    }

    private static void WriteRandom(RespWriter reply, SortedSet set, int node, bool withScores, bool nested)
    {
        if (nested)
        {
            reply.ArrayHeader(2);
        }

        reply.Bulk(set.MemberAt(node));
        if (withScores)
        {
            reply.Double(set.ScoreAt(node));
        }
    }

    private static void ZUnion(CommandContext c) => SetOperation(c, 1, store: false, SetOp.Union, cardinalityOnly: false);

    private static void ZInter(CommandContext c) => SetOperation(c, 1, store: false, SetOp.Inter, cardinalityOnly: false);

    private static void ZDiff(CommandContext c) => SetOperation(c, 1, store: false, SetOp.Diff, cardinalityOnly: false);

    private static void ZUnionStore(CommandContext c) => SetOperation(c, 2, store: true, SetOp.Union, cardinalityOnly: false);

    private static void ZInterStore(CommandContext c) => SetOperation(c, 2, store: true, SetOp.Inter, cardinalityOnly: false);

    private static void ZDiffStore(CommandContext c) => SetOperation(c, 2, store: true, SetOp.Diff, cardinalityOnly: false);

    private static void ZInterCard(CommandContext c) => SetOperation(c, 1, store: false, SetOp.Inter, cardinalityOnly: true);

    // Redis's zunionInterDiffGenericCommand. Sets are inputs too, every member with score 1.
    private static void SetOperation(CommandContext c, int numKeysArg, bool store, SetOp op, bool cardinalityOnly)
    {
        if (!c.TryArgLong(numKeysArg, out long numKeys))
        {
            return;
        }

        if (numKeys < 1)
        {
            c.Reply.Error($"ERR at least 1 input key is needed for '{c.Command.FullName}' command");
            return;
        }

        if (numKeys > c.ArgCount - numKeysArg - 1)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        int n = (int)numKeys;
        var raw = new object?[n];
        var sources = new SortedSet?[n];
        var weights = new double[n];
        int j = numKeysArg + 1;
        for (int i = 0; i < n; i++, j++)
        {
            var value = store ? c.Db.Get(c.Arg(j), c.Now) : StringCommands.Read(c, c.Arg(j));
            weights[i] = 1;
            raw[i] = value;
            if (value is null)
            {
                continue;
            }

            if (value is SortedSet zset)
            {
                sources[i] = zset;
            }
            else if (value is SetValue members)
            {
                sources[i] = FromSet(members, raw, i, sources);
            }
            else
            {
                c.Reply.Error(Errors.WrongType);
                return;
            }
        }

        var aggregate = Aggregate.Sum;
        bool withScores = false;
        long limit = 0;
        int remaining = c.ArgCount - j;
        while (remaining > 0)
        {
            if (op != SetOp.Diff && !cardinalityOnly && remaining >= n + 1 && c.ArgIs(j, "weights"u8))
            {
                j++;
                remaining--;
                for (int i = 0; i < n; i++, j++, remaining--)
                {
                    if (!TryParseScore(c.Arg(j), out weights[i]))
                    {
                        c.Reply.Error(WeightNotFloat);
                        return;
                    }
                }
            }
            else if (op != SetOp.Diff && !cardinalityOnly && remaining >= 2 && c.ArgIs(j, "aggregate"u8))
            {
                j++;
                remaining--;
                if (c.ArgIs(j, "sum"u8)) { aggregate = Aggregate.Sum; }
                else if (c.ArgIs(j, "min"u8)) { aggregate = Aggregate.Min; }
                else if (c.ArgIs(j, "max"u8)) { aggregate = Aggregate.Max; }
                else
                {
                    c.Reply.Error(Errors.Syntax);
                    return;
                }

                j++;
                remaining--;
            }
            else if (!store && !cardinalityOnly && c.ArgIs(j, "withscores"u8))
            {
                j++;
                remaining--;
                withScores = true;
            }
            else if (cardinalityOnly && remaining >= 2 && c.ArgIs(j, "limit"u8))
            {
                j++;
                remaining--;
                if (!RespNumber.TryParseInt64(c.Arg(j), out limit) || limit < 0)
                {
                    c.Reply.Error(LimitNegative);
                    return;
                }

                j++;
                remaining--;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        // Redis sorts the inputs by size (smallest first) for union and intersection; the order decides
        // the order in which float scores are summed, so it is kept stable as glibc's qsort (merge sort) is.
        int[] order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        if (op != SetOp.Diff)
        {
            for (int i = 1; i < n; i++)
            {
                int item = order[i];
                int k = i - 1;
                while (k >= 0 && (sources[order[k]]?.Count ?? 0) > (sources[item]?.Count ?? 0))
                {
                    order[k + 1] = order[k];
                    k--;
                }

                order[k + 1] = item;
            }
        }

        var result = new Dictionary<byte[], double>(ByteKeyComparer.Instance);
        var resultByMember = result.GetAlternateLookup<ReadOnlySpan<byte>>();
        long cardinality = 0;
        var s0 = sources[order[0]];
        if (op == SetOp.Inter)
        {
            if (s0 is not null && s0.Count > 0)
            {
                for (int node = s0.First; node != 0; node = s0.Next(node))
                {
                    double score = weights[order[0]] * s0.ScoreAt(node);
                    if (double.IsNaN(score))
                    {
                        score = 0;
                    }

                    int k = 1;
                    for (; k < n; k++)
                    {
                        int src = order[k];
                        double value;
                        if (raw[src] is not null && ReferenceEquals(raw[src], raw[order[0]]))
                        {
                            value = s0.ScoreAt(node) * weights[src];
                        }
                        else if (sources[src] is not null && sources[src]!.TryGetScore(s0.MemberAt(node), out value))
                        {
                            value *= weights[src];
                        }
                        else
                        {
                            break;
                        }

                        score = Combine(score, value, aggregate);
                    }

                    if (k == n)
                    {
                        if (cardinalityOnly)
                        {
                            cardinality++;
                            if (limit != 0 && cardinality >= limit)
                            {
                                break;
                            }
                        }
                        else
                        {
                            resultByMember[s0.MemberAt(node)] = score;
                        }
                    }
                }
            }
        }
        else if (op == SetOp.Union)
        {
            for (int k = 0; k < n; k++)
            {
                var src = sources[order[k]];
                if (src is null)
                {
                    continue;
                }

                for (int node = src.First; node != 0; node = src.Next(node))
                {
                    double score = weights[order[k]] * src.ScoreAt(node);
                    if (double.IsNaN(score))
                    {
                        score = 0;
                    }

                    ref double slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(resultByMember, src.MemberAt(node), out bool exists);
                    slot = exists ? Combine(slot, score, aggregate) : score;
                }
            }
        }
        else if (s0 is not null)
        {
            for (int node = s0.First; node != 0; node = s0.Next(node))
            {
                bool elsewhere = false;
                for (int k = 1; k < n && !elsewhere; k++)
                {
                    elsewhere = sources[k] is not null && sources[k]!.Find(s0.MemberAt(node)) != 0;
                }

                if (!elsewhere)
                {
                    resultByMember[s0.MemberAt(node)] = s0.ScoreAt(node);
                }
            }
        }

        if (cardinalityOnly)
        {
            c.Reply.Integer(cardinality);
            return;
        }

        SortedSet? output = null;
        if (result.Count > 0)
        {
            output = new SortedSet(false, result.Count);
            int maxLength = 0;
            foreach (var (member, score) in result)
            {
                maxLength = Math.Max(maxLength, member.Length);
                output.Insert(member, score);
            }

            if (store && FitsListpack(c, output.Count, maxLength))
            {
                output.ConvertToListpack();
            }
        }

        if (store)
        {
            StoreResult(c, c.Arg(1), output, op switch
            {
                SetOp.Union => "zunionstore"u8,
                SetOp.Inter => "zinterstore"u8,
                _ => "zdiffstore"u8,
            });
            return;
        }

        WriteElements(c, output, output?.First ?? 0, output?.Count ?? 0, reverse: false, withScores);
    }

    // zunionInterAggregate: inf + -inf sums to 0 rather than NaN.
    private static double Combine(double target, double value, Aggregate aggregate)
    {
        switch (aggregate)
        {
            case Aggregate.Sum:
                target += value;
                return double.IsNaN(target) ? 0 : target;
            case Aggregate.Min:
                return value < target ? value : target;
            default:
                return value > target ? value : target;
        }
    }

    // A plain set as a sorted-set input: every member scores 1. The same set named twice is read once.
    private static SortedSet FromSet(SetValue members, object?[] raw, int position, SortedSet?[] converted)
    {
        for (int i = 0; i < position; i++)
        {
            if (ReferenceEquals(raw[i], raw[position]) && converted[i] is not null)
            {
                return converted[i]!;
            }
        }

        var set = new SortedSet(false);
        Span<byte> scratch = stackalloc byte[20];
        for (int slot = 0; slot < members.PositionLimit; slot++)
        {
            if (members.IsLive(slot))
            {
                set.Insert(members.MemberAt(slot, scratch), 1);
            }
        }

        return set;
    }

    // ZSCAN key cursor [MATCH pattern] [COUNT count]. A set Redis would hold as a listpack is returned
    // whole with cursor 0 (COUNT ignored), as Redis does; a bigger one is walked by node slot, and slots
    // stay put while their member lives, so a member present for the whole iteration is returned.
    private static void ZScan(CommandContext c)
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

        var reply = c.Reply;
        if (set is null)
        {
            reply.ArrayHeader(2);
            reply.Bulk("0"u8);
            reply.ArrayHeader(0);
            return;
        }

        if (!ScanOptions.TryParse(c, 3, out long count, out int patternArg))
        {
            return;
        }

        var pattern = patternArg > 0 ? c.Arg(patternArg) : default;
        bool usePattern = patternArg > 0 && !GlobMatcher.MatchesAll(pattern);
        int limit = set.SlotLimit;
        int slot = 1, end = limit;
        if (!set.IsListpack)
        {
            slot = cursor >= (ulong)limit ? limit : Math.Max(1, (int)cursor);
        }

        int[] found = ArrayPool<int>.Shared.Rent(Math.Max(1, set.IsListpack ? set.Count : (int)Math.Min(count, set.Count)));
        int foundCount = 0;
        try
        {
            long examined = 0;

            // COUNT*10 empty slots at most, as Redis; clamped first (a COUNT near LONG_MAX overflowed to a
            // negative budget that answered the same cursor forever).
            long budget = Math.Min(count, limit) * 10;
            if (set.IsListpack)
            {
                // Redis walks a listpack in order and returns all of it.
                for (int node = set.First; node != 0; node = set.Next(node))
                {
                    if (!usePattern || GlobMatcher.IsMatch(pattern, set.MemberAt(node)))
                    {
                        found[foundCount++] = node;
                    }
                }

                slot = end;
            }

            for (; slot < end; slot++)
            {
                if (examined >= count || budget-- <= 0)
                {
                    break;
                }

                if (!set.IsLive(slot))
                {
                    continue;
                }

                examined++;
                if (usePattern && !GlobMatcher.IsMatch(pattern, set.MemberAt(slot)))
                {
                    continue;
                }

                found[foundCount++] = slot;
            }

            reply.ArrayHeader(2);
            reply.BulkInteger(slot >= limit ? 0 : slot);
            reply.ArrayHeader(foundCount * 2);
            Span<byte> text = stackalloc byte[40];
            for (int i = 0; i < foundCount; i++)
            {
                reply.Bulk(set.MemberAt(found[i]));
                reply.Bulk(text[..RespNumber.FormatDouble(set.ScoreAt(found[i]), text)]);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(found);
        }
    }
}
