using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kv.Protocol;

namespace Kv.Server.Storage;

/// <summary>
/// A hash set of byte strings, laid out for memory first: one 12-byte slot and one 4-byte bucket per
/// member, the bytes packed (length-prefixed) into shared pages rather than one array object each, and
/// members that are canonical integers (Redis's string2ll) held in the slot itself with no bytes at all.
/// That keeps a million small members near Redis's dict+sds footprint, where a byte[] per member would
/// pay a 24-byte object header on top.
/// </summary>
/// <remarks>
/// Slots live in fixed-size chunks, so growing never copies them (only the bucket array is rebuilt)
/// and a slot index is stable while its member lives: SSCAN's cursor is a slot index and a random
/// member is a random live slot. When the table gets sparse (Redis's htNeedsResize) it is rebuilt
/// smaller, which renumbers slots.
/// </remarks>
internal sealed class MemberTable
{
    private const int MaxPageSize = 64 * 1024;
    private const int MinPageSize = 64;

    // Members this long get a page of their own, so a big member never leaves a half-empty shared page.
    private const int OwnPageThreshold = MaxPageSize / 8;

    private const int ChunkShift = 13;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private const int IndexMask = 0x3FFFFFFF;
    private const int IntegerFlag = 0x40000000;
    private const int FreeFlag = unchecked((int)0x80000000);

    private int[] _buckets;
    private Slot[][] _chunks;
    private int _capacity;
    private int _used;
    private int _freeList = -1;
    private int _freeCount;

    private byte[]?[] _pages;
    private int _pageCount;
    private int _currentPage = -1;
    private int _pageOffset;
    private long _liveBytes;
    private long _deadBytes;
    private int _releasedPages;

    public MemberTable(int capacity = 4)
    {
        _pages = [];
        _chunks = [];
        Allocate(capacity);
        _buckets = new int[_capacity];
    }

    private MemberTable(MemberTable source)
    {
        _buckets = (int[])source._buckets.Clone();
        _chunks = new Slot[source._chunks.Length][];
        for (int i = 0; i < _chunks.Length; i++)
        {
            _chunks[i] = (Slot[])source._chunks[i].Clone();
        }

        _capacity = source._capacity;
        _used = source._used;
        _freeList = source._freeList;
        _freeCount = source._freeCount;
        _pages = new byte[]?[source._pages.Length];
        for (int i = 0; i < source._pageCount; i++)
        {
            _pages[i] = (byte[]?)source._pages[i]?.Clone();
        }

        _pageCount = source._pageCount;
        _currentPage = source._currentPage;
        _pageOffset = source._pageOffset;
        _liveBytes = source._liveBytes;
        _deadBytes = source._deadBytes;
        _releasedPages = source._releasedPages;
    }

    public int Count => _used - _freeCount;

    /// <summary>Upper bound (exclusive) of slot indices: the SSCAN cursor space.</summary>
    public int IndexLimit => _used;

    public MemberTable Clone() => new(this);

