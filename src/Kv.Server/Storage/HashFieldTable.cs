using System.Numerics;

namespace Kv.Server.Storage;

/// <summary>
/// The bucketed form of a <see cref="HashValue"/>: fields to values, each field with an optional absolute
/// expiry (Redis 7.4's hash field expiration). A hash moves here from its compact array when it outgrows
/// Redis's listpack thresholds (then <see cref="IsListpack"/> is false, for good) or when a field gets a
/// TTL (then it may still report listpack). While <see cref="IsListpack"/>, entries stay dense in
/// insertion order and a deletion compacts them (as a listpack does), so HGETALL answers in Redis's
/// order; once "hashtable", freed entries are reused (order arbitrary, as Redis's dict).
/// </summary>
/// <remarks>
/// Each field and its value share one array (<c>[7-bit length of field][field][value]</c>): one object
/// per field keeps a million-field hash near Redis's size. Expiry arrays exist only once a field has a TTL.
/// </remarks>
internal sealed class HashFieldTable
{
    private struct Entry
    {
        public byte[]? Data;
        public int HashCode;

        /// <summary>Next entry in the bucket chain (-1 ends it); for a free entry, the encoded free list.</summary>
        public int Next;
    }

    private int[] _buckets;
    private Entry[] _entries;
    private int _used;
    private int _freeList = -1;
    private int _freeCount;

    // Field TTLs: unix ms per entry (0 = none), and a dense index of the entries that have one.
    private long[]? _expires;
    private int[]? _volatileSlots;
    private int[]? _volatile;
    private int _volatileCount;

