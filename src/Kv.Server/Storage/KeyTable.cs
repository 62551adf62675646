using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kv.Server.Storage;

/// <summary>
/// One key of a database: its block, its slot in the TTL index and its access clock, in 24 bytes of
/// native memory (<see cref="NativePagedArray{T}"/>). The key's bytes — and a string value's bytes after
/// them — live in one block of native memory (<see cref="KeyBlock"/>), outside the GC heap: a deleted,
/// overwritten or evicted key's memory is freed at once, as Redis's allocator frees it, instead of waiting
/// as garbage for the GC's next full collection (under eviction churn that garbage kept the process at
/// 2.5–3.5x maxmemory). A value that is an object (a collection, or an <see cref="InlineValue"/> marker
/// for a small one held in the block) sits in the table's value slots, the only part of a key on the GC
/// heap; <see cref="HasObject"/> says so without reading them. Read values with <see cref="KeyTable.TryGetString"/>,
/// <see cref="KeyTable.ValueAt"/> and change entries through <see cref="KeyTable"/> only.
/// </summary>
internal unsafe struct KeyEntry
{
    /// <summary>The key's block (<see cref="KeyBlock"/>); null for a free slot.</summary>
    internal byte* Block;

    public int HashCode;

    /// <summary>Next entry in the bucket chain (0-based; -1 ends it). For free entries: the next free one.</summary>
    public int Next;

    /// <summary>Slot in the volatile index while the key has a TTL; -1 otherwise.</summary>
    public int VolatileSlot;

    // Bits 8..31: the access clock (Redis's LRU clock is 24 bits of seconds too). Bit 0: HasObject.
    private uint _meta;

    /// <summary>True for a free slot (no key).</summary>
    public readonly bool IsFree => Block == null;

    /// <summary>
    /// True when the value is an object in the table's value slots (<see cref="KeyTable.RawValueAt"/>): any
    /// value but a string held in the block (the cheapest test on the read path).
    /// </summary>
    public bool HasObject
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        readonly get => (_meta & 1) != 0;
        set => _meta = value ? _meta | 1 : _meta & ~1u;
    }

    /// <summary>True when the value is a string held in the key's block after the key.</summary>
    public readonly bool IsInlineString => !HasObject && Block != null;

    /// <summary>The key's bytes (empty for a free slot). Valid until the entry changes and the command ends (<see cref="BlockReleases"/>).</summary>
    public readonly ReadOnlySpan<byte> Key
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Block == null ? default : KeyBlock.KeyOf(Block);
    }

    /// <summary>Seconds clock (24 bits, as Redis's LRU clock) of the last access, for OBJECT IDLETIME.</summary>
    public uint LastAccess
    {
        readonly get => _meta >> 8;
        set => _meta = (value << 8) | (_meta & 0xFF);
    }
}

/// <summary>A key with a TTL: its entry index and its absolute expiry (unix milliseconds).</summary>
internal struct VolatileKey
{
    public int Index;
    public long ExpiresAt;
}

/// <summary>
/// The hash table behind a database, keyed by bytes. Its own table rather than Dictionary because
/// the keyspace needs what Dictionary hides: stable entry indices (SCAN's cursor is an index, and an
/// entry never moves while it lives, so every key present for a whole scan is returned), random
/// access for RANDOMKEY and sampling, and a dense index of the keys with a TTL for active expiry
/// (which also holds their expiry times, so keys without a TTL pay nothing for one). Entries grow a
/// page at a time (<see cref="NativePagedArray{T}"/>) and never move; only the buckets double. Everything
/// but the value slots is native memory, freed with the table (<see cref="FreeBlocks"/>): a data set of
/// small keys leaves the GC little to scan, move or keep committed room for.
/// </summary>
internal sealed unsafe class KeyTable
{
    // Buckets hold entry index + 1 (0: empty). An empty table points at a shared empty bucket and holds no native memory.
    private static readonly int* NoBuckets = (int*)NativeMemory.AllocZeroed(sizeof(int));
    private int* _buckets = NoBuckets;
    private int _bucketCount;
    private int _bucketMask;
    private NativePagedArray<KeyEntry> _entries;
    private PagedArray<object?> _values;
    private int _used;          // entries handed out so far (high-water mark)
    private int _freeList = -1;
    private int _freeCount;
    private NativePagedArray<VolatileKey> _volatile;
    private int _volatileCount;

