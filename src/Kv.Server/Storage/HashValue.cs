using System.Buffers.Binary;
using System.Runtime.CompilerServices;

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

    // The compact array (byte[]) or the table (HashFieldTable): one reference keeps the object at 32 bytes.
    private object _data = Array.Empty<byte>();
    private ushort _count;
    private ushort _length;
    private ushort _cursorIndex;
    private ushort _cursorOffset;

    /// <summary>An empty hash in the compact form.</summary>
    public HashValue()
    {
    }

    /// <summary>An empty hash in the compact form: one dropped from a keyspace when the pool has one (<see cref="ValuePool"/>).</summary>
    public static HashValue Create() => ValuePool.TakeHash() ?? new HashValue();

    /// <summary>Empties a hash the keyspace dropped, for <see cref="ValuePool"/>: its compact array goes back to the pool.</summary>
    internal void Recycle()
    {
        if (_data is byte[] packed)
        {
            ValuePool.ReturnArray(packed);
        }

        _data = Array.Empty<byte>();
        _count = 0;
        _length = 0;
        _cursorIndex = 0;
        _cursorOffset = 0;
    }

    /// <summary>Bytes of the hash held in its key's block (<see cref="InlineValue"/>), or -1 when it is not compact.</summary>
    internal int InlineLength => _data is byte[] ? 2 + _length : -1;

    /// <summary>Writes the form <see cref="InlineLength"/> measures: the field count, then the compact array.</summary>
    internal void WriteInline(Span<byte> target)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(target, _count);
        Packed.AsSpan(0, _length).CopyTo(target[2..]);
    }

    /// <summary>
    /// The hash <see cref="WriteInline"/> wrote: from the pool for the keyspace (<paramref name="pooled"/>), or a
    /// copy of its own for a reader outside it (a save).
    /// </summary>
    internal static HashValue FromInline(ReadOnlySpan<byte> inline, bool pooled)
    {
        var hash = pooled ? Create() : new HashValue();
        int length = inline.Length - 2;
        if (length > 0)
        {
            var data = pooled ? ValuePool.RentArray(length) : new byte[length];
            inline[2..].CopyTo(data);
            hash._data = data;
        }

        hash._count = BinaryPrimitives.ReadUInt16LittleEndian(inline);
        hash._length = (ushort)length;
        return hash;
    }

    /// <summary>An empty hash about to receive <paramref name="capacity"/> fields (an RDB load): a table when the compact form could not hold them.</summary>
    public HashValue(int capacity)
    {
        if (capacity > MaxPackedCount)
        {
            _data = new HashFieldTable(capacity);
        }
    }

    /// <summary>Fields stored (expired ones not yet removed included, as Redis 7.4's HLEN).</summary>
    public int Count => Table?.Count ?? _count;

    /// <summary>True while Redis would report <c>listpack</c> (or <c>listpackex</c>).</summary>
    public bool IsListpack => Table?.IsListpack ?? true;

    /// <summary>Redis 7.4 turns a listpack into a listpackex the first time HEXPIRE* touches it (the fields move to the table then).</summary>
    public bool IsListpackEx
    {
        get => Table?.IsListpackEx ?? false;
        set
        {
            if (Table is null && value)
            {
                MoveToTable();
            }

            if (_data is HashFieldTable table)
            {
                table.IsListpackEx = value;
            }
        }
    }

    /// <summary>True while the fields are in the compact array.</summary>
    public bool IsCompact => Table is null;

    private HashFieldTable? Table => _data as HashFieldTable;

    private byte[] Packed => (byte[])_data;

    /// <summary>Fields with a TTL.</summary>
    public int VolatileCount => Table?.VolatileCount ?? 0;

    /// <summary>Upper bound (exclusive) of field indices: the HSCAN cursor space.</summary>
    public int IndexLimit => Table?.IndexLimit ?? _count;

    public string Encoding => !IsListpack ? "hashtable" : IsListpackEx ? "listpackex" : "listpack";

    /// <summary>
    /// Bytes this hash holds on the GC heap, as .NET lays it out on x64: this object (32) and the compact
    /// array (24 + length rounded to 8), or the table's (its per-field arrays sampled). O(1); maxmemory
    /// and MEMORY USAGE use it.
    /// </summary>
    public long AllocatedBytes => 32 + (_data is HashFieldTable table ? table.AllocatedBytes : Packed.Length == 0 ? 0 : 24 + Packed.Length);

    public bool IsLive(int index) => Table?.IsLive(index) ?? true;

    public ReadOnlySpan<byte> FieldAt(int index)
    {
        if (_data is HashFieldTable table)
        {
            return table.FieldAt(index);
        }

        int at = Locate(index);
        int length = ReadLength(Packed, ref at);
        return Packed.AsSpan(at, length);
    }

    public ReadOnlySpan<byte> ValueAt(int index)
    {
        if (_data is HashFieldTable table)
        {
            return table.ValueAt(index);
        }

        int at = Locate(index);
        at = Skip(Packed, at);
        int length = ReadLength(Packed, ref at);
        return Packed.AsSpan(at, length);
    }

    /// <summary>Unix ms at which the field expires; 0 when it has no TTL.</summary>
    public long ExpiryAt(int index) => Table?.ExpiryAt(index) ?? 0;

    /// <summary>Redis 7.4's hfieldIsExpired: a field is gone once its time is strictly before now.</summary>
    public bool IsExpired(int index, long now) => _data is HashFieldTable table && table.IsExpired(index, now);

    /// <summary>Index of <paramref name="field"/> (expired or not), or -1.</summary>
    public int Find(ReadOnlySpan<byte> field)
    {
        if (_data is HashFieldTable table)
        {
            return table.Find(field);
        }

        // The hot loop of a small hash: one length byte decides most entries, so it stays branch-light.
        var packed = Packed;
        int at = 0, end = _length, target = field.Length;
        for (int i = 0; at < end; i++)
        {
            int start = at;
            int length = ReadLength(packed, ref at);
            if (length == target && field.SequenceEqual(new ReadOnlySpan<byte>(packed, at, length)))
            {
                _cursorIndex = (ushort)i;
                _cursorOffset = (ushort)start;
                return i;
            }

            at += length;
            length = ReadLength(packed, ref at);
            at += length;
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
        if (_data is HashFieldTable table)
        {
            return table.Set(field, value, keepTtl);
        }

        return Set(field, value, Find(field));
    }

    /// <summary>
    /// <see cref="Set(ReadOnlySpan{byte}, ReadOnlySpan{byte}, bool)"/> (dropping a TTL) for a caller that
    /// has just called <see cref="Find"/>: <paramref name="found"/> is its answer, so the compact array is
    /// not scanned twice.
    /// </summary>
    public bool Set(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value, int found)
    {
        if (_data is HashFieldTable table)
        {
            return table.Set(field, value);
        }

        if (found >= 0)
        {
            ReplaceValue(found, value);
            return false;
        }

        int need = _length + PackedSize(field, value);
        if (need > MaxPackedBytes || _count == MaxPackedCount)
        {
            MoveToTable();
            return Table!.Set(field, value);
        }

        EnsureCapacity(need);
        int at = WriteLength(Packed, _length, field.Length);
        field.CopyTo(Packed.AsSpan(at));
        at = WriteLength(Packed, at + field.Length, value.Length);
        value.CopyTo(Packed.AsSpan(at));
        _length = (ushort)need;
        _count++;
        return true;
    }

    /// <summary>Bytes a field and its value take in the compact array.</summary>
    public static int PackedSize(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value) =>
        LengthSize(field.Length) + field.Length + LengthSize(value.Length) + value.Length;

    /// <summary>
    /// Sizes the compact array of a hash still empty for <paramref name="bytes"/> (the <see cref="PackedSize"/>
    /// of the fields about to be set), so HSET creating a session allocates one array, not one per field.
    /// </summary>
    public void Reserve(int bytes)
    {
        if (_data is byte[] { Length: 0 } && bytes <= MaxPackedBytes)
        {
            _data = ValuePool.RentArray(bytes);
        }
    }

    /// <summary>Replaces the value of the live entry at <paramref name="index"/>, keeping its TTL.</summary>
    public void SetValueAt(int index, ReadOnlySpan<byte> value)
    {
        if (_data is HashFieldTable table)
        {
            table.SetValueAt(index, value);
            return;
        }

        ReplaceValue(index, value);
    }

    /// <summary>Removes the entry at <paramref name="index"/>; the others keep their order (indices after it shift down).</summary>
    public void RemoveAt(int index)
    {
        if (_data is HashFieldTable table)
        {
            table.RemoveAt(index);
            return;
        }

        int start = Locate(index);
        int end = start;
        end = Skip(Packed, end);
        end = Skip(Packed, end);
        Packed.AsSpan(end, _length - end).CopyTo(Packed.AsSpan(start));
        _length -= (ushort)(end - start);
        _count--;
        _cursorIndex = 0;
        _cursorOffset = 0;
        if (_count == 0)
        {
            _data = Array.Empty<byte>();
        }
        else if (Packed.Length > 64 && _length < Packed.Length / 2)
        {
            _data = Packed.AsSpan(0, _length).ToArray();
        }
    }

    /// <summary>Switches to the hashtable encoding for good (Redis's hashTypeConvert).</summary>
    public void ConvertToHashtable()
    {
        if (Table is null)
        {
            MoveToTable();
        }

        Table!.ConvertToHashtable();
    }

    /// <summary>Sets (unix ms) or clears (0) the TTL of the entry at <paramref name="index"/>. A TTL moves a compact hash to the table (indices are kept).</summary>
    public void SetExpiry(int index, long expiresAt)
    {
        if (Table is null)
        {
            if (expiresAt == 0)
            {
                return;
            }

            MoveToTable();
        }

        Table!.SetExpiry(index, expiresAt);
    }

    /// <summary>Entry index of the <paramref name="slot"/>-th field with a TTL.</summary>
    public int VolatileAt(int slot) => Table!.VolatileAt(slot);

    /// <summary>Removes every expired field; returns how many.</summary>
    public int RemoveExpired(long now) => Table?.RemoveExpired(now) ?? 0;

    /// <summary>A random live entry index, or -1 when empty (expired fields included: callers skip them).</summary>
    public int RandomIndex(Random random)
    {
        if (_data is HashFieldTable table)
        {
            return table.RandomIndex(random);
        }

        return _count == 0 ? -1 : random.Next(_count);
    }

    /// <summary>A copy sharing nothing mutable (COPY); the encoding and field TTLs go with it.</summary>
    public HashValue Clone()
    {
        var copy = new HashValue();
        if (_data is HashFieldTable table)
        {
            copy._data = table.Clone();
        }
        else
        {
            copy._data = Packed.AsSpan(0, _length).ToArray();
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

        var packed = Packed;
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
        at = Skip(Packed, at);
        int valueStart = at;
        int oldLength = ReadLength(Packed, ref at);
        int oldEnd = at + oldLength;
        if (oldLength == value.Length)
        {
            value.CopyTo(Packed.AsSpan(at));
            return;
        }

        int newEnd = valueStart + LengthSize(value.Length) + value.Length;
        int need = _length + (newEnd - oldEnd);
        if (need > MaxPackedBytes)
        {
            MoveToTable();
            Table!.SetValueAt(index, value);
            return;
        }

        EnsureCapacity(need);
        Packed.AsSpan(oldEnd, _length - oldEnd).CopyTo(Packed.AsSpan(newEnd));
        at = WriteLength(Packed, valueStart, value.Length);
        value.CopyTo(Packed.AsSpan(at));
        _length = (ushort)need;
    }

    // Small arrays grow to the 8-byte size .NET allocates anyway (a session hash ends with no slack, as
    // a listpack does); past 256 bytes by a quarter, so filling a big one is not quadratic.
    private void EnsureCapacity(int need)
    {
        if (need <= Packed.Length)
        {
            return;
        }

        int size = need <= 256 ? need : Math.Max(need, Packed.Length + (Packed.Length >> 2));
        size = Math.Min((size + 7) & ~7, MaxPackedBytes);
        var grown = ValuePool.RentArray(size);
        Packed.AsSpan(0, _length).CopyTo(grown);
        _data = grown;
    }

    private void MoveToTable()
    {
        var table = new HashFieldTable(_count);
        var packed = Packed;
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

        _data = table;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadLength(byte[] data, ref int at)
    {
        byte b = data[at++];
        return b < 0x80 ? b : ReadLongLength(data, ref at, b);
    }

    // Fields and values of 128 bytes or more: the rest of the LEB128 length.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadLongLength(byte[] data, ref int at, byte first)
    {
        int length = first & 0x7F, shift = 7;
        byte b;
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
