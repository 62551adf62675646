namespace Kv.Server.Storage;

/// <summary>
/// A small collection at rest in its key's block, after the key, as a string is (<see cref="KeyBlock"/>):
/// the entry's value is then one of these shared markers, which says the type, and the block holds the
/// bytes. Redis keeps a small hash, sorted set or list as one listpack allocation (a small set as one intset or, since 7.2, listpack); an object and its array on
/// the GC heap cost 48 bytes more per key (a million sessions or rate-limit logs: 48 MB) and stay as
/// garbage when dropped. In the block they cost what their bytes cost and are freed at once.
/// </summary>
/// <remarks>
/// <para>
/// Commands never see the inline form. <see cref="KeyTable"/> expands an inline value into its object
/// (from <see cref="ValuePool"/>) when <see cref="KeyTable.Find(ReadOnlySpan{byte}, int)"/> reaches the key,
/// and writes every value it expanded or was given back into the block when the batch of commands ends
/// (<see cref="BlockReleases"/>), so a command holds a plain <see cref="HashValue"/>, <see cref="SortedSet"/>, <see cref="ListValue"/> or <see cref="SetValue"/>
/// for as long as it runs, and an object lives only during the batch that touched its key.
/// </para>
/// <para>
/// Only compact collections of at most <see cref="MaxLength"/> bytes go inline; bigger ones (and hashes
/// with field TTLs, which an index refers to) stay objects, where a write does not copy the whole value twice.
/// Readers outside the command path (a save, an AOF rewrite) get a copy of their own through <see cref="KeyTable.ValueAt"/>.
/// </para>
/// </remarks>
internal sealed class InlineValue
{
    /// <summary>Collections whose inline form is longer stay objects (the pool's largest array).</summary>
    public const int MaxLength = ValuePool.MaxArray;

    public static readonly InlineValue Hash = new(Kind.Hash);

    public static readonly InlineValue SortedSet = new(Kind.SortedSet);

    public static readonly InlineValue List = new(Kind.List);

    public static readonly InlineValue Set = new(Kind.Set);

    private readonly Kind _kind;

    private InlineValue(Kind kind) => _kind = kind;

    private enum Kind : byte
    {
        Hash,
        SortedSet,
        List,
        Set,
    }

    /// <summary>The TYPE name of what the block holds.</summary>
    public ReadOnlySpan<byte> TypeName => _kind switch
    {
        Kind.Hash => "hash"u8,
        Kind.SortedSet => "zset"u8,
        Kind.Set => "set"u8,
        _ => "list"u8,
    };

    /// <summary>True for the types that may go inline (whether this value can is <see cref="LengthOf"/>'s answer).</summary>
    public static bool IsCandidate(object value) => value is HashValue or Storage.SortedSet or ListValue or SetValue;

    /// <summary>Bytes of <paramref name="value"/>'s inline form, or -1 when it stays an object.</summary>
    public static int LengthOf(object value)
    {
        int length = value switch
        {
            HashValue hash => hash.InlineLength,
            Storage.SortedSet set => set.InlineLength,
            ListValue list => list.InlineLength,
            SetValue set => set.InlineLength,
            _ => -1,
        };
        return length <= MaxLength ? length : -1;
    }

    /// <summary>Writes <paramref name="value"/>'s inline form (<see cref="LengthOf"/> bytes); returns its marker.</summary>
    public static InlineValue Write(object value, Span<byte> target)
    {
        switch (value)
        {
            case HashValue hash:
                hash.WriteInline(target);
                return Hash;
            case Storage.SortedSet set:
                set.WriteInline(target);
                return SortedSet;
            case SetValue set:
                set.WriteInline(target);
                return Set;
            default:
                ((ListValue)value).WriteInline(target);
                return List;
        }
    }

    /// <summary>
    /// The object the inline bytes stand for: from the pool for the keyspace (<paramref name="pooled"/>), else a
    /// copy of its own.
    /// </summary>
    public object Expand(ReadOnlySpan<byte> inline, bool pooled) => _kind switch
    {
        Kind.Hash => HashValue.FromInline(inline, pooled),
        Kind.SortedSet => Storage.SortedSet.FromInline(inline, pooled),
        Kind.Set => SetValue.FromInline(inline, pooled),
        _ => ListValue.FromInline(inline, pooled),
    };
}
