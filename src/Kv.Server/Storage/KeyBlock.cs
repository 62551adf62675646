using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kv.Server.Storage;

/// <summary>
/// A key's bytes — and a string value's bytes after them — in one block of native memory:
/// <c>[int key length][int value length][key][value]</c>, from <see cref="NativeMemory"/> (malloc).
/// </summary>
/// <remarks>
/// Keys and string values live outside the GC heap so that memory comes back the moment a key is
/// deleted, overwritten, expired or evicted, as it does in Redis. On the GC heap, a key dropped under
/// eviction churn stayed as garbage until the next full collection, and a steady writer promoted new
/// values faster than background collections reclaimed old ones: the process sat at 2.5–3.5x maxmemory.
/// The blocks are freed only by <see cref="KeyTable"/>, through <see cref="BlockReleases"/> (so a span a
/// command still holds stays valid until the command ends) or when a whole table is dropped.
/// </remarks>
internal static unsafe class KeyBlock
{
    public const int HeaderSize = 8;

    /// <summary>
    /// Bytes of blocks allocated and not yet freed, process-wide (<see cref="AllocatedBytes(byte*)"/> each). Kept
    /// without atomics — blocks come and go under a keyspace lock — so it is exact in the kv-server process
    /// (one server) and approximate when several embedded servers share a process; only the former reads it
    /// (<see cref="Persistence.MemoryReclaim"/>).
    /// </summary>
    public static long LiveBytes { get; private set; }

    /// <summary>Bytes of blocks allocated so far, process-wide and never decreasing (kept as <see cref="LiveBytes"/> is).</summary>
    public static long AllocatedTotal { get; private set; }

    /// <summary>A new block holding <paramref name="key"/> and the string <paramref name="value"/> (empty for other types).</summary>
    public static byte* Allocate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        byte* block = (byte*)NativeMemory.Alloc((nuint)((long)HeaderSize + key.Length + value.Length));
        *(int*)block = key.Length;
        *(int*)(block + 4) = value.Length;
        key.CopyTo(new Span<byte>(block + HeaderSize, key.Length));
        value.CopyTo(new Span<byte>(block + HeaderSize + key.Length, value.Length));
        Allocated(block);
        return block;
    }

    /// <summary>A new block holding <paramref name="key"/> and room for <paramref name="valueLength"/> bytes of value, not yet written.</summary>
    public static byte* Allocate(ReadOnlySpan<byte> key, int valueLength)
    {
        byte* block = (byte*)NativeMemory.Alloc((nuint)((long)HeaderSize + key.Length + valueLength));
        *(int*)block = key.Length;
        *(int*)(block + 4) = valueLength;
        key.CopyTo(new Span<byte>(block + HeaderSize, key.Length));
        Allocated(block);
        return block;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> KeyOf(byte* block) => new(block + HeaderSize, KeyLength(block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<byte> ValueOf(byte* block) => new(block + HeaderSize + KeyLength(block), ValueLength(block));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int KeyLength(byte* block) => *(int*)block;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ValueLength(byte* block) => *(int*)(block + 4);

    /// <summary>
    /// Bytes the allocator hands out for the block: glibc's malloc rounds a request plus its 8-byte
    /// chunk header up to 16 (32 at least), and maps requests from 128 KB on in whole pages.
    /// </summary>
    public static long AllocatedBytes(byte* block) => AllocatedBytes(KeyLength(block), ValueLength(block));

    /// <summary>What <see cref="AllocatedBytes(byte*)"/> answers for a block of these lengths.</summary>
    public static long AllocatedBytes(int keyLength, int valueLength)
    {
        long request = HeaderSize + (long)keyLength + valueLength;
        return request >= 128 * 1024 ? (request + 16 + 4095) & ~4095L : Math.Max(32, (request + 8 + 15) & ~15L);
    }

    /// <summary>
    /// The block with room for <paramref name="valueLength"/> bytes of value, not yet written, and the key kept: grown
    /// or shrunk in place when the allocator can (realloc), else moved. The old pointer is invalid afterwards, so
    /// only for a block nothing else refers to (a batch's end, when no command holds a span of it).
    /// </summary>
    public static byte* Resize(byte* block, int valueLength)
    {
        LiveBytes -= AllocatedBytes(block);
        block = (byte*)NativeMemory.Realloc(block, (nuint)((long)HeaderSize + KeyLength(block) + valueLength));
        *(int*)(block + 4) = valueLength;
        Allocated(block);
        return block;
    }

    private static void Allocated(byte* block)
    {
        long bytes = AllocatedBytes(block);
        LiveBytes += bytes;
        AllocatedTotal += bytes;
    }

    public static void Free(byte* block)
    {
        LiveBytes -= AllocatedBytes(block);
        NativeMemory.Free(block);
    }
}
