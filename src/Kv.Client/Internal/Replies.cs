namespace Kv.Client.Internal;

/// <summary>The reply shapes typed methods return, each accepting both the RESP2 and the RESP3 form.</summary>
internal static class Replies
{
    public static readonly ReplyConverter<KvResult> Result = static (in KvResult r) => r;

    public static readonly ReplyConverter<KvValue> Value = static (in KvResult r) => r.AsValue();

    /// <summary>A bulk string the reader loop already copied into a pooled buffer; null for a null reply.</summary>
    public static readonly ReplyConverter<KvLease?> Lease = static (in KvResult r) =>
        r.IsNull ? null : r.Lease ?? KvLease.CopyOf(r.AsValue().Memory.Span);

    public static readonly ReplyConverter<long> Int64 = static (in KvResult r) => r.AsInt64();

    public static readonly ReplyConverter<long?> NullableInt64 = static (in KvResult r) => r.IsNull ? null : r.AsInt64();

    public static readonly ReplyConverter<double> Double = static (in KvResult r) => r.AsDouble();

    public static readonly ReplyConverter<double?> NullableDouble = static (in KvResult r) => r.IsNull ? null : r.AsDouble();

    /// <summary>Integer 1/0, RESP3 booleans, +OK; null is false (SET NX that did not set).</summary>
    public static readonly ReplyConverter<bool> Boolean = static (in KvResult r) => r.AsBoolean();

    public static readonly ReplyConverter<bool> Ignore = static (in KvResult r) => true;

    public static readonly ReplyConverter<string> Text = static (in KvResult r) => r.AsString() ?? "";

    public static readonly ReplyConverter<KvValue[]> Values = static (in KvResult r) => ToValues(r);

    public static readonly ReplyConverter<bool[]> Booleans = static (in KvResult r) =>
    {
        var items = r.Items;
        var result = new bool[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            result[i] = items[i].AsBoolean();
        }

        return result;
    };

    public static readonly ReplyConverter<long[]> Int64s = static (in KvResult r) =>
    {
        var items = r.Items;
        var result = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            result[i] = items[i].AsInt64();
        }

        return result;
    };

    public static readonly ReplyConverter<double?[]> NullableDoubles = static (in KvResult r) =>
    {
        var items = r.Items;
        var result = new double?[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            result[i] = items[i].IsNull ? null : items[i].AsDouble();
        }

        return result;
    };

    /// <summary>Field/value pairs: a RESP3 map, a flat RESP2 array, or RESP3's array of pairs (HRANDFIELD WITHVALUES).</summary>
    public static readonly ReplyConverter<KvHashEntry[]> HashEntries = static (in KvResult r) =>
    {
        var result = new KvHashEntry[PairCount(r)];
        for (int i = 0; i < result.Length; i++)
        {
            var (a, b) = Pair(r, i);
            result[i] = new KvHashEntry(a.AsValue(), b.AsValue());
        }

        return result;
    };

    /// <summary>Member/score pairs: flat in RESP2, an array of pairs in RESP3.</summary>
    public static readonly ReplyConverter<KvSortedSetEntry[]> SortedSetEntries = static (in KvResult r) => ToSortedSetEntries(r);

    /// <summary>ZPOPMIN/ZPOPMAX without a count: one pair (flat in both protocols), or empty.</summary>
    public static readonly ReplyConverter<KvSortedSetEntry?> SortedSetEntry = static (in KvResult r) =>
    {
        var entries = ToSortedSetEntries(r);
        return entries.Length == 0 ? null : entries[0];
    };

    /// <summary>BLPOP/BRPOP: [key, value] or null on timeout.</summary>
    public static readonly ReplyConverter<KvPopResult?> Pop = static (in KvResult r) =>
        r.IsNull ? null : new KvPopResult(r[0].AsString()!, [r[1].AsValue()]);

    /// <summary>LMPOP/BLMPOP: [key, [values…]] or null.</summary>
    public static readonly ReplyConverter<KvPopResult?> MultiPop = static (in KvResult r) =>
        r.IsNull ? null : new KvPopResult(r[0].AsString()!, ToValues(r[1]));

    /// <summary>BZPOPMIN/BZPOPMAX: [key, member, score] or null.</summary>
    public static readonly ReplyConverter<KvSortedSetPopResult?> SortedSetPop = static (in KvResult r) =>
        r.IsNull ? null : new KvSortedSetPopResult(r[0].AsString()!, [new KvSortedSetEntry(r[1].AsValue(), r[2].AsDouble())]);

    /// <summary>ZMPOP/BZMPOP: [key, [[member, score]…]] or null.</summary>
    public static readonly ReplyConverter<KvSortedSetPopResult?> SortedSetMultiPop = static (in KvResult r) =>
        r.IsNull ? null : new KvSortedSetPopResult(r[0].AsString()!, ToSortedSetEntries(r[1]));

    public static readonly ReplyConverter<KvSortedSetEntry?> RankWithScore = static (in KvResult r) => r.IsNull ? null : new KvSortedSetEntry(r[0].AsValue(), r[1].AsDouble());

    public static KvValue[] ToValues(in KvResult r)
    {
        var items = r.Items;
        var result = new KvValue[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            result[i] = items[i].AsValue();
        }

        return result;
    }

    public static KvSortedSetEntry[] ToSortedSetEntries(in KvResult r)
    {
        var result = new KvSortedSetEntry[PairCount(r)];
        for (int i = 0; i < result.Length; i++)
        {
            var (member, score) = Pair(r, i);
            result[i] = new KvSortedSetEntry(member.AsValue(), score.AsDouble());
        }

        return result;
    }

    private static int PairCount(in KvResult r)
    {
        var items = r.Items;
        return items.Length > 0 && items[0].IsAggregate ? items.Length : items.Length / 2;
    }

    private static (KvResult First, KvResult Second) Pair(in KvResult r, int index)
    {
        var items = r.Items;
        if (items[0].IsAggregate)
        {
            var pair = items[index];
            return (pair[0], pair[1]);
        }

        return (items[index * 2], items[(index * 2) + 1]);
    }
}