    /// <summary>Bytes of the table object and every array it holds (buckets, slot chunks, pages): O(chunks + pages).</summary>
    public long AllocatedBytes
    {
        get
        {
            long total = 88 + 24 + (4L * _buckets.Length) + 24 + (8L * _chunks.Length) + 24 + (8L * _pages.Length);
            foreach (var chunk in _chunks)
            {
                total += 24 + (12L * chunk.Length);
            }

            for (int i = 0; i < _pageCount; i++)
            {
                if (_pages[i] is { } page)
                {
                    total += 24 + page.Length;
                }
            }

            return total;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLive(int index) => (SlotAt(index).Next & FreeFlag) == 0;

    /// <summary>True when the member at <paramref name="index"/> is held as an integer (then <paramref name="value"/> is it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetInteger(int index, out long value)
    {
        ref var slot = ref SlotAt(index);
        value = slot.Ref;
        return (slot.Next & IntegerFlag) != 0;
    }

    /// <summary>The bytes of a member not held as an integer.</summary>
    public ReadOnlySpan<byte> BytesAt(int index) => Read(SlotAt(index).Ref);

    /// <summary>The member at <paramref name="index"/> as bytes; integers are formatted into <paramref name="scratch"/> (20 bytes).</summary>
    public ReadOnlySpan<byte> MemberAt(int index, Span<byte> scratch)
    {
        ref var slot = ref SlotAt(index);
        if ((slot.Next & IntegerFlag) != 0)
        {
            return scratch[..RespNumber.FormatInt64(slot.Ref, scratch)];
        }

        return Read(slot.Ref);
    }

    public bool Contains(ReadOnlySpan<byte> member) => Find(member) >= 0;

    public bool ContainsInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        return FindInteger(value, Hash(digits[..RespNumber.FormatInt64(value, digits)])) >= 0;
    }

    /// <summary>Adds <paramref name="member"/>; false when it was there already.</summary>
    public bool Add(ReadOnlySpan<byte> member)
    {
        int hash = Hash(member);
        if (RespNumber.TryParseInt64(member, out long value))
        {
            if (FindInteger(value, hash) >= 0)
            {
                return false;
            }

            Insert(value, IntegerFlag, hash);
            return true;
        }

        if (FindBytes(member, hash) >= 0)
        {
            return false;
        }

        Insert(Append(member), 0, hash);
        return true;
    }

    /// <summary>Adds an integer member (hashed as its decimal string); false when it was there already.</summary>
    public bool AddInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        int hash = Hash(digits[..RespNumber.FormatInt64(value, digits)]);
        if (FindInteger(value, hash) >= 0)
        {
            return false;
        }

        Insert(value, IntegerFlag, hash);
        return true;
    }

    /// <summary>Removes <paramref name="member"/>; false when it was not there.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        int index = Find(member);
        if (index < 0)
        {
            return false;
        }

