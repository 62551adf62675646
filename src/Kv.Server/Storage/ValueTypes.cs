namespace Kv.Server.Storage;

/// <summary>
/// What every value type must answer for the generic key commands, in one place: its TYPE name
/// (also SCAN's TYPE filter), its OBJECT ENCODING and its deep copy (COPY). A new value type adds one line to each.
/// </summary>
internal static class ValueTypes
{
    /// <summary>Redis's getObjectTypeName: the name TYPE replies, <c>none</c> for a missing key.</summary>
    public static ReadOnlySpan<byte> NameOf(object? value) => value switch
    {
        null => "none"u8,
        byte[] or MutableString => "string"u8,
        HashValue => "hash"u8,
        SetValue => "set"u8,
        SortedSet => "zset"u8,
        ListValue => "list"u8,
        StreamValue => "stream"u8,
        InlineValue inline => inline.TypeName,
        _ => "unknown"u8,
    };

    /// <summary>What OBJECT ENCODING replies for <paramref name="value"/>.</summary>
    public static string EncodingOf(object value) => value switch
    {
        byte[] or MutableString => StringValue.Encoding(value),
        HashValue hash => hash.Encoding,
        SetValue set => set.Encoding,
        SortedSet zset => zset.IsListpack ? "listpack" : "skiplist",
        ListValue => ListValue.Encoding,
        StreamValue => "stream",
        _ => "unknown",
    };

    /// <summary>
    /// A copy that shares nothing mutable with <paramref name="value"/> (a value belongs to one key).
    /// Keeps the encoding, as Redis's dupStringObject does: a raw string stays raw, and a shared
    /// integer becomes an int object of its own (OBJECT REFCOUNT 1).
    /// </summary>
    public static object Clone(object value) => value switch
    {
        byte[] bytes when StringValue.IsSharedInteger(bytes) => new MutableString(bytes, bytes.Length) { Encoding = "int" },
        byte[] bytes => bytes.Clone(),
        MutableString mutable => new MutableString(mutable.Span, mutable.Length) { Encoding = mutable.Encoding },
        HashValue hash => hash.Clone(),
        SetValue set => set.Clone(),
        SortedSet zset => zset.Clone(),
        ListValue list => list.Clone(),
        StreamValue stream => stream.Clone(),
        _ => throw new NotSupportedException($"COPY does not know how to copy a {value.GetType().Name}."),
    };
}
