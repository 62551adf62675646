namespace Kv.Server.Storage;

/// <summary>
/// A hash value, in Redis's two shapes: a small hash is one compact byte array (as Redis's listpack),
/// a big one — or one with field TTLs — a <see cref="HashFieldTable"/>. Millions of small hashes
/// (sessions) are the common case, and a bucketed table costs several objects per field where the
/// compact array costs one array per hash.
/// </summary>
/// <remarks>
/// <para>
/// The compact form holds <c>[LEB128 length][field][LEB128 length][value]</c> per field, in insertion
/// order; a lookup scans it linearly, as Redis's listpack does. It lasts while Redis would keep a
/// listpack (<see cref="IsListpack"/>), no field has a TTL and it stays within <see cref="MaxPackedBytes"/>
/// and <see cref="MaxPackedCount"/> (a bound on the scan whatever the thresholds are configured to).
/// Past that the fields move to the table in the same order, for good. <see cref="IsListpack"/> and
/// <see cref="Encoding"/> report what Redis would, whichever form holds the fields.
/// </para>
/// <para>
/// Fields are addressed by index either way: in the compact form the index is the field's ordinal, and
/// a cursor (the last ordinal located and its byte offset) makes a walk in order O(1) per step.
/// </para>
/// </remarks>
internal sealed class HashValue
{
    /// <summary>The compact form ends past this many bytes (offsets are 16-bit).</summary>
    public const int MaxPackedBytes = 32 * 1024;

    /// <summary>The compact form ends past this many fields, so a lookup never scans more.</summary>
    public const int MaxPackedCount = 1024;

    private byte[] _packed = [];
    private HashFieldTable? _table;
    private ushort _count;
    private ushort _length;
    private ushort _cursorIndex;
    private ushort _cursorOffset;

    /// <summary>An empty hash in the compact form.</summary>
    public HashValue()
    {
    }

    /// <summary>An empty hash about to receive <paramref name="capacity"/> fields (an RDB load): a table when the compact form could not hold them.</summary>
    public HashValue(int capacity)
    {
        if (capacity > MaxPackedCount)
        {
            _table = new HashFieldTable(capacity);
        }
    }

    /// <summary>Fields stored (expired ones not yet removed included, as Redis 7.4's HLEN).</summary>
    public int Count => _table?.Count ?? _count;

    /// <summary>True while Redis would report <c>listpack</c> (or <c>listpackex</c>).</summary>
    public bool IsListpack => _table?.IsListpack ?? true;

    /// <summary>Redis 7.4 turns a listpack into a listpackex the first time HEXPIRE* touches it.</summary>
    public bool IsListpackEx { get; set; }

    /// <summary>True while the fields are in the compact array.</summary>
    public bool IsCompact => _table is null;

    /// <summary>Fields with a TTL.</summary>
    public int VolatileCount => _table?.VolatileCount ?? 0;

    /// <summary>Upper bound (exclusive) of field indices: the HSCAN cursor space.</summary>
    public int IndexLimit => _table?.IndexLimit ?? _count;

    public string Encoding => !IsListpack ? "hashtable" : IsListpackEx ? "listpackex" : "listpack";

    /// <summary>Bytes of the arrays either form holds (the table's per-field arrays sampled), for <c>MemoryEstimate</c>.</summary>
    public long AllocatedBytes => _table is not null ? 72 + _table.AllocatedBytes : _packed.Length == 0 ? 0 : 24 + _packed.Length;

    public bool IsLive(int index) => _table?.IsLive(index) ?? true;

    public ReadOnlySpan<byte> FieldAt(int index)
    {
        if (_table is not null)
        {
            return _table.FieldAt(index);
        }

        int at = Locate(index);
        int length = ReadLength(_packed, ref at);
        return _packed.AsSpan(at, length);
    }

    public ReadOnlySpan<byte> ValueAt(int index)
    {
        if (_table is not null)
        {
            return _table.ValueAt(index);
        }

        int at = Locate(index);
        at = Skip(_packed, at);
        int length = ReadLength(_packed, ref at);
        return _packed.AsSpan(at, length);
    }

    /// <summary>Unix ms at which the field expires; 0 when it has no TTL.</summary>
    public long ExpiryAt(int index) => _table?.ExpiryAt(index) ?? 0;

