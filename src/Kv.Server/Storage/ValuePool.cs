namespace Kv.Server.Storage;

/// <summary>
/// Small collections dropped from a keyspace (deleted, overwritten, expired, evicted), kept for the next
/// ones to reuse: their objects (<see cref="HashValue"/>, <see cref="SetValue"/>, <see cref="SortedSet"/>,
/// <see cref="ListValue"/> of one small chunk) and their compact arrays, by size. Redis's allocator reuses a freed listpack's memory for the next one
/// at once; the GC would instead keep every dropped collection as garbage until a full collection, and
/// under maxmemory churn (each write evicting an old session, a rate-limit log, a per-user set) that
/// garbage, most of it already promoted to the oldest generation, pushed the process far past maxmemory.
/// With the pool a steady writer allocates almost nothing: what eviction drops is what the next write takes.
/// </summary>
/// <remarks>
/// Values arrive through <see cref="BlockReleases"/> at the end of the batch of commands that dropped them,
/// never sooner, so a command may still read a value it has just removed. A value belongs to one key: the
/// keyspace drops it only once nothing refers to it (RENAME and MOVE move a value without dropping it).
/// The pool holds at most <see cref="Limit"/> bytes (more is left to the GC) and is emptied whenever
/// memory is given back (<see cref="Persistence.MemoryReclaim"/>). One pool serves the process: embedded
/// servers share it under a lock held for a push or a pop.
/// </remarks>
internal static class ValuePool
{
    /// <summary>Arrays up to this length are pooled (the compact forms of sessions and small sets); longer ones are not.</summary>
    public const int MaxArray = 512;

    /// <summary>Bytes the pool holds at most.</summary>
    public const long Limit = 4L << 20;

    // A pooled object is counted at about its size on the heap (without its array, counted apart).
    private const int ObjectBytes = 40;

    private static readonly Lock Gate = new();
    private static readonly Stack<byte[]>[] Arrays = NewArrays();
    private static readonly Stack<HashValue> Hashes = new();
    private static readonly Stack<SetValue> Sets = new();
    private static readonly Stack<SortedSet> SortedSets = new();
    private static readonly Stack<ListValue> Lists = new();
    private static long _bytes;

    /// <summary>Bytes held now (for tests and INFO).</summary>
    public static long PooledBytes => Volatile.Read(ref _bytes);

    /// <summary>
    /// An array of at least <paramref name="length"/> bytes rounded up to 8 (the size .NET allocates
    /// anyway), its contents undefined: a pooled one when there is one of that size.
    /// </summary>
    public static byte[] RentArray(int length)
    {
        int size = (length + 7) & ~7;
        if (size <= MaxArray && size > 0 && _bytes != 0)
        {
            lock (Gate)
            {
                if (Arrays[(size >> 3) - 1].TryPop(out var array))
                {
                    _bytes -= 24 + array.Length;
                    return array;
                }
            }
        }

        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>An array no longer referenced by anything: kept when it is of a pooled size and there is room.</summary>
    public static void ReturnArray(byte[] array)
    {
        int size = array.Length;
        if (size == 0 || size > MaxArray || (size & 7) != 0)
        {
            return;
        }

        lock (Gate)
        {
            if (_bytes + 24 + size <= Limit)
            {
                Arrays[(size >> 3) - 1].Push(array);
                _bytes += 24 + size;
            }
        }
    }

    /// <summary>A hash dropped from a keyspace, emptied (<see cref="HashValue.Recycle"/>), or null.</summary>
    public static HashValue? TakeHash() => Take(Hashes);

    public static SetValue? TakeSet() => Take(Sets);

    public static SortedSet? TakeSortedSet() => Take(SortedSets);

    public static ListValue? TakeList() => Take(Lists);

    /// <summary>
    /// A value the keyspace dropped, once the batch that dropped it has ended: its arrays and the object
    /// itself go to the pool. False when the pool had no room for it (or it is not a pooled type): it is
    /// garbage for the GC then.
    /// </summary>
    public static bool Recycle(object value)
    {
        if (Volatile.Read(ref _bytes) + ObjectBytes + MaxArray > Limit)
        {
            return false;
        }

        switch (value)
        {
            case HashValue hash:
                hash.Recycle();
                return Keep(Hashes, hash);
            case SetValue set:
                set.Recycle();
                return Keep(Sets, set);
            case SortedSet sortedSet:
                sortedSet.Recycle();
                return Keep(SortedSets, sortedSet);
            case ListValue list:
                list.Recycle();
                return Keep(Lists, list);
            default:
                return false;
        }
    }

    /// <summary>
    /// True for the values <see cref="Recycle"/> takes — collections in their compact form: the keyspace hands
    /// them to it instead of counting them as garbage. A big collection's table is garbage however it is dropped.
    /// </summary>
    public static bool IsPooled(object? value) => value switch
    {
        HashValue hash => hash.IsCompact,
        SetValue set => set.IsSmall,
        SortedSet sortedSet => sortedSet.IsCompact,
        ListValue list => list.IsSmall,
        _ => false,
    };

    /// <summary>Lets the GC have everything pooled (before a compacting collection gives memory back).</summary>
    public static void Clear()
    {
        lock (Gate)
        {
            foreach (var stack in Arrays)
            {
                Empty(stack);
            }

            Empty(Hashes);
            Empty(Sets);
            Empty(SortedSets);
            Empty(Lists);
            _bytes = 0;
        }
    }

    private static T? Take<T>(Stack<T> stack) where T : class
    {
        if (_bytes == 0)
        {
            return null;
        }

        lock (Gate)
        {
            if (stack.TryPop(out var value))
            {
                _bytes -= ObjectBytes;
                return value;
            }
        }

        return null;
    }

    private static bool Keep<T>(Stack<T> stack, T value)
    {
        lock (Gate)
        {
            if (_bytes + ObjectBytes > Limit)
            {
                return false;
            }

            stack.Push(value);
            _bytes += ObjectBytes;
            return true;
        }
    }

    // Drops what the stack holds and its storage.
    private static void Empty<T>(Stack<T> stack)
    {
        stack.Clear();
        stack.TrimExcess();
    }

    private static Stack<byte[]>[] NewArrays()
    {
        var arrays = new Stack<byte[]>[MaxArray / 8];
        for (int i = 0; i < arrays.Length; i++)
        {
            arrays[i] = new Stack<byte[]>();
        }

        return arrays;
    }
}
