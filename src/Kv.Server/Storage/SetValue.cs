using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kv.Protocol;

namespace Kv.Server.Storage;

/// <summary>
/// A Redis set with Redis 7.0's two encodings: an intset (a sorted array of integers, iterated in
/// ascending order as Redis's intset is) while every member is an integer and there are at most
/// <c>set-max-intset-entries</c> of them, and a hashtable after that, for good — Redis 7.0 never
/// converts back (and has no listpack sets; that came with 7.2).
/// </summary>
/// <remarks>
/// <para>
/// Physically there are three forms in one byte array or a table: the intset (8-byte integers), a
/// compact array of <c>[LEB128 length][member]</c> in insertion order for a small "hashtable" set (at
/// most <see cref="MaxCompactCount"/> members of at most <see cref="MaxCompactMember"/> bytes, scanned
/// linearly — Redis 7.2's listpack sets, kept small enough that a scan beats hashing), and a
/// <see cref="MemberTable"/> past that, for good. A set of three short strings is then one array
/// instead of a table's buckets, slots and pages; OBJECT ENCODING still says what Redis 7.0 says.
/// </para>
/// <para>
/// Members are addressed by position: an index into the intset or compact array (a cursor — the last
/// position located and its offset — makes a walk in order O(1) per step), or a slot index of the
/// table (positions below <see cref="PositionLimit"/> that are not <see cref="IsLive"/> are free slots).
/// </para>
/// </remarks>
internal sealed class SetValue
{
    /// <summary>The compact form holds at most this many members (Redis 7.2's set-max-listpack-entries default).</summary>
    public const int MaxCompactCount = 128;

    /// <summary>The compact form holds members of at most this many bytes (Redis 7.2's set-max-listpack-value default).</summary>
    public const int MaxCompactMember = 64;

    // The intset or compact array (byte[]) or the table (MemberTable): one reference keeps the object small.
    private object _store = Array.Empty<byte>();
    private int _count;
    private ushort _length;
    private ushort _cursorIndex;
    private ushort _cursorOffset;
    private bool _isCompact;

    /// <summary>An empty intset, as Redis's createIntsetObject (the start of every set-algebra result).</summary>
    public SetValue()
    {
    }

    private MemberTable? Table => _store as MemberTable;

    private byte[] Data => (byte[])_store;

    public bool IsIntset => Table is null && !_isCompact;

    /// <summary>True while the members are in one array (intset or compact): SSCAN returns them all at once.</summary>
    public bool IsSmall => Table is null;

    public int Count => Table?.Count ?? _count;

    /// <summary>What OBJECT ENCODING replies.</summary>
    public string Encoding => IsIntset ? "intset" : "hashtable";

    public int PositionLimit => Table?.IndexLimit ?? _count;

    /// <summary>
    /// Bytes this set holds on the GC heap, as .NET lays it out on x64: this object (40) and the intset or
    /// compact array (24 + length rounded to 8), or the table's. maxmemory and MEMORY USAGE use it.
    /// </summary>
    public long AllocatedBytes => 40 + (_store is MemberTable table ? table.AllocatedBytes : Data.Length == 0 ? 0 : 24 + Data.Length);

    private Span<long> Ints => MemoryMarshal.Cast<byte, long>(Data.AsSpan(0, _count * 8));

    /// <summary>Redis's setTypeCreate: an intset when the first member is an integer, else a hashtable.</summary>
    public static SetValue CreateFor(ReadOnlySpan<byte> firstMember) =>
        RespNumber.TryParseInt64(firstMember, out _) ? Create(compact: false) : Create(compact: true);

    // An empty set, one dropped from a keyspace when the pool has one (ValuePool).
    private static SetValue Create(bool compact)
    {
        var set = ValuePool.TakeSet() ?? new SetValue();
        set._isCompact = compact;
        return set;
    }

    /// <summary>Empties a set the keyspace dropped, for <see cref="ValuePool"/>: its array goes back to the pool.</summary>
    internal void Recycle()
    {
        if (_store is byte[] data)
        {
            ValuePool.ReturnArray(data);
        }

        _store = Array.Empty<byte>();
        _count = 0;
        _length = 0;
        _cursorIndex = 0;
        _cursorOffset = 0;
        _isCompact = false;
    }