    public HashFieldTable(int capacity = 4)
    {
        capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 4));
        _buckets = new int[capacity];
        _entries = new Entry[capacity];
    }

    /// <summary>Fields stored (expired ones not yet removed included, as Redis 7.4's HLEN).</summary>
    public int Count => _used - _freeCount;

    /// <summary>True while Redis would report <c>listpack</c> (or <c>listpackex</c>).</summary>
    public bool IsListpack { get; private set; } = true;

    /// <summary>Redis 7.4's listpackex (see <see cref="HashValue.IsListpackEx"/>).</summary>
    public bool IsListpackEx { get; set; }

    /// <summary>Fields with a TTL.</summary>
    public int VolatileCount => _volatileCount;

    /// <summary>Upper bound (exclusive) of entry indices: the HSCAN cursor space.</summary>
    public int IndexLimit => _used;

    public bool IsLive(int index) => _entries[index].Data is not null;

    public ReadOnlySpan<byte> FieldAt(int index)
    {
        var data = _entries[index].Data!;
        int length = ReadLength(data, out int header);
        return data.AsSpan(header, length);
    }

    public ReadOnlySpan<byte> ValueAt(int index)
    {
        var data = _entries[index].Data!;
        int length = ReadLength(data, out int header);
        return data.AsSpan(header + length);
    }

    /// <summary>Unix ms at which the field expires; 0 when it has no TTL.</summary>
    public long ExpiryAt(int index) => _expires is null ? 0 : _expires[index];

    /// <summary>Redis 7.4's hfieldIsExpired: a field is gone once its time is strictly before now.</summary>
    public bool IsExpired(int index, long now)
    {
        if (_volatileCount == 0)
        {
            return false;
        }

        long at = _expires![index];
        return at != 0 && at < now;
    }

    /// <summary>Index of <paramref name="field"/> (expired or not), or -1.</summary>
    public int Find(ReadOnlySpan<byte> field) => Find(field, KeyTable.Hash(field));

    private int Find(ReadOnlySpan<byte> field, int hash)
    {
        var entries = _entries;
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while ((uint)i < (uint)entries.Length)
        {
            ref var entry = ref entries[i];
            if (entry.HashCode == hash)
            {
                var data = entry.Data!;
                int length = ReadLength(data, out int header);
                if (field.SequenceEqual(data.AsSpan(header, length)))
                {
                    return i;
                }
            }

            i = entry.Next;
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
        int hash = KeyTable.Hash(field);
        int index = Find(field, hash);
        if (index >= 0)
        {
            ref var entry = ref _entries[index];
            var data = entry.Data!;
            int length = ReadLength(data, out int header);
            if (data.Length - header - length == value.Length)
            {
                value.CopyTo(data.AsSpan(header + length));
            }
            else
            {
                entry.Data = Pack(field, value);
            }

            if (!keepTtl && _volatileCount > 0 && _expires![index] != 0)
            {
                SetExpiry(index, 0);
            }

            return false;
        }

        Add(field, hash, value);
        return true;
    }

    /// <summary>Replaces the value of the live entry at <paramref name="index"/>, keeping its TTL.</summary>
    public void SetValueAt(int index, ReadOnlySpan<byte> value)
    {
        ref var entry = ref _entries[index];
        var data = entry.Data!;
        int length = ReadLength(data, out int header);
        if (data.Length - header - length == value.Length)
        {
            value.CopyTo(data.AsSpan(header + length));
        }
        else
        {
            entry.Data = Pack(data.AsSpan(header, length), value);
        }
    }

    /// <summary>Adds a field known to be absent (moving a compact hash here), without looking it up.</summary>
    public void AddNew(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value) => Add(field, KeyTable.Hash(field), value);

    /// <summary>
    /// Bytes of this object (80) and the arrays it holds: buckets, entries and expiry arrays exactly, the
    /// per-field arrays from a sample of a few fields times the count (O(1), for <c>MemoryEstimate</c>).
    /// </summary>
    public long AllocatedBytes
    {
        get
        {
            long total = 80 + 24 + (4L * _buckets.Length) + 24 + (16L * _entries.Length);
            if (_expires is not null)
            {
                total += 24 + (8L * _expires.Length) + 24 + (4L * _volatileSlots!.Length) + 24 + (4L * _volatile!.Length);
            }

            int taken = 0;
            long sampled = 0;
            for (int i = 0; i < _used && taken < 4; i++)
            {
                if (_entries[i].Data is { } data)
                {
                    sampled += 24 + ((data.Length + 7) & ~7);
                    taken++;
                }
            }

            return taken == 0 ? total : total + (sampled * Count / taken);
        }
    }

    private void Add(ReadOnlySpan<byte> field, int hash, ReadOnlySpan<byte> value)
    {
        int index;
        if (_freeCount > 0)
        {
            index = _freeList;
            _freeList = -3 - _entries[index].Next;
            _freeCount--;
        }
        else
        {
            if (_used == _entries.Length)
            {
                Grow();
            }

            index = _used++;
        }

        ref int bucket = ref _buckets[hash & (_buckets.Length - 1)];
        ref var entry = ref _entries[index];
        entry.Data = Pack(field, value);
        entry.HashCode = hash;
        entry.Next = bucket - 1;
        bucket = index + 1;
    }

    /// <summary>Removes the entry at <paramref name="index"/>. A listpack closes the gap (order kept).</summary>
    public void RemoveAt(int index)
    {
        if (_volatileCount > 0 && _expires![index] != 0)
        {
            SetExpiry(index, 0);
        }

        if (IsListpack)
        {
            RemoveCompacting(index);
            return;
        }

        Unlink(index);
        ref var entry = ref _entries[index];
        entry.Data = null;
        // Encode the free list so a free entry's Next is never a valid chain index (as KeyTable does).
        entry.Next = -3 - _freeList;
        _freeList = index;
        _freeCount++;
    }

    private void Unlink(int index)
    {
        ref var entry = ref _entries[index];
        ref int bucket = ref _buckets[entry.HashCode & (_buckets.Length - 1)];
        int i = bucket - 1, last = -1;
        while (i != index)
        {
            last = i;
            i = _entries[i].Next;
        }

        if (last < 0)
        {
            bucket = entry.Next + 1;
        }
        else
        {
            _entries[last].Next = entry.Next;
        }
    }

    // Listpack entries are dense (no free list while listpack): shift the tail down and re-chain.
    private void RemoveCompacting(int index)
    {
        int tail = _used - index - 1;
        Array.Copy(_entries, index + 1, _entries, index, tail);
        if (_expires is not null)
        {
            Array.Copy(_expires, index + 1, _expires, index, tail);
            Array.Copy(_volatileSlots!, index + 1, _volatileSlots!, index, tail);
            _expires[_used - 1] = 0;
            for (int slot = 0; slot < _volatileCount; slot++)
            {
                if (_volatile![slot] > index)
                {
                    _volatile[slot]--;
                }
            }
        }

        _used--;
        _entries[_used] = default;
        Rehash(_buckets.Length);
    }

    /// <summary>Switches to the hashtable encoding for good (Redis's hashTypeConvert).</summary>
    public void ConvertToHashtable() => IsListpack = false;

    /// <summary>Sets (unix ms) or clears (0) the TTL of the entry at <paramref name="index"/>.</summary>
    public void SetExpiry(int index, long expiresAt)
    {
        if (_expires is null)
        {
            if (expiresAt == 0)
            {
                return;
            }

            _expires = new long[_entries.Length];
            _volatileSlots = new int[_entries.Length];
            _volatile = new int[4];
        }

        long previous = _expires[index];
        _expires[index] = expiresAt;
        if (expiresAt != 0 && previous == 0)
        {
            if (_volatileCount == _volatile!.Length)
            {
                Array.Resize(ref _volatile, _volatile.Length * 2);
            }

            _volatileSlots![index] = _volatileCount;
            _volatile[_volatileCount++] = index;
        }
        else if (expiresAt == 0 && previous != 0)
        {
            int slot = _volatileSlots![index];
            int lastSlot = --_volatileCount;
            if (slot != lastSlot)
            {
                int moved = _volatile![lastSlot];
                _volatile[slot] = moved;
                _volatileSlots[moved] = slot;
            }
        }
    }

    /// <summary>Entry index of the <paramref name="slot"/>-th field with a TTL.</summary>
    public int VolatileAt(int slot) => _volatile![slot];

    /// <summary>Removes every expired field; returns how many.</summary>
    public int RemoveExpired(long now)
    {
        int removed = 0;
        for (int slot = _volatileCount - 1; slot >= 0; slot--)
        {
            if (slot >= _volatileCount)
            {
                continue;
            }

            int index = _volatile![slot];
            if (_expires![index] < now)
            {
                RemoveAt(index);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>A random live entry index, or -1 when empty (expired fields included: callers skip them).</summary>
    public int RandomIndex(Random random)
    {
        if (Count == 0)
        {
            return -1;
        }

        for (int attempt = 0; attempt < 64; attempt++)
        {
            int i = random.Next(_used);
            if (_entries[i].Data is not null)
            {
                return i;
            }
        }

        int start = random.Next(_used);
        for (int k = 0; k < _used; k++)
        {
            int i = (start + k) % _used;
            if (_entries[i].Data is not null)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A copy sharing nothing mutable (COPY); the encoding and field TTLs go with it.</summary>
    public HashFieldTable Clone()
    {
        var copy = new HashFieldTable(_entries.Length)
        {
            IsListpack = IsListpack,
            IsListpackEx = IsListpackEx,
        };
        for (int i = 0; i < _used; i++)
        {
            if (_entries[i].Data is null)
            {
                continue;
            }

            int length = ReadLength(_entries[i].Data!, out int header);
            copy.Add(_entries[i].Data.AsSpan(header, length), _entries[i].HashCode, _entries[i].Data.AsSpan(header + length));
            long at = ExpiryAt(i);
            if (at != 0)
            {
                copy.SetExpiry(copy._used - 1, at);
            }
        }

        return copy;
    }

    private static byte[] Pack(ReadOnlySpan<byte> field, ReadOnlySpan<byte> value)
    {
        int header = 1;
        for (uint v = (uint)field.Length; v >= 0x80; v >>= 7)
        {
            header++;
        }

        var data = GC.AllocateUninitializedArray<byte>(header + field.Length + value.Length);
        int at = 0;
        uint length = (uint)field.Length;
        while (length >= 0x80)
        {
            data[at++] = (byte)(length | 0x80);
            length >>= 7;
        }

        data[at++] = (byte)length;
        field.CopyTo(data.AsSpan(at));
        value.CopyTo(data.AsSpan(at + field.Length));
        return data;
    }

    private static int ReadLength(byte[] data, out int header)
    {
        int length = 0, shift = 0, i = 0;
        byte b;
        do
        {
            b = data[i++];
            length |= (b & 0x7F) << shift;
            shift += 7;
        }
        while ((b & 0x80) != 0);

        header = i;
        return length;
    }

    private void Grow()
    {
        int size = _entries.Length * 2;
        // Entries keep their indices when the array grows: HSCAN's cursor is an entry index.
        Array.Resize(ref _entries, size);
        if (_expires is not null)
        {
            Array.Resize(ref _expires, size);
            Array.Resize(ref _volatileSlots, size);
        }

        Rehash(size);
    }

    private void Rehash(int size)
    {
        if (_buckets.Length != size)
        {
            _buckets = new int[size];
        }
        else
        {
            Array.Clear(_buckets);
        }

        var entries = _entries;
        for (int i = 0; i < _used; i++)
        {
            ref var entry = ref entries[i];
            if (entry.Data is not null)
            {
                ref int bucket = ref _buckets[entry.HashCode & (size - 1)];
                entry.Next = bucket - 1;
                bucket = i + 1;
            }
        }
    }
}