    // Where dropped blocks wait for the end of the command (null: freed at once, for a table of its own).
    private readonly BlockReleases? _releases;

    // Entries holding a collection that may go inline when the batch ends (InlineValue): expanded by Find,
    // added or replaced. Only with _releases, which calls InlineExpanded.
    private int[] _expanded = [];
    private int _expandedCount;
    private Persistence.Rdb.TableSnapshot? _snapshot;
    private bool _retired;

    /// <summary>
    /// Set while a background save writes this table: <see cref="Find(ReadOnlySpan{byte}, int)"/> and
    /// <see cref="RemoveAt"/> let it serialize a key before it changes (<see cref="Persistence.Rdb.TableSnapshot"/> explains the design).
    /// A table dropped during the save (<see cref="Retire"/>) frees its blocks when the save lets go of it.
    /// </summary>
    internal Persistence.Rdb.TableSnapshot? Snapshot
    {
        get => _snapshot;
        set
        {
            _snapshot = value;
            if (value is null && _retired)
            {
                FreeBlocks();
            }
        }
    }

    // maxmemory accounting: each entry's estimated bytes when last measured, and their sum.
    private NativePagedArray<int> _sizes;

    public KeyTable(BlockReleases? releases = null)
    {
        _releases = releases;
        _values = new PagedArray<object?>(4);
    }

    /// <summary>Live keys.</summary>
    public int Count => _used - _freeCount;

    /// <summary>Keys with a TTL.</summary>
    public int VolatileCount => _volatileCount;

    /// <summary>Upper bound (exclusive) of entry indices; the SCAN cursor space.</summary>
    public int IndexLimit => _used;

    /// <summary>The key's hash (<see cref="KeyHash"/>), non-negative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Hash(ReadOnlySpan<byte> key) => KeyHash.Of(key);

    /// <summary>The entry at <paramref name="index"/>; check <see cref="KeyEntry.IsFree"/> first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref KeyEntry At(int index) => ref _entries[index];

    /// <summary>
    /// The value at <paramref name="index"/> as stored: null for a string held in the block (and a free slot),
    /// an <see cref="InlineValue"/> marker for a small collection held there, else the value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public object? RawValueAt(int index) => _entries[index].HasObject ? _values[index] : null;

    /// <summary>
    /// The value at <paramref name="index"/> as an object. A string held in the block is copied out into a byte[]
    /// of its own (use <see cref="TryGetString"/> on hot paths), and so is a collection held there
    /// (<see cref="InlineValue"/>) when nothing has expanded it (<see cref="Find(ReadOnlySpan{byte}, int)"/> does);
    /// change values through <see cref="Replace"/>.
    /// </summary>
    public object ValueAt(int index)
    {
        ref var entry = ref _entries[index];
        return RawValueAt(index) switch
        {
            null => entry.Block == null ? null! : KeyBlock.ValueOf(entry.Block).ToArray(),
            InlineValue inline => inline.Expand(KeyBlock.ValueOf(entry.Block), pooled: false),
            var value => value,
        };
    }

    /// <summary>The value's TYPE name (<see cref="ValueTypes.NameOf"/>) without copying a string out.</summary>
    public ReadOnlySpan<byte> TypeNameAt(int index) => _entries[index].IsInlineString ? "string"u8 : ValueTypes.NameOf(RawValueAt(index));

    // Stores the value at an entry: null for a string held in the block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetRawValue(int index, ref KeyEntry entry, object? value)
    {
        _values[index] = value;
        entry.HasObject = value is not null;
    }

    /// <summary>Index of <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key) => Find(key, Hash(key));