    /// <summary>
    /// Bytes of the set held in its key's block (<see cref="InlineValue"/>): which array form, the member count
    /// and the array; -1 for a table.
    /// </summary>
    internal int InlineLength => _store is byte[] ? 3 + (_isCompact ? _length : _count * 8) : -1;

    /// <summary>Writes the form <see cref="InlineLength"/> measures.</summary>
    internal void WriteInline(Span<byte> target)
    {
        target[0] = _isCompact ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(target[1..], (ushort)_count);
        Data.AsSpan(0, target.Length - 3).CopyTo(target[3..]);
    }

    /// <summary>
    /// The set <see cref="WriteInline"/> wrote: from the pool for the keyspace (<paramref name="pooled"/>), or a
    /// copy of its own for a reader outside it (a save).
    /// </summary>
    internal static SetValue FromInline(ReadOnlySpan<byte> inline, bool pooled)
    {
        var set = pooled ? Create(compact: inline[0] != 0) : new SetValue { _isCompact = inline[0] != 0 };
        int length = inline.Length - 3;
        if (length > 0)
        {
            var data = pooled ? ValuePool.RentArray(length) : new byte[length];
            inline[3..].CopyTo(data);
            set._store = data;
        }

        set._count = BinaryPrimitives.ReadUInt16LittleEndian(inline[1..]);
        set._length = set._isCompact ? (ushort)length : (ushort)0;
        return set;
    }

    public SetValue Clone()
    {
        var copy = new SetValue { _isCompact = _isCompact };
        if (_store is MemberTable table)
        {
            copy._store = table.Clone();
        }
        else
        {
            copy._store = Data.AsSpan(0, _isCompact ? _length : _count * 8).ToArray();
            copy._count = _count;
            copy._length = _length;
        }

        return copy;
    }

    public bool IsLive(int position) => _store is not MemberTable table || table.IsLive(position);

    /// <summary>True when the member at <paramref name="position"/> is an integer held as one.</summary>
    public bool TryGetInteger(int position, out long value)
    {
        if (_store is MemberTable table)
        {
            return table.TryGetInteger(position, out value);
        }

        if (_isCompact)
        {
            value = 0;
            return false;
        }

        value = Ints[position];
        return true;
    }

    /// <summary>The bytes of a member that <see cref="TryGetInteger"/> said is not held as an integer.</summary>
    public ReadOnlySpan<byte> BytesAt(int position)
    {
        if (_store is MemberTable table)
        {
            return table.BytesAt(position);
        }

        int at = Locate(position);
        int length = ReadLength(Data, ref at);
        return Data.AsSpan(at, length);
    }

    /// <summary>The member at <paramref name="position"/>; integers are formatted into <paramref name="scratch"/> (20 bytes).</summary>
    public ReadOnlySpan<byte> MemberAt(int position, Span<byte> scratch)
    {
        if (_store is MemberTable table)
        {
            return table.MemberAt(position, scratch);
        }

        if (_isCompact)
        {
            return BytesAt(position);
        }

        return scratch[..RespNumber.FormatInt64(Ints[position], scratch)];
    }

    /// <summary>Replies the member at <paramref name="position"/> as a bulk string.</summary>
    public void WriteMember(RespWriter reply, int position)
    {
        if (TryGetInteger(position, out long value))
        {
            reply.BulkInteger(value);
        }
        else
        {
            reply.Bulk(BytesAt(position));
        }
    }

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (_store is MemberTable table)
        {
            return table.Contains(member);
        }

        if (_isCompact)
        {
            return IndexOfMember(member) >= 0;
        }

