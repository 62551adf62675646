using System.Numerics;
using System.Runtime.CompilerServices;
using Kv.Protocol;

namespace Kv.Server.Storage;

/// <summary>
/// A hash set of byte strings, laid out for memory first: one 16-byte slot and one 4-byte bucket per
/// member, the bytes packed (length-prefixed) into shared pages rather than one array object each, and
/// members that are canonical integers (Redis's string2ll) held in the slot itself with no bytes at all.
/// That keeps a million small members near Redis's dict+sds footprint, where a byte[] per member would
/// pay a 24-byte object header on top.
/// </summary>
/// <remarks>
/// Slot indices are stable while a member lives (as <see cref="KeyTable"/>'s entries), so SSCAN's cursor is
/// a slot index and random members are random live slots. The slot array shrinks when the table gets
/// sparse (Redis's htNeedsResize), which renumbers slots.
/// </remarks>
internal sealed class MemberTable
{
    private const int MaxPageSize = 64 * 1024;
    private const int MinPageSize = 64;

    // Members this long get a page of their own, so a big member never leaves a half-empty shared page.
    private const int OwnPageThreshold = MaxPageSize / 8;

    private const int HashMask = 0x3FFFFFFF;
    private const int IntegerFlag = 0x40000000;
    private const int FreeSlot = -1;