    public int Find(ReadOnlySpan<byte> key, int hash)
    {
        int i = _buckets[hash & _bucketMask] - 1;
        while (i >= 0)
        {
            ref var entry = ref _entries[i];
            if (entry.HashCode == hash && key.SequenceEqual(entry.Key))
            {
                // A background save writes the key's snapshot-time state before anyone may change it.
                Snapshot?.BeforeAccess(i);
                if (entry.HasObject)
                {
                    object value = _values[i]!;
                    if (value is InlineValue inline)
                    {
                        // Commands see objects only: this one goes back into the block when the batch ends.
                        _values[i] = inline.Expand(KeyBlock.ValueOf(entry.Block), pooled: true);
                        Expanded(i);
                    }
                    else if (InlineValue.IsCandidate(value))
                    {
                        // Too big to rest inline so far: the batch may shrink it.
                        Expanded(i);
                    }
                }

                return i;
            }

            i = entry.Next;
        }

        return -1;
    }

    /// <summary>Adds a key known to be absent; returns its index. A byte[] is stored as a string, in the key's block.</summary>
    public int Add(ReadOnlySpan<byte> key, int hash, object value)
    {
        if (value is byte[] bytes)
        {
            return AddString(key, hash, bytes);
        }

        int index = NewEntry(hash);
        ref var entry = ref _entries[index];
        entry.Block = KeyBlock.Allocate(key, 0);
        SetRawValue(index, ref entry, value);
        Account(index);
        if (InlineValue.IsCandidate(value))
        {
            Expanded(index);
        }

        return index;
    }

    /// <summary>Adds a key known to be absent with a string value; returns its index.</summary>
    public int AddString(ReadOnlySpan<byte> key, int hash, ReadOnlySpan<byte> value)
    {
        int index = NewEntry(hash);
        ref var entry = ref _entries[index];
        entry.Block = KeyBlock.Allocate(key, value);
        SetRawValue(index, ref entry, null);
        Account(index);
        return index;
    }

    /// <summary>The bytes of the string at <paramref name="index"/>; false when it holds another type.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetString(int index, out ReadOnlySpan<byte> bytes)
    {
        ref var entry = ref _entries[index];
        if (!entry.HasObject)
        {
            // A free slot has no block: no string (never a read of address zero).
            bytes = entry.Block == null ? default : KeyBlock.ValueOf(entry.Block);
            return entry.Block != null;
        }

        return StringValue.TryGet(_values[index]!, out bytes);
    }

    /// <summary>Replaces the value at <paramref name="index"/>; a byte[] string is stored as <see cref="SetString"/> does.</summary>
    public void Replace(int index, object value)
    {
        if (value is byte[] bytes)
        {
            SetString(index, bytes);
        }
        else
        {
            ref var entry = ref _entries[index];
            if (KeyBlock.ValueLength(entry.Block) != 0)
            {
                // The block held a string: the key moves to a block of its own.
                Rewrite(ref entry, default);
            }

            object? old = RawValueAt(index);
            if (!ReferenceEquals(old, value))
            {
                DropValue(old);
            }

            SetRawValue(index, ref entry, value);
            Account(index);
            if (InlineValue.IsCandidate(value))
            {
                Expanded(index);
            }
        }
    }

    /// <summary>True when the entry at <paramref name="index"/> holds a string.</summary>
    public bool IsString(int index)
    {
        ref var entry = ref _entries[index];
        return entry.HasObject ? StringValue.IsString(_values[index]!) : entry.Block != null;
    }

    /// <summary>
    /// Makes the value at <paramref name="index"/> the string <paramref name="value"/> (any type before),
    /// overwriting the string in its block when the length matches. The TTL is left alone.
    /// </summary>
    public void SetString(int index, ReadOnlySpan<byte> value)
    {
        ref var entry = ref _entries[index];
        if (!entry.HasObject && KeyBlock.ValueLength(entry.Block) == value.Length)
        {
            value.CopyTo(KeyBlock.ValueOf(entry.Block));
        }
        else
        {
            Rewrite(ref entry, value);
            DropValue(RawValueAt(index));
            SetRawValue(index, ref entry, null);
        }

        Account(index);
    }