        return RespNumber.TryParseInt64(member, out long value) && IndexOf(value) >= 0;
    }

    public bool ContainsInteger(long value)
    {
        if (_store is MemberTable table)
        {
            return table.ContainsInteger(value);
        }

        if (_isCompact)
        {
            Span<byte> digits = stackalloc byte[20];
            return IndexOfMember(digits[..RespNumber.FormatInt64(value, digits)]) >= 0;
        }

        return IndexOf(value) >= 0;
    }

    /// <summary>True when the member at <paramref name="position"/> of <paramref name="other"/> is in this set.</summary>
    public bool ContainsMemberOf(SetValue other, int position) =>
        other.TryGetInteger(position, out long value) ? ContainsInteger(value) : Contains(other.BytesAt(position));

    /// <summary>Redis's setTypeAdd: adds a member, converting to a hashtable when it is not an integer or the intset grows past <paramref name="maxIntsetEntries"/>.</summary>
    public bool Add(ReadOnlySpan<byte> member, int maxIntsetEntries)
    {
        if (_store is MemberTable table)
        {
            return table.Add(member);
        }

        if (_isCompact)
        {
            return AddToCompact(member);
        }

        if (RespNumber.TryParseInt64(member, out long value))
        {
            return AddToIntset(value, maxIntsetEntries);
        }

        ConvertFromIntset();
        return Add(member, maxIntsetEntries);
    }

    public bool AddInteger(long value, int maxIntsetEntries)
    {
        if (_store is MemberTable table)
        {
            return table.AddInteger(value);
        }

        if (_isCompact)
        {
            Span<byte> digits = stackalloc byte[20];
            return AddToCompact(digits[..RespNumber.FormatInt64(value, digits)]);
        }

        return AddToIntset(value, maxIntsetEntries);
    }

    /// <summary>Adds the member at <paramref name="position"/> of <paramref name="other"/>.</summary>
    public bool AddMemberOf(SetValue other, int position, int maxIntsetEntries) =>
        other.TryGetInteger(position, out long value) ? AddInteger(value, maxIntsetEntries) : Add(other.BytesAt(position), maxIntsetEntries);

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_store is MemberTable table)
        {
            return table.Remove(member);
        }

        int position;
        if (_isCompact)
        {
            position = IndexOfMember(member);
        }
        else
        {
            position = RespNumber.TryParseInt64(member, out long value) ? IndexOf(value) : -1;
        }

        if (position < 0)
        {
            return false;
        }

        RemoveAt(position);
        return true;
    }

    public bool RemoveInteger(long value)
    {
        if (Table is not null || _isCompact)
        {
            Span<byte> digits = stackalloc byte[20];
            return Remove(digits[..RespNumber.FormatInt64(value, digits)]);
        }

        int index = IndexOf(value);
        if (index < 0)
        {
            return false;
        }

        RemoveAt(index);
        return true;
    }

    /// <summary>Removes the member of <paramref name="other"/> at <paramref name="position"/> from this set.</summary>
    public bool RemoveMemberOf(SetValue other, int position) =>
        other.TryGetInteger(position, out long value) ? RemoveInteger(value) : Remove(other.BytesAt(position));

    /// <summary>Removes the member at a live position. Positions of other members may change.</summary>
    public void RemoveAt(int position)
    {
        if (_store is MemberTable table)
        {
            table.RemoveAt(position);
            return;
        }

        int start, end, used;
        if (_isCompact)
        {
            start = Locate(position);
            end = start;
            end = Skip(Data, end);
            used = _length;
            _length -= (ushort)(end - start);
            _cursorIndex = 0;
            _cursorOffset = 0;
        }
        else
        {
            start = position * 8;
            end = start + 8;
            used = _count * 8;
        }

        Data.AsSpan(end, used - end).CopyTo(Data.AsSpan(start));
        _count--;
        int left = used - (end - start);
        if (_count == 0)
        {
            _store = Array.Empty<byte>();
        }
        else if (Data.Length > 64 && left < Data.Length / 2)
        {
            _store = Data.AsSpan(0, left).ToArray();
        }
    }

    /// <summary>
    /// Sizes the compact array of a set still empty for <paramref name="count"/> members of
    /// <paramref name="memberBytes"/> in all (SADD creating it), so a new small set allocates one array.
    /// </summary>
    public void Reserve(int count, int memberBytes)
    {
        if (_isCompact && _store is byte[] { Length: 0 } && count <= MaxCompactCount && memberBytes <= count * MaxCompactMember)
        {
            _store = ValuePool.RentArray(memberBytes + count);
        }
    }

    /// <summary>A random live position (the set must not be empty).</summary>
    public int RandomPosition(Random random) => _store is MemberTable table ? table.RandomIndex(random) : random.Next(_count);

    private int IndexOf(long value) => Ints.BinarySearch(value);

    private int IndexOfMember(ReadOnlySpan<byte> member)
    {
        var data = Data;
        int at = 0, end = _length, target = member.Length;
        for (int i = 0; at < end; i++)
        {
            int length = data[at];
            if (length == target && member.SequenceEqual(new ReadOnlySpan<byte>(data, at + 1, length)))
            {
                _cursorIndex = (ushort)i;
                _cursorOffset = (ushort)at;
                return i;
            }

            at += length + 1;
        }

        return -1;
    }

    // The byte offset of the compact member at `position`, from the cursor when it is not past it.
    private int Locate(int position)
    {
        int i = 0, at = 0;
        if (position >= _cursorIndex)
        {
            i = _cursorIndex;
            at = _cursorOffset;
        }

        var data = Data;
        for (; i < position; i++)
        {
            at = Skip(data, at);
        }

        _cursorIndex = (ushort)position;
        _cursorOffset = (ushort)at;
        return at;
    }

    private bool AddToIntset(long value, int maxIntsetEntries)
    {
        int index = IndexOf(value);
        if (index >= 0)
        {
            return false;
        }

        index = ~index;
        int used = _count * 8;
        EnsureCapacity(used + 8);
        Data.AsSpan(index * 8, used - (index * 8)).CopyTo(Data.AsSpan((index * 8) + 8));
        _count++;
        Ints[index] = value;

        // Redis converts once the intset holds more than set-max-intset-entries members.
        if (_count > maxIntsetEntries)
        {
            ConvertFromIntset();
        }

        return true;
    }

    private bool AddToCompact(ReadOnlySpan<byte> member)
    {
        if (IndexOfMember(member) >= 0)
        {
            return false;
        }

        if (member.Length > MaxCompactMember || _count == MaxCompactCount)
        {
            MoveToTable();
            return Table!.Add(member);
        }

        int need = _length + 1 + member.Length;
        EnsureCapacity(need);
        Data[_length] = (byte)member.Length;
        member.CopyTo(Data.AsSpan(_length + 1));
        _length = (ushort)need;
        _count++;
        return true;
    }

    // As HashValue's compact array: exact (8-byte rounded) while small, then by a quarter.
    private void EnsureCapacity(int need)
    {
        if (need <= Data.Length)
        {
            return;
        }

        int size = need <= 256 ? need : Math.Max(need, Data.Length + (Data.Length >> 2));
        var grown = ValuePool.RentArray(size);
        Data.AsSpan(0, _isCompact ? _length : _count * 8).CopyTo(grown);
        _store = grown;
    }

    // An intset that takes a string or outgrows set-max-intset-entries becomes a "hashtable": compact
    // while small, else the table.
    private void ConvertFromIntset()
    {
        if (_count > MaxCompactCount)
        {
            var table = new MemberTable(_count);
            foreach (long value in Ints)
            {
                table.AddInteger(value);
            }

            _store = table;
            _count = 0;
            return;
        }

        var ints = Data;
        int count = _count;
        _store = Array.Empty<byte>();
        _count = 0;
        _length = 0;
        _isCompact = true;
        Span<byte> digits = stackalloc byte[20];
        foreach (long value in MemoryMarshal.Cast<byte, long>(ints.AsSpan(0, count * 8)))
        {
            AddToCompact(digits[..RespNumber.FormatInt64(value, digits)]);
        }
    }

    private void MoveToTable()
    {
        var table = new MemberTable(_count * 2);
        var data = Data;
        int at = 0;
        for (int i = 0; i < _count; i++)
        {
            int length = ReadLength(data, ref at);
            table.Add(data.AsSpan(at, length));
            at += length;
        }

        _store = table;
        _count = 0;
        _length = 0;
        _cursorIndex = 0;
        _cursorOffset = 0;
        _isCompact = false;
    }

    // The offset just past the length-prefixed string at `at`.
    private static int Skip(byte[] data, int at)
    {
        int length = ReadLength(data, ref at);
        return at + length;
    }

    // Compact members are at most 64 bytes, so a length is one byte.
    private static int ReadLength(byte[] data, ref int at) => data[at++];
}
