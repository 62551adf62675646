using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kv.Server.Storage;

/// <summary>One key of a database: its bytes, its value, its absolute expiry and its access clock.</summary>
internal struct KeyEntry
{
    public byte[]? Key;
    public object Value;

    /// <summary>Unix milliseconds at which the key expires; 0 when it has no TTL.</summary>
    public long ExpiresAt;

    public int HashCode;

    /// <summary>Next entry in the bucket chain (0-based; -1 ends it). For free entries: the next free one.</summary>
    public int Next;

    /// <summary>Slot in the volatile index while the key has a TTL; -1 otherwise.</summary>
    public int VolatileSlot;

    /// <summary>Seconds clock of the last access, for OBJECT IDLETIME.</summary>
    public uint LastAccess;
}

/// <summary>
/// The hash table behind a database, keyed by bytes. Its own table rather than Dictionary because
/// the keyspace needs what Dictionary hides: stable entry indices (SCAN's cursor is an index, and an
/// entry never moves while it lives, so every key present for a whole scan is returned), random
/// access for RANDOMKEY and sampling, and a dense index of the keys with a TTL for active expiry.
/// </summary>
internal sealed class KeyTable
{
    private static readonly int Seed = Random.Shared.Next();

    private int[] _buckets;
    private KeyEntry[] _entries;
    private int _used;          // entries handed out so far (high-water mark)
    private int _freeList = -1;
    private int _freeCount;
    private int[] _volatile;
    private int _volatileCount;

    public KeyTable(int capacity = 16)
    {
        capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 4));
        _buckets = new int[capacity];
        _entries = new KeyEntry[capacity];
        _volatile = new int[4];
    }

    /// <summary>Live keys.</summary>
    public int Count => _used - _freeCount;

    /// <summary>Keys with a TTL.</summary>
    public int VolatileCount => _volatileCount;

    /// <summary>Upper bound (exclusive) of entry indices; the SCAN cursor space.</summary>
    public int IndexLimit => _used;

    public static int Hash(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.Add(Seed);
        hash.AddBytes(key);
        return hash.ToHashCode() & 0x7FFFFFFF;
    }

    /// <summary>The entry at <paramref name="index"/>; check <see cref="KeyEntry.Key"/> for null (a free slot).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref KeyEntry At(int index) => ref _entries[index];

    /// <summary>Index of <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key) => Find(key, Hash(key));

    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        var entries = _entries;
        int i = _buckets[hash & (_buckets.Length - 1)] - 1;
        while ((uint)i < (uint)entries.Length)
        {
            ref var entry = ref entries[i];
            if (entry.HashCode == hash && key.SequenceEqual(entry.Key))
            {
                return i;
            }

            i = entry.Next;
        }

        return -1;
    }

    /// <summary>Adds a key known to be absent; returns its index.</summary>
    public int Add(byte[] key, int hash, object value)
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
        entry.Key = key;
        entry.Value = value;
        entry.HashCode = hash;
        entry.ExpiresAt = 0;
        entry.VolatileSlot = -1;
        entry.Next = bucket - 1;
        bucket = index + 1;
        return index;
    }

    /// <summary>Removes the entry at <paramref name="index"/>.</summary>
    public void RemoveAt(int index)
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

        if (entry.VolatileSlot >= 0)
        {
            RemoveVolatile(entry.VolatileSlot);
        }

        entry.Key = null;
        entry.Value = null!;
        entry.ExpiresAt = 0;
        entry.VolatileSlot = -1;
        // Encode the free list so a free entry's Next is never a valid chain index (as Dictionary does).
        entry.Next = -3 - _freeList;
        _freeList = index;
        _freeCount++;
    }

    /// <summary>Sets or clears (0) the absolute expiry of the entry at <paramref name="index"/>.</summary>
    public void SetExpiry(int index, long expiresAt)
    {
        ref var entry = ref _entries[index];
        entry.ExpiresAt = expiresAt;
        if (expiresAt != 0 && entry.VolatileSlot < 0)
        {
            if (_volatileCount == _volatile.Length)
            {
                Array.Resize(ref _volatile, _volatile.Length * 2);
            }

            entry.VolatileSlot = _volatileCount;
            _volatile[_volatileCount++] = index;
        }
        else if (expiresAt == 0 && entry.VolatileSlot >= 0)
        {
            RemoveVolatile(entry.VolatileSlot);
            entry.VolatileSlot = -1;
        }
    }

    /// <summary>Entry index of the <paramref name="slot"/>-th key with a TTL.</summary>
    public int VolatileAt(int slot) => _volatile[slot];

    /// <summary>A random live entry index, or -1 when empty.</summary>
    public int RandomIndex(Random random)
    {
        if (Count == 0)
        {
            return -1;
        }

        // Sparse tables (many deleted slots) would make blind probing slow: probe a while, then walk.
        for (int attempt = 0; attempt < 64; attempt++)
        {
            int i = random.Next(_used);
            if (_entries[i].Key is not null)
            {
                return i;
            }
        }

        int start = random.Next(_used);
        for (int k = 0; k < _used; k++)
        {
            int i = (start + k) % _used;
            if (_entries[i].Key is not null)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Bytes this table holds for its own arrays (not keys and values).</summary>
    public long OverheadBytes => (_buckets.Length * 4L) + (_entries.Length * (long)Unsafe.SizeOf<KeyEntry>()) + (_volatile.Length * 4L);

    private void RemoveVolatile(int slot)
    {
        int lastSlot = --_volatileCount;
        if (slot != lastSlot)
        {
            int moved = _volatile[lastSlot];
            _volatile[slot] = moved;
            _entries[moved].VolatileSlot = slot;
        }
    }

    private void Grow()
    {
        int size = _entries.Length * 2;
        // Entries keep their indices when the array grows: that is what SCAN's guarantee rests on.
        Array.Resize(ref _entries, size);
        _buckets = new int[size];
        var entries = _entries;
        for (int i = 0; i < _used; i++)
        {
            ref var entry = ref entries[i];
            if (entry.Key is not null)
            {
                ref int bucket = ref _buckets[entry.HashCode & (size - 1)];
                entry.Next = bucket - 1;
                bucket = i + 1;
            }
        }
    }
}
