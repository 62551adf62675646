using Kv.Server.Storage;

namespace Kv.Server.Persistence;

/// <summary>
/// Estimated bytes one key holds, for maxmemory. Redis counts what its allocator hands out
/// (zmalloc_used_memory); the GC's heap size cannot stand in for that — it includes garbage and
/// only drops after a collection, so eviction would overshoot and then evict far too much. So the
/// keyspace is measured instead: each key's size is estimated when it is added, replaced or changed
/// (<see cref="KeyTable.EstimatedBytes"/> keeps the sum, in O(1) per write), from the array sizes .NET
/// allocates (24-byte header, 8-byte rounding). Lists, hashes, sets and sorted sets report what they
/// allocate themselves (their <c>AllocatedBytes</c>, kept as they change: O(1), a list walks its 8 KB
/// chunks); in the kv-server process <see cref="MemoryLimit.Used"/> further scales the sum by what the
/// GC finds live (<see cref="MemoryReclaim.Scale"/>).
/// </summary>
internal static class MemoryEstimate
{
    private const int ArrayHeader = 24;
    private const int ObjectHeader = 16;

    /// <summary>Estimated bytes of a key: its <paramref name="block"/> and its <paramref name="value"/> (<see cref="KeyTable.RawValueAt"/>; null for a string in the block).</summary>
    public static unsafe int Of(byte* block, object? value)
    {
        long size = KeyBlock.AllocatedBytes(block);
        if (value is null)
        {
            return (int)Math.Min(int.MaxValue, size);
        }

        // A collection that goes back into the block when the batch ends is counted as it rests there
        // (InlineValue), not twice while a command has it expanded.
        int inline = InlineValue.IsCandidate(value) ? InlineValue.LengthOf(value) : -1;
        if (inline >= 0)
        {
            return (int)KeyBlock.AllocatedBytes(KeyBlock.KeyLength(block), inline);
        }

        return (int)Math.Min(int.MaxValue, size + OfValue(value));
    }

    /// <summary>Estimated bytes of a value outside the key's block (not an inline string).</summary>
    public static long OfValue(object value) => value switch
    {
        byte[] bytes => Array(bytes.Length),
        MutableString mutable => ObjectHeader + 16 + Array(mutable.Buffer.Length),
        ListValue list => list.AllocatedBytes,
        HashValue hash => hash.AllocatedBytes,
        SetValue set => set.AllocatedBytes,
        SortedSet zset => ObjectHeader + 8 + zset.AllocatedBytes,
        InlineValue => 0,
        StreamValue stream => ObjectHeader + 128 + (stream.Length * 48L) + (stream.BlockCount * 96L),
        _ => ObjectHeader + 64,
    };

    private static int Array(int length) => ArrayHeader + ((length + 7) & ~7);
}