    // A value leaving the table: a small collection goes to the pool when the batch ends (ValuePool); false
    // for anything else, which is left to the GC.
    private bool DropValue(object? value)
    {
        if (_releases is not null && ValuePool.IsPooled(value))
        {
            _releases.Add(value!);
            return true;
        }

        return false;
    }

    // The entry's key moves to a new block with the string value (empty for other types); the old block is released.
    private void Rewrite(ref KeyEntry entry, ReadOnlySpan<byte> value)
    {
        byte* old = entry.Block;
        entry.Block = KeyBlock.Allocate(KeyBlock.KeyOf(old), value);
        Release(old);
    }

    private void Expanded(int index)
    {
        if (_releases is null)
        {
            return;
        }

        if (_expandedCount == 0)
        {
            _releases.Add(this, expanded: true);
        }

        if (_expandedCount == _expanded.Length)
        {
            Array.Resize(ref _expanded, Math.Max(16, _expandedCount * 2));
        }

        _expanded[_expandedCount++] = index;
    }

    /// <summary>
    /// The batch has ended (no command holds a value): every collection expanded, added or replaced since
    /// the last call that is small enough goes into its key's block (<see cref="InlineValue"/>), and its
    /// object and array back to the pool. A collection that grew past the inline form stays an object.
    /// </summary>
    internal void InlineExpanded()
    {
        for (int k = 0; k < _expandedCount && !_retired; k++)
        {
            int index = _expanded[k];
            ref var entry = ref _entries[index];
            if (!entry.IsFree && RawValueAt(index) is { } value && InlineValue.IsCandidate(value))
            {
                Inline(index, value);
            }
        }

        _expandedCount = 0;
        if (_expanded.Length > 4096)
        {
            _expanded = [];
        }
    }

    private void Inline(int index, object value)
    {
        ref var entry = ref _entries[index];
        int length = InlineValue.LengthOf(value);
        if (length < 0)
        {
            if (KeyBlock.ValueLength(entry.Block) != 0)
            {
                // What the block held before the collection grew out of it.
                Rewrite(ref entry, default);
                Account(index);
            }

            return;
        }

        if (KeyBlock.ValueLength(entry.Block) != length)
        {
            // The batch has ended: no command holds a span of the block, so it may move (in place when it can).
            entry.Block = KeyBlock.Resize(entry.Block, length);
        }

        SetRawValue(index, ref entry, InlineValue.Write(value, KeyBlock.ValueOf(entry.Block)));
        if (!ValuePool.Recycle(value))
        {
            DroppedObjectBytes += Persistence.MemoryEstimate.OfValue(value);
        }

        Account(index);
    }

    private void Release(byte* block)
    {
        if (_releases is null)
        {
            KeyBlock.Free(block);
        }
        else
        {
            _releases.Add(block);
        }
    }

    /// <summary>
    /// The string at <paramref name="index"/> as one that grows in place (APPEND, SETRANGE, SETBIT),
    /// stored back as the entry's value (Redis's dbUnshareStringValue): a <see cref="MutableString"/>
    /// stays as is; other bytes are copied into one with room for <paramref name="length"/> bytes. The entry must hold a string.
    /// </summary>
    public MutableString ToMutable(int index, int length)
    {
        if (RawValueAt(index) is MutableString mutable)
        {
            mutable.Encoding = "raw";
            return mutable;
        }

        TryGetString(index, out var bytes);
        var grown = new MutableString(bytes, MutableString.GrownCapacity(Math.Max(length, bytes.Length)));
        Replace(index, grown);
        return grown;
    }

    /// <summary>
    /// Removes the entry at <paramref name="index"/>. Its value is dropped — a small collection is reused for
    /// another key once the batch ends (<see cref="ValuePool"/>) — unless <paramref name="keepValue"/>: RENAME
    /// and MOVE store the same value under another key.
    /// </summary>
    public void RemoveAt(int index, bool keepValue = false)
    {
        Snapshot?.BeforeAccess(index);
        ref var entry = ref _entries[index];
        ref int bucket = ref _buckets[entry.HashCode & _bucketMask];
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

        EstimatedBytes -= _sizes[index];
        object? value = RawValueAt(index);
        if (value is not (null or InlineValue) && !keepValue && !DropValue(value))
        {
            // Measured now: without maxmemory, _sizes is not kept up to date as a collection grows.
            DroppedObjectBytes += Persistence.MemoryEstimate.Of(entry.Block, value);
        }

        _sizes[index] = 0;
        Release(entry.Block);
        _values[index] = null;
        entry = default;
        entry.VolatileSlot = -1;
        // Encode the free list so a free entry's Next is never a valid chain index (as Dictionary does).
        entry.Next = -3 - _freeList;
        _freeList = index;
        _freeCount++;
    }