        RemoveAt(index);
        return true;
    }

    /// <summary>Removes the member at a live <paramref name="index"/>. May renumber slots (shrink) afterwards.</summary>
    public void RemoveAt(int index)
    {
        Unlink(index);
        MaybeShrink();
        MaybeCompactPages();
    }

    /// <summary>A random live slot index, or -1 when empty.</summary>
    public int RandomIndex(Random random)
    {
        if (Count == 0)
        {
            return -1;
        }

        // The table shrinks below 1/8 full, so a probe hits a live slot at least one time in eight.
        while (true)
        {
            int i = random.Next(_used);
            if (IsLive(i))
            {
                return i;
            }
        }
    }

    /// <summary>Index of the member, or -1. Integers are only ever stored as integers, so one kind is searched.</summary>
    public int Find(ReadOnlySpan<byte> member)
    {
        int hash = Hash(member);
        return RespNumber.TryParseInt64(member, out long value) ? FindInteger(value, hash) : FindBytes(member, hash);
    }

    private static int Hash(ReadOnlySpan<byte> member) => KeyTable.Hash(member);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Slot SlotAt(int index) => ref _chunks[index >> ChunkShift][index & ChunkMask];

    private int FindBytes(ReadOnlySpan<byte> member, int hash)
    {
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref var slot = ref SlotAt(i);
            if ((slot.Next & IntegerFlag) == 0 && Read(slot.Ref).SequenceEqual(member))
            {
                return i;
            }

            i = (slot.Next & IndexMask) - 1;
        }

        return -1;
    }

    private int FindInteger(long value, int hash)
    {
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while (i >= 0)
        {
            ref var slot = ref SlotAt(i);
            if ((slot.Next & IntegerFlag) != 0 && slot.Ref == value)
            {
                return i;
            }

            i = (slot.Next & IndexMask) - 1;
        }

        return -1;
    }

    private int HashAt(int index)
    {
        ref var slot = ref SlotAt(index);
        if ((slot.Next & IntegerFlag) != 0)
        {
            Span<byte> digits = stackalloc byte[20];
            return Hash(digits[..RespNumber.FormatInt64(slot.Ref, digits)]);
        }

        return Hash(Read(slot.Ref));
    }

    private void Insert(long reference, int flag, int hash)
    {
        int index;
        if (_freeCount > 0)
        {
            index = _freeList;
            _freeList = (SlotAt(index).Next & IndexMask) - 1;
            _freeCount--;
        }
        else
        {
            if (_used == _capacity)
            {
                Allocate(_capacity * 2);
                RebuildBuckets();
            }

            index = _used++;
        }

        ref int bucket = ref _buckets[hash & (_buckets.Length - 1)];
        ref var slot = ref SlotAt(index);
        slot.Ref = reference;
        slot.Next = bucket | flag;
        bucket = index + 1;
    }

    // Grows the slot space to `capacity` (a power of two): the first chunk doubles up to a full chunk,
    // then whole chunks are added; existing slots never move.
    private void Allocate(int capacity)
    {
        capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 4));
        if (capacity <= ChunkSize)
        {
            var first = new Slot[capacity];
            if (_chunks.Length > 0)
            {
                _chunks[0].AsSpan(0, _used).CopyTo(first);
                _chunks[0] = first;
            }
            else
            {
                _chunks = [first];
            }
        }
        else
        {
            if (_chunks.Length > 0 && _chunks[0].Length < ChunkSize)
            {
                var first = new Slot[ChunkSize];
                _chunks[0].AsSpan(0, _used).CopyTo(first);
                _chunks[0] = first;
            }

            int chunks = capacity >> ChunkShift;
            int had = _chunks.Length;
            Array.Resize(ref _chunks, chunks);
            for (int i = had; i < chunks; i++)
            {
                _chunks[i] = new Slot[ChunkSize];
            }
        }

        _capacity = capacity;
    }

    private void RebuildBuckets()
    {
        var buckets = new int[_capacity];
        int mask = buckets.Length - 1;
        for (int i = 0; i < _used; i++)
        {
            ref var slot = ref SlotAt(i);
            if ((slot.Next & FreeFlag) != 0)
            {
                continue;
            }

            ref int bucket = ref buckets[HashAt(i) & mask];
            slot.Next = bucket | (slot.Next & IntegerFlag);
            bucket = i + 1;
        }

        _buckets = buckets;
    }

    private void Unlink(int index)
    {
        ref var slot = ref SlotAt(index);
        ref int bucket = ref _buckets[HashAt(index) & (_buckets.Length - 1)];
        int i = bucket - 1, last = -1;
        while (i != index)
        {
            last = i;
            i = (SlotAt(i).Next & IndexMask) - 1;
        }

        int next = slot.Next & IndexMask;
        if (last < 0)
        {
            bucket = next;
        }
        else
        {
            ref var previous = ref SlotAt(last);
            previous.Next = (previous.Next & ~IndexMask) | next;
        }

        if ((slot.Next & IntegerFlag) == 0)
        {
            Release(slot.Ref);
        }

        slot.Ref = 0;
        slot.Next = FreeFlag | (_freeList + 1);
        _freeList = index;
        _freeCount++;
    }

    // Redis's dict shrinks when it is less than 10% full; below 1/8 we rebuild at the smallest power
    // of two that holds the members, so random probes stay cheap and memory returns.
    private void MaybeShrink()
    {
        int count = Count;
        if (_capacity <= 16 || count >= _capacity / 8)
        {
            return;
        }

        var oldChunks = _chunks;
        int oldUsed = _used;
        _chunks = [];
        _used = 0;
        _freeList = -1;
        _freeCount = 0;
        Allocate(count * 2);
        for (int i = 0; i < oldUsed; i++)
        {
            ref var old = ref oldChunks[i >> ChunkShift][i & ChunkMask];
            if ((old.Next & FreeFlag) == 0)
            {
                ref var slot = ref SlotAt(_used++);
                slot.Ref = old.Ref;
                slot.Next = old.Next & IntegerFlag;
            }
        }

        RebuildBuckets();
    }

    // Member bytes: pages of up to 64 KB growing geometrically (a small set gets a small page), each
    // member written as a LEB128 length then its bytes. A reference is (page << 32) | offset.
    private long Append(ReadOnlySpan<byte> member)
    {
        int need = VarIntLength(member.Length) + member.Length;
        if (member.Length >= OwnPageThreshold)
        {
            var own = new byte[need];
            Write(own, 0, member);
            _liveBytes += need;
            return (long)AddPage(own) << 32;
        }

        if (_currentPage < 0 || _pages[_currentPage]!.Length - _pageOffset < need)
        {
            int size = (int)Math.Min(MaxPageSize, BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinPageSize, Math.Max(need, _liveBytes))));
            _currentPage = AddPage(new byte[size]);
            _pageOffset = 0;
        }

        int offset = _pageOffset;
        Write(_pages[_currentPage]!, offset, member);
        _pageOffset += need;
        _liveBytes += need;
        return ((long)_currentPage << 32) | (uint)offset;
    }

    private int AddPage(byte[] page)
    {
        if (_pageCount == _pages.Length)
        {
            Array.Resize(ref _pages, Math.Max(4, _pages.Length * 2));
        }

        _pages[_pageCount] = page;
        return _pageCount++;
    }

    private void Release(long reference)
    {
        var page = _pages[(int)(reference >> 32)]!;
        int offset = (int)reference;
        int length = ReadVarInt(page, ref offset);
        int size = offset - (int)reference + length;
        _liveBytes -= size;
        if (length >= OwnPageThreshold)
        {
            _pages[(int)(reference >> 32)] = null;
            _releasedPages++;
        }
        else
        {
            _deadBytes += size;
        }
    }

    // Freed bytes stay in their pages until they outweigh the live ones; then every member is
    // copied into fresh pages (slots keep their indices), so the work is amortized O(1) per removal.
    private void MaybeCompactPages()
    {
        bool holesInPageTable = _releasedPages > 16 && _releasedPages > _pageCount / 2;
        if ((_deadBytes <= MinPageSize || _deadBytes <= _liveBytes) && !holesInPageTable)
        {
            return;
        }

        var oldPages = _pages;
        int oldCount = _pageCount;
        _pages = [];
        _pageCount = 0;
        _currentPage = -1;
        _pageOffset = 0;
        _liveBytes = 0;
        _deadBytes = 0;
        _releasedPages = 0;
        for (int i = 0; i < _used; i++)
        {
            ref var slot = ref SlotAt(i);
            if ((slot.Next & (FreeFlag | IntegerFlag)) != 0)
            {
                continue;
            }

            slot.Ref = Append(Read(oldPages, slot.Ref));
        }

        Array.Clear(oldPages, 0, oldCount);
    }

    private ReadOnlySpan<byte> Read(long reference) => Read(_pages, reference);

    private static ReadOnlySpan<byte> Read(byte[]?[] pages, long reference)
    {
        var page = pages[(int)(reference >> 32)]!;
        int offset = (int)reference;
        int length = ReadVarInt(page, ref offset);
        return new ReadOnlySpan<byte>(page, offset, length);
    }

    private static void Write(byte[] page, int offset, ReadOnlySpan<byte> member)
    {
        uint length = (uint)member.Length;
        while (length >= 0x80)
        {
            page[offset++] = (byte)(length | 0x80);
            length >>= 7;
        }

        page[offset++] = (byte)length;
        member.CopyTo(page.AsSpan(offset));
    }

    private static int ReadVarInt(byte[] page, ref int offset)
    {
        int value = 0, shift = 0;
        while (true)
        {
            byte b = page[offset++];
            value |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }

            shift += 7;
        }
    }

    private static int VarIntLength(int length) => length < 0x80 ? 1 : length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct Slot
    {
        /// <summary>The integer itself (integer members) or the page reference of the bytes.</summary>
        public long Ref;

        /// <summary>The next slot of the bucket chain plus one (0 ends it; for a free slot the next free one), and the flags.</summary>
        public int Next;
    }
}
