using Kv.Server.Storage;

namespace Kv.Server.Persistence;

/// <summary>
/// Estimated bytes one key holds, for maxmemory. Redis counts what its allocator hands out
/// (zmalloc_used_memory); the GC's heap size cannot stand in for that — it includes garbage and
/// only drops after a collection, so eviction would overshoot and then evict far too much. So the
/// keyspace is measured instead: each key's size is estimated when it is added, replaced or changed
/// (<see cref="KeyTable.EstimatedBytes"/> keeps the sum, in O(1) per write), from the array sizes .NET
/// allocates (24-byte header, 8-byte rounding) and per-element overheads of each structure. A
/// collection's element bytes are sampled (its first few elements times its count), so one
/// measurement is O(1) (a list walks its 8 KB chunks).
/// </summary>
internal static class MemoryEstimate
{
    private const int ArrayHeader = 24;
    private const int ObjectHeader = 16;
    private const int Samples = 4;

    public static unsafe int Of(in KeyEntry entry)
    {
        long size = KeyBlock.AllocatedBytes(entry.Block);
        if (entry.IsInlineString)
        {
            return (int)Math.Min(int.MaxValue, size);
        }

        var value = entry.RawValue;
        long valueSize = value switch
        {
            byte[] bytes => Array(bytes.Length),
            MutableString mutable => ObjectHeader + 16 + Array(mutable.Buffer.Length),
            ListValue list => ObjectHeader + 48 + list.AllocatedBytes,
            HashValue hash => ObjectHeader + 64 + (hash.Count * (40L + Array(HashSample(hash)))),
            SetValue set => ObjectHeader + 64 + (set.IsIntset ? set.Count * 8L : set.Count * (24L + SetSample(set))),
            SortedSet zset => ObjectHeader + 8 + zset.AllocatedBytes,
            StreamValue stream => ObjectHeader + 128 + (stream.Length * 48L) + (stream.BlockCount * 96L),
            _ => ObjectHeader + 64,
        };

        return (int)Math.Min(int.MaxValue, size + valueSize);
    }

    private static int Array(int length) => ArrayHeader + ((length + 7) & ~7);

    private static int HashSample(HashValue hash)
    {
        int taken = 0;
        long bytes = 0;
        for (int i = 0; i < hash.IndexLimit && taken < Samples; i++)
        {
            if (hash.IsLive(i))
            {
                bytes += hash.FieldAt(i).Length + hash.ValueAt(i).Length + 4;
                taken++;
            }
        }

        return taken == 0 ? 0 : (int)(bytes / taken);
    }

    private static int SetSample(SetValue set)
    {
        int taken = 0;
        long bytes = 0;
        Span<byte> scratch = stackalloc byte[24];
        for (int i = 0; i < set.PositionLimit && taken < Samples; i++)
        {
            if (set.IsLive(i))
            {
                bytes += Array(set.MemberAt(i, scratch).Length);
                taken++;
            }
        }

        return taken == 0 ? 0 : (int)(bytes / taken);
    }
}