    /// <summary>Absolute expiry (unix ms) of the entry at <paramref name="index"/>; 0 when it has no TTL.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ExpiresAt(int index)
    {
        int slot = _entries[index].VolatileSlot;
        return slot < 0 ? 0 : _volatile[slot].ExpiresAt;
    }

    /// <summary>
    /// True when the entry at <paramref name="index"/> has a TTL that is past at <paramref name="now"/>: Redis's
    /// keyIsExpired is <c>now &gt; when</c>, so a key lives through its expiry millisecond itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsDue(int index, long now)
    {
        int slot = _entries[index].VolatileSlot;
        return slot >= 0 && _volatile[slot].ExpiresAt < now;
    }

    /// <summary>Sets or clears (0) the absolute expiry of the entry at <paramref name="index"/>.</summary>
    public void SetExpiry(int index, long expiresAt)
    {
        ref var entry = ref _entries[index];
        if (entry.VolatileSlot >= 0)
        {
            if (expiresAt != 0)
            {
                _volatile[entry.VolatileSlot].ExpiresAt = expiresAt;
            }
            else
            {
                RemoveVolatile(entry.VolatileSlot);
                entry.VolatileSlot = -1;
            }
        }
        else if (expiresAt != 0)
        {
            if (_volatileCount == _volatile.Capacity)
            {
                _volatile.Grow(_volatileCount + 1);
            }

            entry.VolatileSlot = _volatileCount;
            _volatile[_volatileCount++] = new VolatileKey { Index = index, ExpiresAt = expiresAt };
        }
    }