    private int[] _buckets;
    private Slot[] _slots;
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
        capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 4));
        _buckets = new int[capacity];
        _slots = new Slot[capacity];
        _pages = [];
    }

    private MemberTable(MemberTable source)
    {
        _buckets = (int[])source._buckets.Clone();
        _slots = (Slot[])source._slots.Clone();
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsLive(int index) => _slots[index].Hash != FreeSlot;

    /// <summary>True when the member at <paramref name="index"/> is held as an integer (then <paramref name="value"/> is it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetInteger(int index, out long value)
    {
        ref var slot = ref _slots[index];
        value = slot.Ref;
        return (slot.Hash & IntegerFlag) != 0;
    }

    /// <summary>The bytes of a member not held as an integer.</summary>
    public ReadOnlySpan<byte> BytesAt(int index) => Read(_slots[index].Ref);

    /// <summary>The member at <paramref name="index"/> as bytes; integers are formatted into <paramref name="scratch"/> (20 bytes).</summary>
    public ReadOnlySpan<byte> MemberAt(int index, Span<byte> scratch)
    {
        ref var slot = ref _slots[index];
        if ((slot.Hash & IntegerFlag) != 0)
        {
            int n = RespNumber.FormatInt64(slot.Ref, scratch);
            return scratch[..n];
        }

        return Read(slot.Ref);
    }

    public bool Contains(ReadOnlySpan<byte> member) => Find(member, Hash(member)) >= 0;

    public bool ContainsInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        int n = RespNumber.FormatInt64(value, digits);
        return Find(digits[..n], Hash(digits[..n])) >= 0;
    }

    /// <summary>Adds <paramref name="member"/>; false when it was there already.</summary>
    public bool Add(ReadOnlySpan<byte> member)
    {
        int hash = Hash(member);
        if (Find(member, hash) >= 0)
        {
            return false;
        }

        if (RespNumber.TryParseInt64(member, out long value))
        {
            Insert(value, hash | IntegerFlag);
        }
        else
        {
            Insert(Append(member), hash);
        }

        return true;
    }

    /// <summary>Adds an integer member (stored as its decimal string would be); false when it was there already.</summary>
    public bool AddInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        var text = digits[..RespNumber.FormatInt64(value, digits)];
        int hash = Hash(text);
        if (Find(text, hash) >= 0)
        {
            return false;
        }

        Insert(value, hash | IntegerFlag);
        return true;
    }

    /// <summary>Removes <paramref name="member"/>; false when it was not there.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        int index = Find(member, Hash(member));
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
            if (_slots[i].Hash != FreeSlot)
            {
                return i;
            }
        }
    }

    /// <summary>Index of the member, or -1.</summary>
    public int Find(ReadOnlySpan<byte> member) => Find(member, Hash(member));

    private static int Hash(ReadOnlySpan<byte> member) => KeyTable.Hash(member) & HashMask;

    private int Find(ReadOnlySpan<byte> member, int hash)
    {
        var slots = _slots;
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while ((uint)i < (uint)slots.Length)
        {
            ref var slot = ref slots[i];
            if ((slot.Hash & HashMask) == hash && Equals(in slot, member))
            {
                return i;
            }

            i = slot.Next;
        }

        return -1;
    }

    private bool Equals(in Slot slot, ReadOnlySpan<byte> member)
    {
        if ((slot.Hash & IntegerFlag) != 0)
        {
            return RespNumber.TryParseInt64(member, out long value) && value == slot.Ref;
        }

        return Read(slot.Ref).SequenceEqual(member);
    }

    private void Insert(long reference, int hashAndFlag)
    {
        int index;
        if (_freeCount > 0)
        {
            index = _freeList;
            _freeList = _slots[index].Next;
            _freeCount--;
        }
        else
        {
            if (_used == _slots.Length)
            {
                Resize(_slots.Length * 2);
            }

            index = _used++;
        }

        ref int bucket = ref _buckets[hashAndFlag & HashMask & (_buckets.Length - 1)];
        ref var slot = ref _slots[index];
        slot.Ref = reference;
        slot.Hash = hashAndFlag;
        slot.Next = bucket - 1;
        bucket = index + 1;
    }

    private void Unlink(int index)
    {
        ref var slot = ref _slots[index];
        ref int bucket = ref _buckets[slot.Hash & HashMask & (_buckets.Length - 1)];
        int i = bucket - 1, last = -1;
        while (i != index)
        {
            last = i;
            i = _slots[i].Next;
        }

        if (last < 0)
        {
            bucket = slot.Next + 1;
        }
        else
        {
            _slots[last].Next = slot.Next;
        }

        if ((slot.Hash & IntegerFlag) == 0)
        {
            Release(slot.Ref);
        }

        slot.Hash = FreeSlot;
        slot.Ref = 0;
        slot.Next = _freeList;
        _freeList = index;
        _freeCount++;
    }

    // Redis's dict shrinks when it is less than 10% full; below 1/8 we rebuild at the smallest power
    // of two that holds the members, so random probes stay cheap and memory returns.
    private void MaybeShrink()
    {
        int count = Count;
        if (_slots.Length > 16 && count < _slots.Length / 8)
        {
            Resize((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(count * 2, 4)));
        }
    }

    // Rebuilds the slot array at `size`, keeping live slots in their order and packing them to the front.
    private void Resize(int size)
    {
        var slots = new Slot[size];
        var buckets = new int[size];
        int used = 0;
        for (int i = 0; i < _used; i++)
        {
            ref var old = ref _slots[i];
            if (old.Hash == FreeSlot)
            {
                continue;
            }

            ref var slot = ref slots[used];
            slot.Ref = old.Ref;
            slot.Hash = old.Hash;
            ref int bucket = ref buckets[old.Hash & HashMask & (size - 1)];
            slot.Next = bucket - 1;
            bucket = used + 1;
            used++;
        }

        _slots = slots;
        _buckets = buckets;
        _used = used;
        _freeList = -1;
        _freeCount = 0;
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
            ref var slot = ref _slots[i];
            if (slot.Hash == FreeSlot || (slot.Hash & IntegerFlag) != 0)
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

    private struct Slot
    {
        /// <summary>The integer itself (integer members) or the page reference of the bytes.</summary>
        public long Ref;

        /// <summary>Hash of the member's bytes in the low 30 bits, <see cref="IntegerFlag"/>, or <see cref="FreeSlot"/>.</summary>
        public int Hash;

        /// <summary>Next slot in the bucket chain (-1 ends it); for a free slot the next free one.</summary>
        public int Next;
    }
}