    /// <summary>Redis 7.4's hfieldIsExpired: a field is gone once its time is strictly before now.</summary>
    public bool IsExpired(int index, long now) => _table is not null && _table.IsExpired(index, now);

    /// <summary>Index of <paramref name="field"/> (expired or not), or -1.</summary>
    public int Find(ReadOnlySpan<byte> field)
    {
        if (_table is not null)
        {
            return _table.Find(field);
        }

        var packed = _packed;
        int at = 0;
        for (int i = 0; i < _count; i++)
        {
            int start = at;
            int length = ReadLength(packed, ref at);
            if (length == field.Length && field.SequenceEqual(packed.AsSpan(at, length)))
            {
                _cursorIndex = (ushort)i;
                _cursorOffset = (ushort)start;
                return i;
            }

            at += length;
            at = Skip(packed, at);
        }

        return -1;
    }

    /// <summary>
    /// Sets <paramref name="field"/> to <paramref name="value"/>; true when the field is new. A new or
    /// overwritten field has no TTL unless <paramref name="keepTtl"/> (HINCRBY keeps it in Redis 7.4,
    /// HSET drops it). An existing field keeps its place, as a listpack replaces in place.
    /// </summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, bool keepTtl = false)
    {
        if (_table is not null)
        {
            return _table.Set(field, value, keepTtl);
        }

        int index = Find(field);
        if (index >= 0)
        {
            ReplaceValue(index, value);
            return false;
        }

        int need = _length + LengthSize(field.Length) + field.Length + LengthSize(value.Length) + value.Length;
        if (need > MaxPackedBytes || _count == MaxPackedCount)
        {
            MoveToTable();
            return _table!.Set(field, value, keepTtl);
        }

        EnsureCapacity(need);
        int at = WriteLength(_packed, _length, field.Length);
        field.CopyTo(_packed.AsSpan(at));
        at = WriteLength(_packed, at + field.Length, value.Length);
        value.CopyTo(_packed.AsSpan(at));
        _length = (ushort)need;
        _count++;
        return true;
    }

    /// <summary>Replaces the value of the live entry at <paramref name="index"/>, keeping its TTL.</summary>
    public void SetValueAt(int index, ReadOnlySpan<byte> value)
    {
        if (_table is not null)
        {
            _table.SetValueAt(index, value);
            return;
        }

        ReplaceValue(index, value);
    }

    /// <summary>Removes the entry at <paramref name="index"/>; the others keep their order (indices after it shift down).</summary>
    public void RemoveAt(int index)
    {
        if (_table is not null)
        {
            _table.RemoveAt(index);
            return;
        }

        int start = Locate(index);
        int end = start;
        end = Skip(_packed, end);
        end = Skip(_packed, end);
        _packed.AsSpan(end, _length - end).CopyTo(_packed.AsSpan(start));
        _length -= (ushort)(end - start);
        _count--;
        _cursorIndex = 0;
        _cursorOffset = 0;
        if (_count == 0)
        {
            _packed = [];
        }
        else if (_packed.Length > 64 && _length < _packed.Length / 2)
        {
            _packed = _packed.AsSpan(0, _length).ToArray();
        }
    }

    /// <summary>Switches to the hashtable encoding for good (Redis's hashTypeConvert).</summary>
    public void ConvertToHashtable()
    {
        if (_table is null)
        {
            MoveToTable();
        }

        _table!.ConvertToHashtable();
    }

    /// <summary>Sets (unix ms) or clears (0) the TTL of the entry at <paramref name="index"/>. A TTL moves a compact hash to the table (indices are kept).</summary>
    public void SetExpiry(int index, long expiresAt)
    {
        if (_table is null)
        {
            if (expiresAt == 0)
            {
                return;
            }

            MoveToTable();
        }

        _table!.SetExpiry(index, expiresAt);
    }

    /// <summary>Entry index of the <paramref name="slot"/>-th field with a TTL.</summary>
    public int VolatileAt(int slot) => _table!.VolatileAt(slot);

    /// <summary>Removes every expired field; returns how many.</summary>
    public int RemoveExpired(long now) => _table?.RemoveExpired(now) ?? 0;