    /// <summary>The <paramref name="slot"/>-th key with a TTL (active expiry samples these directly).</summary>
    public ref readonly VolatileKey VolatileAt(int slot) => ref _volatile[slot];

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
            if (!_entries[i].IsFree)
            {
                return i;
            }
        }

        int start = random.Next(_used);
        for (int k = 0; k < _used; k++)
        {
            int i = (start + k) % _used;
            if (!_entries[i].IsFree)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Bytes this table holds for its own arrays (not keys and values).</summary>
    public long OverheadBytes => (_bucketCount * 4L) + _entries.AllocatedBytes + (_values.Capacity * 8L) + _sizes.AllocatedBytes + _volatile.AllocatedBytes;

    /// <summary>
    /// The table is dropped (FLUSHDB, FLUSHALL, a reload): its blocks are freed when
    /// the command ends, or when a background save still writing it lets go (<see cref="Snapshot"/>).
    /// </summary>
    public void Retire()
    {
        _retired = true;
        if (_snapshot is null)
        {
            if (_releases is null)
            {
                FreeBlocks();
            }
            else
            {
                _releases.Add(this);
            }
        }
    }

    /// <summary>
    /// Frees every key's block and the table's own native memory; the table is left empty (a late reader
    /// finds no key), and is not used after this.
    /// </summary>
    internal void FreeBlocks()
    {
        for (int i = 0; i < _used; i++)
        {
            ref var entry = ref _entries[i];
            if (entry.Block != null)
            {
                KeyBlock.Free(entry.Block);
                entry.Block = null;
            }
        }

        _used = 0;
        _freeList = -1;
        _freeCount = 0;
        _volatileCount = 0;
        _entries.Free();
        _sizes.Free();
        _volatile.Free();
        _values = new PagedArray<object?>(4);
        SetBuckets(NoBuckets, 0);
        GC.SuppressFinalize(this);
    }

    // A table nobody retired (an embedded server never disposed, a test's own table) gives its blocks back.
    ~KeyTable() => FreeBlocks();

    #region maxmemory accounting

    /// <summary>
    /// Estimated bytes of the keys and values (see <see cref="Persistence.MemoryEstimate"/>), kept up to date as
    /// entries are added, replaced and removed; values changed in place are measured again by <see cref="Refresh"/>.
    /// </summary>
    public long EstimatedBytes { get; private set; }

    /// <summary>
    /// Estimated bytes of values on the GC heap (collections, not the native string blocks) removed so far:
    /// garbage until the next full collection (<see cref="Persistence.MemoryReclaim"/> watches it).
    /// </summary>
    public long DroppedObjectBytes { get; private set; }

    /// <summary>Measures the key again after a write changed its value in place (while maxmemory is set).</summary>
    public void Refresh(ReadOnlySpan<byte> key)
    {
        int index = Find(key);
        if (index >= 0)
        {
            Account(index);
        }
    }

    /// <summary>Measures every key again (when maxmemory is switched on, collections may have grown unmeasured).</summary>
    public void Recount()
    {
        for (int i = 0; i < _used; i++)
        {
            if (!_entries[i].IsFree)
            {
                Account(i);
            }
        }
    }

    /// <summary>The key's estimated bytes now (<see cref="Persistence.MemoryEstimate"/>).</summary>
    public int Measure(int index) => Persistence.MemoryEstimate.Of(_entries[index].Block, RawValueAt(index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Account(int index)
    {
        int size = Measure(index);
        EstimatedBytes += size - _sizes[index];
        _sizes[index] = size;
    }

    #endregion

    private int NewEntry(int hash)
    {
        int index;
        if (_freeCount > 0)
        {
            index = _freeList;
            _freeList = -3 - _entries[index].Next;
            _freeCount--;
            Snapshot?.Created(index);
        }
        else
        {
            if (_used == _entries.Capacity)
            {
                Grow(_used + 1);
            }

            index = _used++;
        }

        if (_used - _freeCount > _bucketCount)
        {
            Rehash(Math.Max(16, _bucketCount * 2));
        }

        ref int bucket = ref _buckets[hash & _bucketMask];
        ref var entry = ref _entries[index];
        entry.HashCode = hash;
        entry.VolatileSlot = -1;
        entry.Next = bucket - 1;
        bucket = index + 1;
        return index;
    }

    private void RemoveVolatile(int slot)
    {
        int lastSlot = --_volatileCount;
        if (slot != lastSlot)
        {
            var moved = _volatile[lastSlot];
            _volatile[slot] = moved;
            _entries[moved.Index].VolatileSlot = slot;
        }

        _volatile[lastSlot] = default;
    }

    /// <summary>Makes room for <paramref name="count"/> keys at once (RDB loading's RESIZEDB, as Redis's dictExpand).</summary>
    public void EnsureCapacity(int count)
    {
        Grow(count);
        if (count > _bucketCount)
        {
            Rehash((int)BitOperations.RoundUpToPowerOf2((uint)count));
        }
    }

    private void Grow(int count)
    {
        _entries.Grow(count);
        _sizes.Grow(count);
        _values.Grow(_entries.Capacity);
    }

    // More keys than buckets: twice the buckets, every chain rebuilt. Entries never move (pages), so
    // indices — SCAN's cursor — stay valid.
    private void Rehash(int size)
    {
        SetBuckets((int*)NativeMemory.AllocZeroed((nuint)size, sizeof(int)), size);
        for (int i = 0; i < _used; i++)
        {
            ref var entry = ref _entries[i];
            if (!entry.IsFree)
            {
                ref int bucket = ref _buckets[entry.HashCode & _bucketMask];
                entry.Next = bucket - 1;
                bucket = i + 1;
            }
        }
    }

    private void SetBuckets(int* buckets, int count)
    {
        if (_buckets != NoBuckets)
        {
            NativeMemory.Free(_buckets);
        }

        _buckets = buckets;
        _bucketCount = count;
        _bucketMask = Math.Max(count - 1, 0);
    }
}
