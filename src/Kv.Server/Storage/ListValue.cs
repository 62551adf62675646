using System.Runtime.CompilerServices;

namespace Kv.Server.Storage;

/// <summary>
/// A list value: a deque of chunks, each a packed byte[] of entries — Redis's quicklist of
/// listpacks in spirit. An entry is <c>varint length, bytes, reversed varint length</c>, so a chunk
/// is walked from either end (as listpack's backlen allows). Push and pop at both ends are O(1);
/// LINDEX and LSET walk from the nearer end, whole chunks at a time.
/// </summary>
/// <remarks>
/// A chunk holds at most <see cref="ChunkBytes"/> bytes (list-max-listpack-size -2, 8 KB) and
/// <see cref="ChunkEntries"/> entries; an entry larger than that gets a chunk of its own. The first
/// chunk grows by doubling toward the end it is pushed at (a short list stays small); a new edge
/// chunk starts as large as the one it replaces at that end was when it filled, so a list growing
/// by pushes of similar entries makes no garbage; chunks are trimmed of slack when sealed. A long
/// list costs about two bytes per element over its contents, as a listpack does.
/// </remarks>
internal sealed class ListValue
{
    public const int ChunkBytes = 8192;
    public const int ChunkEntries = 256;
    private const int FirstChunkBytes = 32;

    private Chunk[] _chunks = new Chunk[1]; // a power of two, grown by doubling: most lists have one chunk
    private int _head;
    private int _chunkCount;

    public long Count { get; private set; }

    /// <summary>Chunks in use (for tests and MEMORY-like estimates).</summary>
    public int ChunkCount => _chunkCount;

    /// <summary>OBJECT ENCODING: Redis 7.0 reports every list as a quicklist (the listpack encoding for small lists came in 7.2).</summary>
    public static string Encoding => "quicklist";

    /// <summary>A new empty list: one dropped from a keyspace when the pool has one (<see cref="ValuePool"/>).</summary>
    public static ListValue Create() => ValuePool.TakeList() ?? new ListValue();

    /// <summary>True for a list of at most one small chunk, which <see cref="ValuePool"/> takes back whole.</summary>
    public bool IsSmall => _chunks.Length == 1 && (_chunkCount == 0 || ChunkAt(0).Data.Length <= ValuePool.MaxArray);

    /// <summary>
    /// Empties a small list the keyspace dropped, for <see cref="ValuePool"/>: its chunk's array goes back to
    /// the pool and the chunk object stays, to be the first chunk of the list this one becomes.
    /// </summary>
    internal void Recycle()
    {
        if (_chunkCount == 1)
        {
            var chunk = ChunkAt(0);
            ValuePool.ReturnArray(chunk.Data);
            chunk.Reset(Array.Empty<byte>(), atEnd: false);
            _chunks[0] = chunk;
        }
        else if (_chunks.Length != 1)
        {
            _chunks = new Chunk[1];
        }

        _head = 0;
        _chunkCount = 0;
        Count = 0;
    }

    /// <summary>
    /// Bytes of the list held in its key's block (<see cref="InlineValue"/>): its entry count and its one
    /// chunk's entries; -1 when it has more than one chunk.
    /// </summary>
    internal int InlineLength => _chunkCount switch
    {
        0 => 2,
        1 when ChunkAt(0) is var c => 2 + c.End - c.Start,
        _ => -1,
    };