    /// <summary>A random live entry index, or -1 when empty (expired fields included: callers skip them).</summary>
    public int RandomIndex(Random random)
    {
        if (_table is not null)
        {
            return _table.RandomIndex(random);
        }

        return _count == 0 ? -1 : random.Next(_count);
    }

    /// <summary>A copy sharing nothing mutable (COPY); the encoding and field TTLs go with it.</summary>
    public HashValue Clone()
    {
        var copy = new HashValue { IsListpackEx = IsListpackEx };
        if (_table is not null)
        {
            copy._table = _table.Clone();
        }
        else
        {
            copy._packed = _packed.AsSpan(0, _length).ToArray();
            copy._count = _count;
            copy._length = _length;
        }

        return copy;
    }

    // The byte offset of the field at ordinal `index`, from the cursor when it is not past it.
    private int Locate(int index)
    {
        int i = 0, at = 0;
        if (index >= _cursorIndex)
        {
            i = _cursorIndex;
            at = _cursorOffset;
        }

        var packed = _packed;
        for (; i < index; i++)
        {
            at = Skip(packed, at);
            at = Skip(packed, at);
        }

        _cursorIndex = (ushort)index;
        _cursorOffset = (ushort)at;
        return at;
    }

    private void ReplaceValue(int index, ReadOnlySpan<byte> value)
    {
        int at = Locate(index);
        at = Skip(_packed, at);
        int valueStart = at;
        int oldLength = ReadLength(_packed, ref at);
        int oldEnd = at + oldLength;
        if (oldLength == value.Length)
        {
            value.CopyTo(_packed.AsSpan(at));
            return;
        }

        int newEnd = valueStart + LengthSize(value.Length) + value.Length;
        int need = _length + (newEnd - oldEnd);
        if (need > MaxPackedBytes)
        {
            MoveToTable();
            _table!.SetValueAt(index, value);
            return;
        }

        EnsureCapacity(need);
        _packed.AsSpan(oldEnd, _length - oldEnd).CopyTo(_packed.AsSpan(newEnd));
        at = WriteLength(_packed, valueStart, value.Length);
        value.CopyTo(_packed.AsSpan(at));
        _length = (ushort)need;
    }

    // Small arrays grow to the 8-byte size .NET allocates anyway (a session hash ends with no slack, as
    // a listpack does); past 256 bytes by a quarter, so filling a big one is not quadratic.
    private void EnsureCapacity(int need)
    {
        if (need <= _packed.Length)
        {
            return;
        }

        int size = need <= 256 ? need : Math.Max(need, _packed.Length + (_packed.Length >> 2));
        size = Math.Min((size + 7) & ~7, MaxPackedBytes);
        var grown = GC.AllocateUninitializedArray<byte>(size);
        _packed.AsSpan(0, _length).CopyTo(grown);
        _packed = grown;
    }

    private void MoveToTable()
    {
        var table = new HashFieldTable(_count);
        var packed = _packed;
        int at = 0;
        for (int i = 0; i < _count; i++)
        {
            int fieldLength = ReadLength(packed, ref at);
            int fieldStart = at;
            at += fieldLength;
            int valueLength = ReadLength(packed, ref at);
            table.AddNew(packed.AsSpan(fieldStart, fieldLength), packed.AsSpan(at, valueLength));
            at += valueLength;
        }

        _table = table;
        _packed = [];
        _count = 0;
        _length = 0;
        _cursorIndex = 0;
        _cursorOffset = 0;
    }

    // The offset just past the length-prefixed string at `at`.
    private static int Skip(byte[] data, int at)
    {
        int length = ReadLength(data, ref at);
        return at + length;
    }

    private static int LengthSize(int length) => length < 0x80 ? 1 : length < 0x4000 ? 2 : 3;

    private static int WriteLength(byte[] data, int at, int length)
    {
        uint v = (uint)length;
        while (v >= 0x80)
        {
            data[at++] = (byte)(v | 0x80);
            v >>= 7;
        }

        data[at++] = (byte)v;
        return at;
    }

    private static int ReadLength(byte[] data, ref int at)
    {
        byte b = data[at++];
        if (b < 0x80)
        {
            return b;
        }

        int length = b & 0x7F, shift = 7;
        do
        {
            b = data[at++];
            length |= (b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);

        return length;
    }
}