    /// <summary>Writes the form <see cref="InlineLength"/> measures.</summary>
    internal void WriteInline(Span<byte> target)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(target, (ushort)Count);
        if (_chunkCount == 1)
        {
            var c = ChunkAt(0);
            c.Data.AsSpan(c.Start, c.End - c.Start).CopyTo(target[2..]);
        }
    }

    /// <summary>
    /// The list <see cref="WriteInline"/> wrote: from the pool for the keyspace (<paramref name="pooled"/>), or a
    /// copy of its own for a reader outside it (a save).
    /// </summary>
    internal static ListValue FromInline(ReadOnlySpan<byte> inline, bool pooled)
    {
        var list = pooled ? Create() : new ListValue();
        int count = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(inline);
        if (count > 0)
        {
            var entries = inline[2..];
            var c = pooled ? list.NewChunk(entries.Length, atEnd: false) : new Chunk(entries.Length, atEnd: false);
            entries.CopyTo(c.Data);
            c.End = entries.Length;
            c.Count = count;
            list.InsertChunk(0, c);
            list.Count = count;
        }

        return list;
    }

    // A list's first chunk reuses the spare a recycled list kept (Recycle), else is new.
    private Chunk NewChunk(int capacity, bool atEnd)
    {
        if (_chunkCount == 0 && _chunks.Length == 1 && _chunks[0] is { Data.Length: 0 } spare)
        {
            spare.Reset(ValuePool.RentArray(capacity), atEnd);
            return spare;
        }

        return new Chunk(capacity, atEnd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Chunk ChunkAt(int i) => _chunks[(_head + i) & (_chunks.Length - 1)];

    public ReadOnlySpan<byte> Head
    {
        get
        {
            var c = ChunkAt(0);
            int header = ReadForward(c.Data, c.Start, out int length);
            return c.Data.AsSpan(c.Start + header, length);
        }
    }

    public ReadOnlySpan<byte> Tail
    {
        get
        {
            var c = ChunkAt(_chunkCount - 1);
            int header = ReadBackward(c.Data, c.End, out int length);
            return c.Data.AsSpan(c.End - header - length, length);
        }
    }

    public void PushHead(ReadOnlySpan<byte> value)
    {
        int size = EntrySize(value.Length);
        Chunk c;
        if (_chunkCount == 0 || !Fits(c = ChunkAt(0), size))
        {
            int capacity = ChunkCapacityFor(size);
            if (_chunkCount > 0)
            {
                var full = ChunkAt(0);
                full.Seal();
                capacity = Math.Max(capacity, full.End - full.Start);
            }

            c = NewChunk(capacity, atEnd: true);
            InsertChunk(0, c);
        }
        else if (c.Start < size)
        {
            c.MakeRoom(size, front: true);
        }

        c.Start -= size;
        WriteEntry(c.Data.AsSpan(c.Start, size), value);
        c.Count++;
        Count++;
    }

    public void PushTail(ReadOnlySpan<byte> value)
    {
        int size = EntrySize(value.Length);
        Chunk c;
        if (_chunkCount == 0 || !Fits(c = ChunkAt(_chunkCount - 1), size))
        {
            int capacity = ChunkCapacityFor(size);
            if (_chunkCount > 0)
            {
                var full = ChunkAt(_chunkCount - 1);
                full.Seal();
                capacity = Math.Max(capacity, full.End - full.Start);
            }

            c = NewChunk(capacity, atEnd: false);
            InsertChunk(_chunkCount, c);
        }
        else if (c.Data.Length - c.End < size)
        {
            c.MakeRoom(size, front: false);
        }

        WriteEntry(c.Data.AsSpan(c.End, size), value);
        c.End += size;
        c.Count++;
        Count++;
    }

    public void RemoveHead()
    {
        var c = ChunkAt(0);
        int header = ReadForward(c.Data, c.Start, out int length);
        c.Start += header * 2 + length;
        c.Count--;
        Count--;
        if (c.Count == 0)
        {
            RemoveChunk(0);
        }
    }

    public void RemoveTail()
    {
        var c = ChunkAt(_chunkCount - 1);
        int header = ReadBackward(c.Data, c.End, out int length);
        c.End -= header * 2 + length;
        c.Count--;
        Count--;
        if (c.Count == 0)
        {
            RemoveChunk(_chunkCount - 1);
        }
    }

    /// <summary>Removes <paramref name="n"/> elements from the head (LTRIM), dropping whole chunks when it can.</summary>
    public void RemoveHead(long n)
    {
        while (n > 0 && _chunkCount > 0 && ChunkAt(0).Count <= n)
        {
            n -= ChunkAt(0).Count;
            Count -= ChunkAt(0).Count;
            RemoveChunk(0);
        }

        for (; n > 0; n--)
        {
            RemoveHead();
        }
    }

    /// <summary>Removes <paramref name="n"/> elements from the tail.</summary>
    public void RemoveTail(long n)
    {
        while (n > 0 && _chunkCount > 0 && ChunkAt(_chunkCount - 1).Count <= n)
        {
            n -= ChunkAt(_chunkCount - 1).Count;
            Count -= ChunkAt(_chunkCount - 1).Count;
            RemoveChunk(_chunkCount - 1);
        }

        for (; n > 0; n--)
        {
            RemoveTail();
        }
    }

    /// <summary>The element at <paramref name="index"/> (0 ≤ index &lt; Count).</summary>
    public ReadOnlySpan<byte> Get(long index)
    {
        var (chunk, offset) = Locate(index);
        var c = ChunkAt(chunk);
        int header = ReadForward(c.Data, offset, out int length);
        return c.Data.AsSpan(offset + header, length);
    }

    /// <summary>Replaces the element at <paramref name="index"/> (0 ≤ index &lt; Count).</summary>
    public void Set(long index, ReadOnlySpan<byte> value)
    {
        var (chunk, offset) = Locate(index);
        var c = ChunkAt(chunk);
        int header = ReadForward(c.Data, offset, out int length);
        if (length == value.Length)
        {
            value.CopyTo(c.Data.AsSpan(offset + header));
            return;
        }

        Splice(chunk, offset, header * 2 + length, value, 0);
    }

    /// <summary>LINSERT: inserts before or after the first <paramref name="pivot"/>; false when there is none.</summary>
    public bool Insert(ReadOnlySpan<byte> pivot, bool after, ReadOnlySpan<byte> value)
    {
        for (int i = 0; i < _chunkCount; i++)
        {
            var c = ChunkAt(i);
            for (int p = c.Start; p < c.End;)
            {
                int header = ReadForward(c.Data, p, out int length);
                int next = p + header * 2 + length;
                if (c.Data.AsSpan(p + header, length).SequenceEqual(pivot))
                {
                    Splice(i, after ? next : p, 0, value, 1);
                    Count++;
                    return true;
                }

                p = next;
            }
        }

        return false;
    }

    /// <summary>
    /// LREM: removes elements equal to <paramref name="value"/>, skipping the first
    /// <paramref name="skip"/> matches and removing at most <paramref name="limit"/> (0 = no limit).
    /// </summary>
    public long RemoveMatches(ReadOnlySpan<byte> value, long skip, long limit)
    {
        long removed = 0;
        for (int i = 0; i < _chunkCount; i++)
        {
            var c = ChunkAt(i);
            int write = c.Start;
            for (int p = c.Start; p < c.End;)
            {
                int header = ReadForward(c.Data, p, out int length);
                int size = header * 2 + length;
                bool match = (limit == 0 || removed < limit) && c.Data.AsSpan(p + header, length).SequenceEqual(value);
                if (match && skip > 0)
                {
                    skip--;
                    match = false;
                }

                if (match)
                {
                    removed++;
                    c.Count--;
                }
                else
                {
                    if (write != p)
                    {
                        Buffer.BlockCopy(c.Data, p, c.Data, write, size);
                    }

                    write += size;
                }

                p += size;
            }

            c.End = write;
            if (c.Count == 0)
            {
                RemoveChunk(i);
                i--;
            }
        }

        Count -= removed;
        return removed;
    }

    /// <summary>Counts elements equal to <paramref name="value"/>.</summary>
    public long CountMatches(ReadOnlySpan<byte> value)
    {
        long matches = 0;
        var e = GetEnumerator(0, forward: true);
        while (e.MoveNext())
        {
            if (e.Current.SequenceEqual(value))
            {
                matches++;
            }
        }

        return matches;
    }

    /// <summary>Walks elements from <paramref name="index"/> toward the tail (or the head when not <paramref name="forward"/>).</summary>
    public Enumerator GetEnumerator(long index, bool forward)
    {
        if (index < 0 || index >= Count)
        {
            return new Enumerator(this, _chunkCount, 0, forward);
        }

        var (chunk, offset) = Locate(index);
        if (!forward)
        {
            // A backward walk keeps the end of the next entry to read.
            var c = ChunkAt(chunk);
            int header = ReadForward(c.Data, offset, out int length);
            offset += header * 2 + length;
        }

        return new Enumerator(this, chunk, offset, forward);
    }

    public ListValue Clone()
    {
        var copy = new ListValue();
        var e = GetEnumerator(0, forward: true);
        while (e.MoveNext())
        {
            copy.PushTail(e.Current);
        }

        return copy;
    }

    /// <summary>
    /// Bytes this list holds on the GC heap, as .NET lays it out on x64: this object (40), the chunk
    /// array (24 + 8 per slot) and each chunk (a 40-byte object and its array, 24 + length rounded to 8).
    /// O(chunks); maxmemory and MEMORY USAGE use it.
    /// </summary>
    public long AllocatedBytes
    {
        get
        {
            long total = 40 + 24 + (_chunks.Length * 8L);
            for (int i = 0; i < _chunkCount; i++)
            {
                total += 40 + 24 + ((ChunkAt(i).Data.Length + 7) & ~7);
            }

            return total;
        }
    }

    private (int Chunk, int Offset) Locate(long index)
    {
        int chunk;
        long within;
        if (index < Count / 2)
        {
            chunk = 0;
            within = index;
            while (within >= ChunkAt(chunk).Count)
            {
                within -= ChunkAt(chunk).Count;
                chunk++;
            }
        }
        else
        {
            chunk = _chunkCount - 1;
            long fromEnd = Count - 1 - index;
            while (fromEnd >= ChunkAt(chunk).Count)
            {
                fromEnd -= ChunkAt(chunk).Count;
                chunk--;
            }

            within = ChunkAt(chunk).Count - 1 - fromEnd;
        }

        var c = ChunkAt(chunk);
        if (within <= c.Count / 2)
        {
            int p = c.Start;
            for (long i = 0; i < within; i++)
            {
                int header = ReadForward(c.Data, p, out int length);
                p += header * 2 + length;
            }

            return (chunk, p);
        }

        int end = c.End;
        for (long i = c.Count - 1; i > within; i--)
        {
            int header = ReadBackward(c.Data, end, out int length);
            end -= header * 2 + length;
        }

        int h = ReadBackward(c.Data, end, out int l);
        return (chunk, end - h * 2 - l);
    }

    // Replaces removeBytes at offset in chunk with one entry for value (countDelta: entries added).
    private void Splice(int chunkIndex, int offset, int removeBytes, ReadOnlySpan<byte> value, int countDelta)
    {
        var c = ChunkAt(chunkIndex);
        int size = EntrySize(value.Length);
        int used = c.End - c.Start;
        int newUsed = used - removeBytes + size;
        var data = new byte[newUsed];
        int prefix = offset - c.Start;
        c.Data.AsSpan(c.Start, prefix).CopyTo(data);
        WriteEntry(data.AsSpan(prefix, size), value);
        c.Data.AsSpan(offset + removeBytes, c.End - offset - removeBytes).CopyTo(data.AsSpan(prefix + size));
        c.Data = data;
        c.Start = 0;
        c.End = newUsed;
        c.Count += countDelta;
        if ((newUsed > ChunkBytes || c.Count > ChunkEntries) && c.Count > 1)
        {
            Split(chunkIndex);
        }
    }

    // Splits an over-full chunk in two at the entry boundary nearest its middle.
    private void Split(int chunkIndex)
    {
        var c = ChunkAt(chunkIndex);
        int half = (c.End - c.Start) / 2;
        int p = c.Start;
        int n = 0;
        while (true)
        {
            int header = ReadForward(c.Data, p, out int length);
            int next = p + header * 2 + length;
            if (n > 0 && next - c.Start > half)
            {
                break;
            }

            p = next;
            n++;
            if (n == c.Count - 1)
            {
                break;
            }
        }

        var right = new Chunk(c.End - p, atEnd: false);
        c.Data.AsSpan(p, c.End - p).CopyTo(right.Data);
        right.End = c.End - p;
        right.Count = c.Count - n;
        var left = c.Data.AsSpan(c.Start, p - c.Start).ToArray();
        c.Data = left;
        c.Start = 0;
        c.End = left.Length;
        c.Count = n;
        InsertChunk(chunkIndex + 1, right);
    }

    private static bool Fits(Chunk c, int size) => c.End - c.Start + size <= ChunkBytes && c.Count < ChunkEntries;

    private static int ChunkCapacityFor(int size) => size >= FirstChunkBytes ? size : FirstChunkBytes;

    private void InsertChunk(int index, Chunk chunk)
    {
        if (_chunkCount == _chunks.Length)
        {
            var bigger = new Chunk[_chunks.Length * 2];
            for (int i = 0; i < _chunkCount; i++)
            {
                bigger[i] = ChunkAt(i);
            }

            _chunks = bigger;
            _head = 0;
        }

        int mask = _chunks.Length - 1;
        if (index == 0)
        {
            _head = (_head - 1) & mask;
            _chunks[_head] = chunk;
        }
        else
        {
            for (int i = _chunkCount; i > index; i--)
            {
                _chunks[(_head + i) & mask] = _chunks[(_head + i - 1) & mask];
            }

            _chunks[(_head + index) & mask] = chunk;
        }

        _chunkCount++;
    }

    private void RemoveChunk(int index)
    {
        int mask = _chunks.Length - 1;
        if (index == 0)
        {
            _chunks[_head] = null!;
            _head = (_head + 1) & mask;
        }
        else
        {
            for (int i = index; i < _chunkCount - 1; i++)
            {
                _chunks[(_head + i) & mask] = _chunks[(_head + i + 1) & mask];
            }

            _chunks[(_head + _chunkCount - 1) & mask] = null!;
        }

        _chunkCount--;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int VarLen(int n) => n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EntrySize(int length) => VarLen(length) * 2 + length;

    private static void WriteEntry(Span<byte> destination, ReadOnlySpan<byte> value)
    {
        int header = VarLen(value.Length);
        uint n = (uint)value.Length;
        int last = destination.Length - 1;
        for (int i = 0; i < header; i++)
        {
            byte b = (byte)((n & 0x7F) | (i < header - 1 ? 0x80u : 0));
            destination[i] = b;
            destination[last - i] = b;
            n >>= 7;
        }

        value.CopyTo(destination[header..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadForward(byte[] data, int position, out int length)
    {
        int b = data[position];
        if (b < 0x80)
        {
            length = b;
            return 1;
        }

        int value = b & 0x7F;
        int shift = 7;
        int i = 1;
        do
        {
            b = data[position + i++];
            value |= (b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);

        length = value;
        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadBackward(byte[] data, int end, out int length)
    {
        int b = data[end - 1];
        if (b < 0x80)
        {
            length = b;
            return 1;
        }

        int value = b & 0x7F;
        int shift = 7;
        int i = 1;
        do
        {
            b = data[end - 1 - i++];
            value |= (b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);

        length = value;
        return i;
    }

    /// <summary>A walk over elements in one direction; <see cref="Current"/> is valid until the list changes.</summary>
    public ref struct Enumerator
    {
        private readonly ListValue _list;
        private readonly bool _forward;
        private int _chunk;
        private int _offset;

        internal Enumerator(ListValue list, int chunk, int offset, bool forward)
        {
            _list = list;
            _chunk = chunk;
            _offset = offset;
            _forward = forward;
        }

        public ReadOnlySpan<byte> Current { get; private set; }

        public bool MoveNext()
        {
            if (_chunk < 0 || _chunk >= _list._chunkCount)
            {
                return false;
            }

            var c = _list.ChunkAt(_chunk);
            if (_forward)
            {
                int header = ReadForward(c.Data, _offset, out int length);
                Current = c.Data.AsSpan(_offset + header, length);
                _offset += header * 2 + length;
                if (_offset >= c.End && ++_chunk < _list._chunkCount)
                {
                    _offset = _list.ChunkAt(_chunk).Start;
                }
            }
            else
            {
                int header = ReadBackward(c.Data, _offset, out int length);
                _offset -= header * 2 + length;
                Current = c.Data.AsSpan(_offset + header, length);
                if (_offset <= c.Start && --_chunk >= 0)
                {
                    _offset = _list.ChunkAt(_chunk).End;
                }
            }

            return true;
        }
    }

    private sealed class Chunk
    {
        public byte[] Data;
        public int Start;
        public int End;
        public int Count;

        public Chunk(int capacity, bool atEnd)
        {
            Data = ValuePool.RentArray(capacity);
            Start = End = atEnd ? Data.Length : 0;
        }

        public void Reset(byte[] data, bool atEnd)
        {
            Data = data;
            Start = End = atEnd ? data.Length : 0;
            Count = 0;
        }

        /// <summary>Makes room for <paramref name="size"/> more bytes at one end: double the array (up to the chunk limit) or move the contents.</summary>
        public void MakeRoom(int size, bool front)
        {
            int used = End - Start;
            int capacity = Data.Length;
            if (used + size > capacity)
            {
                capacity = Math.Max(capacity * 2, used + size);
                capacity = Math.Min(capacity, Math.Max(ChunkBytes, used + size));
            }

            var data = capacity == Data.Length ? Data : ValuePool.RentArray(capacity);
            int start = front ? data.Length - used : 0;
            Buffer.BlockCopy(Data, Start, data, start, used);
            Data = data;
            Start = start;
            End = start + used;
        }

        /// <summary>A chunk no longer at an end trims its slack, so sealed chunks cost what they hold.</summary>
        public void Seal()
        {
            int used = End - Start;
            if (Data.Length - used > used / 8)
            {
                var data = new byte[used];
                Buffer.BlockCopy(Data, Start, data, 0, used);
                Data = data;
                Start = 0;
                End = used;
            }
        }
    }
}
