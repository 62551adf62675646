using System.Buffers;
using System.Runtime.CompilerServices;

namespace Kv.Server.Storage;

/// <summary>
/// A sorted set, ordered by (score, member bytes) as Redis orders it (memcmp on the member, a shorter prefix
/// first). Like Redis, it has two forms: while small (at most <c>zset-max-listpack-entries</c> members, none
/// longer than <c>zset-max-listpack-value</c>) it is one compact byte array, as Redis's listpack is, because
/// millions of small sorted sets (a rate-limit log per client) must cost about what Redis pays for them; past
/// the thresholds it becomes a <see cref="SortedSkipList"/> for good.
/// </summary>
/// <remarks>
/// <para>
/// The compact array holds, little-endian, a ushort member count n, n ushort end offsets (entry i ends at
/// offset[i], counted from the end of that table) and then the entries in order, each a score then the member
/// bytes; entry i starts where entry i - 1 ends, so its member length is implied. A score is a tag byte and an
/// integer of 1, 2 or 4 bytes when it is one (as a listpack stores integers compactly: counts, seconds), else an
/// 8-byte double.
/// Rank → entry is O(1); a member is found by a linear scan, a score by binary search, as Redis walks its
/// listpack. The set object itself is one reference (24 bytes): the array or the skiplist.
/// </para>
/// <para>
/// A node is an int handle, 0 meaning none: a skiplist node slot, or rank + 1 in the compact form. Handles
/// of the compact form shift when a member is inserted or removed, so a caller that removes while walking
/// uses <see cref="RemoveRange"/>. <see cref="IsListpack"/> is the encoding Redis would report; it is true for
/// the compact form, and also for the rare listpack-sized set whose bytes outgrow the ushort offsets (a raised
/// <c>zset-max-listpack-value</c>), which then lives in a skiplist while still answering as a listpack.
/// </para>
/// </remarks>
internal sealed class SortedSet
{
    // The entries of the compact form may span at most this many bytes (ushort end offsets).
    private const int MaxCompactBytes = ushort.MaxValue;

    // Slack the compact array may keep after removals before it is trimmed.
    private const int MaxSlack = 64;

    // The compact form of an empty set; never written (an insert always needs a bigger array).
    private static readonly byte[] Empty = new byte[2];

    // The compact array (byte[]) or the skiplist (SortedSkipList).
    private object _store;

    public SortedSet(bool listpack, int capacity = 0)
    {
        _store = listpack ? Empty : new SortedSkipList(capacity);
    }

    /// <summary>
    /// A new empty set: compact when <paramref name="listpack"/> (one dropped from a keyspace when the pool has
    /// one, <see cref="ValuePool"/>), else a skiplist sized for <paramref name="capacity"/> members.
    /// </summary>
    public static SortedSet Create(bool listpack, int capacity = 0) =>
        listpack ? ValuePool.TakeSortedSet() ?? new SortedSet(listpack: true) : new SortedSet(listpack: false, capacity);

    /// <summary>Empties a compact set the keyspace dropped, for <see cref="ValuePool"/>: its array goes back to the pool.</summary>
    internal void Recycle()
    {
        if (_store is byte[] data && data != Empty)
        {
            ValuePool.ReturnArray(data);
        }

        _store = Empty;
    }

    /// <summary>Bytes of the set held in its key's block (<see cref="InlineValue"/>), or -1 when it is not compact.</summary>
    internal int InlineLength => _store is byte[] data ? TableEnd(CountOf(data)) + UsedEntryBytes(data) : -1;

    /// <summary>Writes the form <see cref="InlineLength"/> measures: the compact array without its slack.</summary>
    internal void WriteInline(Span<byte> target) => Data.AsSpan(0, target.Length).CopyTo(target);

    /// <summary>
    /// The set <see cref="WriteInline"/> wrote: from the pool for the keyspace (<paramref name="pooled"/>), or a
    /// copy of its own for a reader outside it (a save).
    /// </summary>
    internal static SortedSet FromInline(ReadOnlySpan<byte> inline, bool pooled)
    {
        var set = pooled ? Create(listpack: true) : new SortedSet(listpack: true);
        var data = pooled ? ValuePool.RentArray(inline.Length) : new byte[inline.Length];
        inline.CopyTo(data);
        set._store = data;
        return set;
    }

    /// <summary>True while Redis would keep this set as a listpack; it turns false once (<see cref="ConvertToSkiplist"/>) and stays false.</summary>
    public bool IsListpack => _store is not SortedSkipList skip || skip.IsListpack;

    public int Count => _store is SortedSkipList skip ? skip.Count : CountOf(Data);

    /// <summary>Bytes of the arrays this set holds (the compact array, or the skiplist's), besides its own object.</summary>
    public long AllocatedBytes => _store is SortedSkipList skip ? skip.AllocatedBytes : Data == Empty ? 0 : 24 + ((Data.Length + 7) & ~7);

    public int First => _store is SortedSkipList skip ? skip.First : (CountOf(Data) > 0 ? 1 : 0);

    public int Last => _store is SortedSkipList skip ? skip.Last : CountOf(Data);

    /// <summary>One past the highest node slot ever used (ZSCAN's cursor walks slots 1 to this).</summary>
    public int SlotLimit => _store is SortedSkipList skip ? skip.SlotLimit : CountOf(Data) + 1;

    /// <summary>True when node slot <paramref name="slot"/> holds a member.</summary>
    public bool IsLive(int slot) => _store is SortedSkipList skip ? skip.IsLive(slot) : slot > 0 && slot <= CountOf(Data);

    public int Next(int node) => _store is SortedSkipList skip ? skip.Next(node) : (node < CountOf(Data) ? node + 1 : 0);

    public int Previous(int node) => _store is SortedSkipList skip ? skip.Previous(node) : node - 1;

    public double ScoreAt(int node) => _store is SortedSkipList skip ? skip.ScoreAt(node) : EntryScore(Data, node - 1);

    public ReadOnlySpan<byte> MemberAt(int node) => _store is SortedSkipList skip ? skip.MemberAt(node) : EntryMember(Data, node - 1);

    /// <summary>True while the set is in its compact (listpack-like) form (for tests).</summary>
    internal bool IsCompact => _store is byte[];

    // The compact array; only valid while the set is compact.
    private byte[] Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Unsafe.As<byte[]>(_store);
    }

    /// <summary>The node holding <paramref name="member"/>, or 0.</summary>
    public int Find(ReadOnlySpan<byte> member)
    {
        if (_store is SortedSkipList skip)
        {
            return skip.Find(member);
        }

        var data = Data;
        int n = CountOf(data);
        int entries = TableEnd(n);
        int start = 0;
        for (int i = 0; i < n; i++)
        {
            int end = EndOf(data, i);
            int at = entries + start + 1 + ScoreSize(data[entries + start]);
            // The last byte first: members of one set tend to share a prefix (user:1, user:2).
            if (entries + end - at == member.Length && (member.Length == 0 || data[entries + end - 1] == member[^1])
                && member.SequenceEqual(data.AsSpan(at, member.Length)))
            {
                return i + 1;
            }

            start = end;
        }

        return 0;
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        int node = Find(member);
        if (node != 0)
        {
            score = ScoreAt(node);
            return true;
        }

        score = 0;
        return false;
    }

    /// <summary>Adds a member known to be absent.</summary>
    public void Insert(ReadOnlySpan<byte> member, double score)
    {
        if (_store is SortedSkipList skip)
        {
            skip.Insert(member, score);
            return;
        }

        if (UsedEntryBytes(Data) + EntryBytes(score, member.Length) > MaxCompactBytes)
        {
            ToSkiplist(listpack: true).Insert(member, score);
            return;
        }

        InsertAt(RankToInsert(score, member), member, score);
    }

    /// <summary>
    /// Makes room in the compact form for <paramref name="entries"/> more members taking <paramref name="entryBytes"/>
    /// in all (<see cref="EntryBytes"/> each), so a new set filled by one command (ZADD, an RDB load) is allocated
    /// once, at its exact size.
    /// </summary>
    public void Reserve(int entries, long entryBytes)
    {
        if (_store is not byte[] data)
        {
            return;
        }

        int n = CountOf(data);
        long used = UsedEntryBytes(data) + entryBytes;
        long total = TableEnd(n + entries) + used;
        if (total > data.Length && used <= MaxCompactBytes)
        {
            var bigger = ValuePool.RentArray((int)total);
            data.AsSpan(0, TableEnd(n) + UsedEntryBytes(data)).CopyTo(bigger);
            _store = bigger;
        }
    }

    /// <summary>Bytes a member of <paramref name="memberLength"/> bytes with <paramref name="score"/> takes in the compact form.</summary>
    public static int EntryBytes(double score, int memberLength) => 1 + ScoreSize(ScoreTag(score)) + memberLength;

    /// <summary>Changes the score of a present member (Redis's zslUpdateScore: in place when the order allows).</summary>
    public void UpdateScore(int node, double score)
    {
        if (_store is SortedSkipList skip)
        {
            skip.UpdateScore(node, score);
            return;
        }

        var data = Data;
        int rank = node - 1;
        int at = TableEnd(CountOf(data)) + StartOf(data, rank);
        if ((rank == 0 || EntryScore(data, rank - 1) < score) && (rank == CountOf(data) - 1 || EntryScore(data, rank + 1) > score)
            && ScoreSize(ScoreTag(score)) == ScoreSize(data[at]))
        {
            WriteScore(data, at, score);
            return;
        }

        var member = EntryMember(data, rank);
        byte[]? rented = null;
        Span<byte> copy = member.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(member.Length));
        copy = copy[..member.Length];
        member.CopyTo(copy);
        if (EntryBytes(score, copy.Length) == EndOf(data, rank) - StartOf(data, rank))
        {
            MoveAt(rank, copy, score);
        }
        else
        {
            RemoveAt(rank, 1);
            InsertAt(RankToInsert(score, copy), copy, score);
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Moves the entry at a rank to where its new score (of the same encoded size) orders it, shifting only the
    // entries in between by the entry's size: one move instead of a removal and an insertion.
    private void MoveAt(int rank, ReadOnlySpan<byte> member, double score)
    {
        var data = Data;
        int entries = TableEnd(CountOf(data));
        int start = StartOf(data, rank), size = EndOf(data, rank) - start;

        // The array is still ordered by the old score, so the search counts the entry itself as before the new
        // key exactly when the score grows.
        int before = RankToInsert(score, member);
        int target = score > EntryScore(data, rank) ? before - 1 : before;
        if (target > rank)
        {
            int end = EndOf(data, target);
            data.AsSpan(entries + start + size, end - start - size).CopyTo(data.AsSpan(entries + start));
            for (int i = rank; i < target; i++)
            {
                SetEnd(data, i, EndOf(data, i + 1) - size);
            }

            start = end - size;
        }
        else if (target < rank)
        {
            int from = StartOf(data, target);
            data.AsSpan(entries + from, start - from).CopyTo(data.AsSpan(entries + from + size));
            for (int i = rank; i > target; i--)
            {
                SetEnd(data, i, EndOf(data, i - 1) + size);
            }

            SetEnd(data, target, from + size);
            start = from;
        }

        int header = WriteScore(data, entries + start, score);
        member.CopyTo(data.AsSpan(entries + start + header));
    }

    /// <summary>Removes <paramref name="member"/>; false when absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_store is SortedSkipList skip)
        {
            return skip.Remove(member);
        }

        int node = Find(member);
        if (node == 0)
        {
            return false;
        }

        RemoveAt(node - 1, 1);
        Trim();
        return true;
    }

    /// <summary>Removes one node (ZPOPMIN/ZPOPMAX); other nodes' handles may change.</summary>
    public void RemoveNode(int node) => RemoveRange(node, 1);

    /// <summary>Removes <paramref name="count"/> members in order from node <paramref name="first"/> on (ZREMRANGEBY*).</summary>
    public void RemoveRange(int first, long count)
    {
        if (_store is SortedSkipList skip)
        {
            for (int node = first; count > 0; count--)
            {
                int next = skip.Next(node);
                skip.RemoveNode(node);
                node = next;
            }

            return;
        }

        if (count > 0)
        {
            RemoveAt(first - 1, (int)count);
            Trim();
        }
    }

    /// <summary>0-based rank of a present node (Redis's zslGetRank minus one).</summary>
    public long RankOf(int node) => _store is SortedSkipList skip ? skip.RankOf(node) : node - 1;

    /// <summary>The node at a 0-based rank, or 0 (Redis's zslGetElementByRank).</summary>
    public int AtRank(long rank) => _store is SortedSkipList skip ? skip.AtRank(rank) : (rank >= 0 && rank < CountOf(Data) ? (int)rank + 1 : 0);

    /// <summary>The first node inside the score range, or 0 (zslNthInRange with n = 0).</summary>
    public int FirstInRange(in ScoreRange range)
    {
        if (_store is SortedSkipList skip)
        {
            return skip.FirstInRange(range);
        }

        if (!IsInRange(range))
        {
            return 0;
        }

        // The first rank whose score is >= min (or > min).
        var data = Data;
        int n = CountOf(data);
        int lo = 0, hi = n;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (range.GteMin(EntryScore(data, mid)))
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo < n && range.LteMax(EntryScore(data, lo)) ? lo + 1 : 0;
    }

    /// <summary>The last node inside the score range, or 0.</summary>
    public int LastInRange(in ScoreRange range)
    {
        if (_store is SortedSkipList skip)
        {
            return skip.LastInRange(range);
        }

        if (!IsInRange(range))
        {
            return 0;
        }

        // The first rank whose score is past max; the one before it is the candidate.
        var data = Data;
        int lo = 0, hi = CountOf(data);
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (range.LteMax(EntryScore(data, mid)))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo > 0 && range.GteMin(EntryScore(data, lo - 1)) ? lo : 0;
    }

    // Lex ranges assume equal scores; when they are not, Redis's answer depends on the encoding: a listpack is
    // walked linearly (zzlFirstInLexRange / zzlLastInLexRange), so that is what a listpack-sized set does here.
    public int FirstInLexRange(in LexRange range)
    {
        if (!IsListpack)
        {
            return ((SortedSkipList)_store).FirstInLexRange(range);
        }

        if (!IsInLexRange(range))
        {
            return 0;
        }

        for (int n = First; n != 0; n = Next(n))
        {
            if (range.GteMin(MemberAt(n)))
            {
                return range.LteMax(MemberAt(n)) ? n : 0;
            }
        }

        return 0;
    }

    public int LastInLexRange(in LexRange range)
    {
        if (!IsListpack)
        {
            return ((SortedSkipList)_store).LastInLexRange(range);
        }

        if (!IsInLexRange(range))
        {
            return 0;
        }

        for (int n = Last; n != 0; n = Previous(n))
        {
            if (range.LteMax(MemberAt(n)))
            {
                return range.GteMin(MemberAt(n)) ? n : 0;
            }
        }

        return 0;
    }

    /// <summary>Redis's sdscmp: memcmp on the common prefix, then the shorter first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>
    /// Turns a set Redis would hold as a listpack into the skiplist form for good (zsetConvert to
    /// OBJ_ENCODING_SKIPLIST: an insert past the thresholds, SORT).
    /// </summary>
    public void ConvertToSkiplist()
    {
        if (_store is SortedSkipList skip)
        {
            skip.IsListpack = false;
        }
        else
        {
            ToSkiplist(listpack: false);
        }
    }

    /// <summary>Marks a store command's small result as a listpack, which drops the sign of zero scores as Redis's listpack does.</summary>
    public void ConvertToListpack()
    {
        if (_store is not SortedSkipList skip)
        {
            return;
        }

        long bytes = 0;
        for (int x = skip.First; x != 0; x = skip.Next(x))
        {
            double score = skip.ScoreAt(x);
            bytes += EntryBytes(score == 0 ? 0.0 : score, skip.MemberAt(x).Length);
        }

        if (bytes > MaxCompactBytes)
        {
            skip.IsListpack = true;
            for (int x = skip.First; x != 0; x = skip.Next(x))
            {
                if (skip.ScoreAt(x) == 0)
                {
                    skip.UpdateScore(x, 0.0);
                }
            }

            return;
        }

        int count = skip.Count;
        var data = new byte[TableEnd(count) + (int)bytes];
        int entries = TableEnd(count);
        int end = 0, i = 0;
        for (int x = skip.First; x != 0; x = skip.Next(x), i++)
        {
            var member = skip.MemberAt(x);
            double score = skip.ScoreAt(x);
            int header = WriteScore(data, entries + end, score == 0 ? 0.0 : score);
            member.CopyTo(data.AsSpan(entries + end + header));
            end += header + member.Length;
            SetEnd(data, i, end);
        }

        SetCount(data, count);
        _store = data;
    }

    /// <summary>A deep copy (COPY): same members, scores and encoding.</summary>
    public SortedSet Clone()
    {
        if (_store is byte[] data)
        {
            return new SortedSet(listpack: true) { _store = data == Empty ? Empty : data.AsSpan(0, TableEnd(CountOf(data)) + UsedEntryBytes(data)).ToArray() };
        }

        var skip = (SortedSkipList)_store;
        var copy = new SortedSkipList(skip.Count) { IsListpack = skip.IsListpack };
        for (int x = skip.First; x != 0; x = skip.Next(x))
        {
            copy.Insert(skip.MemberAt(x), skip.ScoreAt(x));
        }

        return new SortedSet(listpack: true) { _store = copy };
    }

    /// <summary>Checks the order, and every span and link of a skiplist (for tests).</summary>
    internal void Validate()
    {
        if (_store is SortedSkipList skip)
        {
            skip.Validate();
            return;
        }

        var data = Data;
        int n = CountOf(data);
        for (int i = 1; i < n; i++)
        {
            double a = EntryScore(data, i - 1), b = EntryScore(data, i);
            if (!(a < b || (a == b && Compare(EntryMember(data, i - 1), EntryMember(data, i)) < 0)))
            {
                throw new InvalidOperationException($"order broken at rank {i}");
            }

            if (Find(EntryMember(data, i)) != i + 1)
            {
                throw new InvalidOperationException("member found at the wrong rank");
            }
        }

        if (TableEnd(n) + UsedEntryBytes(data) > data.Length)
        {
            throw new InvalidOperationException("entries overrun the array");
        }
    }

    private bool IsInRange(in ScoreRange range)
    {
        if (range.Min > range.Max || (range.Min == range.Max && (range.MinExclusive || range.MaxExclusive)))
        {
            return false;
        }

        int first = First;
        return first != 0 && range.GteMin(ScoreAt(Last)) && range.LteMax(ScoreAt(first));
    }

    private bool IsInLexRange(in LexRange range)
    {
        int c = LexRange.CompareBounds(range.MinKind, range.Min, range.MaxKind, range.Max);
        if (c > 0 || (c == 0 && (range.MinExclusive || range.MaxExclusive)))
        {
            return false;
        }

        int first = First;
        return first != 0 && range.GteMin(MemberAt(Last)) && range.LteMax(MemberAt(first));
    }

    // ---- The compact form: [count][end offset × count][entries]; entry i spans [StartOf(i), EndOf(i)) of the entries. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int CountOf(byte[] data) => Unsafe.ReadUnaligned<ushort>(ref data[0]);

    private static void SetCount(byte[] data, int count) => Unsafe.WriteUnaligned(ref data[0], (ushort)count);

    // Where the entries start: past the count and the offset table.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TableEnd(int count) => 2 + (count * 2);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EndOf(byte[] data, int i) => Unsafe.ReadUnaligned<ushort>(ref data[2 + (i * 2)]);

    private static void SetEnd(byte[] data, int i, int end) => Unsafe.WriteUnaligned(ref data[2 + (i * 2)], (ushort)end);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int StartOf(byte[] data, int i) => i == 0 ? 0 : EndOf(data, i - 1);

    private static int UsedEntryBytes(byte[] data)
    {
        int n = CountOf(data);
        return n == 0 ? 0 : EndOf(data, n - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double EntryScore(byte[] data, int i) => ReadScore(data, TableEnd(CountOf(data)) + StartOf(data, i));

    private static ReadOnlySpan<byte> EntryMember(byte[] data, int i)
    {
        int entries = TableEnd(CountOf(data));
        int at = entries + StartOf(data, i);
        at += 1 + ScoreSize(data[at]);
        return data.AsSpan(at, entries + EndOf(data, i) - at);
    }

    // Score tags: an integer of 1, 2 or 4 bytes, or a double (8 bytes). -0 stays a double (its sign is kept).
    private const byte Int8Score = 0, Int16Score = 1, Int32Score = 2, DoubleScore = 3;

    private static byte ScoreTag(double score)
    {
        if (score >= int.MinValue && score <= int.MaxValue && score == Math.Floor(score) && !(score == 0 && double.IsNegative(score)))
        {
            int value = (int)score;
            return value == (sbyte)value ? Int8Score : value == (short)value ? Int16Score : Int32Score;
        }

        return DoubleScore;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ScoreSize(byte tag) => tag == DoubleScore ? 8 : 1 << tag;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ReadScore(byte[] data, int at) => data[at] switch
    {
        Int8Score => (sbyte)data[at + 1],
        Int16Score => Unsafe.ReadUnaligned<short>(ref data[at + 1]),
        Int32Score => Unsafe.ReadUnaligned<int>(ref data[at + 1]),
        _ => Unsafe.ReadUnaligned<double>(ref data[at + 1]),
    };

    // Writes a score's tag and value at an entry's start; returns the bytes written.
    private static int WriteScore(byte[] data, int at, double score)
    {
        byte tag = ScoreTag(score);
        data[at] = tag;
        switch (tag)
        {
            case Int8Score:
                data[at + 1] = (byte)(sbyte)score;
                break;
            case Int16Score:
                Unsafe.WriteUnaligned(ref data[at + 1], (short)score);
                break;
            case Int32Score:
                Unsafe.WriteUnaligned(ref data[at + 1], (int)score);
                break;
            default:
                Unsafe.WriteUnaligned(ref data[at + 1], score);
                break;
        }

        return 1 + ScoreSize(tag);
    }

    // The rank a new (score, member) takes: the first entry ordering after it.
    private int RankToInsert(double score, ReadOnlySpan<byte> member)
    {
        var data = Data;
        int lo = 0, hi = CountOf(data);
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            double s = EntryScore(data, mid);
            if (s < score || (s == score && Compare(EntryMember(data, mid), member) < 0))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    // Inserts at a rank, growing the array to the exact size needed (as Redis reallocs its listpack) when it is full.
    private void InsertAt(int rank, ReadOnlySpan<byte> member, double score)
    {
        var source = Data;
        int n = CountOf(source);
        int size = EntryBytes(score, member.Length);
        int used = UsedEntryBytes(source);
        int start = StartOf(source, rank);
        int oldEntries = TableEnd(n), newEntries = TableEnd(n + 1);
        int total = newEntries + used + size;
        var target = total <= source.Length ? source : ValuePool.RentArray(total);

        // Entries move right (the later ones past the new entry), then the end offsets; right to left, so an
        // in-place move never overwrites what it has still to read.
        source.AsSpan(oldEntries + start, used - start).CopyTo(target.AsSpan(newEntries + start + size));
        source.AsSpan(oldEntries, start).CopyTo(target.AsSpan(newEntries));
        for (int i = n - 1; i >= rank; i--)
        {
            SetEnd(target, i + 1, EndOf(source, i) + size);
        }

        if (!ReferenceEquals(target, source))
        {
            source.AsSpan(2, rank * 2).CopyTo(target.AsSpan(2));
        }

        SetEnd(target, rank, start + size);
        SetCount(target, n + 1);
        int header = WriteScore(target, newEntries + start, score);
        member.CopyTo(target.AsSpan(newEntries + start + header));
        _store = target;
    }

    // Removes count entries from a rank on, in place.
    private void RemoveAt(int rank, int count)
    {
        var data = Data;
        int n = CountOf(data);
        int used = UsedEntryBytes(data);
        int start = StartOf(data, rank);
        int end = EndOf(data, rank + count - 1);
        int size = end - start;
        int oldEntries = TableEnd(n), newEntries = TableEnd(n - count);

        // End offsets first (left to right, into slots already read), then the entries move left.
        for (int i = rank + count; i < n; i++)
        {
            SetEnd(data, i - count, EndOf(data, i) - size);
        }

        data.AsSpan(oldEntries, start).CopyTo(data.AsSpan(newEntries));
        data.AsSpan(oldEntries + end, used - end).CopyTo(data.AsSpan(newEntries + start));
        SetCount(data, n - count);
    }

    // Gives back the array's tail when removals left much of it unused.
    private void Trim()
    {
        var data = Data;
        int total = TableEnd(CountOf(data)) + UsedEntryBytes(data);
        if (data.Length - total > MaxSlack)
        {
            _store = CountOf(data) == 0 ? Empty : data.AsSpan(0, (total + 7) & ~7).ToArray();
        }
    }

    // Moves the compact entries into a skiplist.
    private SortedSkipList ToSkiplist(bool listpack)
    {
        var data = Data;
        int n = CountOf(data);
        var skip = new SortedSkipList(n) { IsListpack = listpack };
        for (int i = 0; i < n; i++)
        {
            skip.Insert(EntryMember(data, i), EntryScore(data, i));
        }

        _store = skip;
        return skip;
    }
}

/// <summary>A score interval (Redis's zrangespec): min and max, each inclusive or exclusive.</summary>
internal readonly struct ScoreRange(double min, bool minExclusive, double max, bool maxExclusive)
{
    public double Min { get; } = min;

    public double Max { get; } = max;

    public bool MinExclusive { get; } = minExclusive;

    public bool MaxExclusive { get; } = maxExclusive;

    public bool GteMin(double value) => MinExclusive ? value > Min : value >= Min;

    public bool LteMax(double value) => MaxExclusive ? value < Max : value <= Max;
}

/// <summary>A lex interval (Redis's zlexrangespec); a bound is <c>-</c> (kind -1), <c>+</c> (kind 1) or a string (kind 0).</summary>
internal readonly ref struct LexRange(int minKind, ReadOnlySpan<byte> min, bool minExclusive, int maxKind, ReadOnlySpan<byte> max, bool maxExclusive)
{
    public int MinKind { get; } = minKind;

    public ReadOnlySpan<byte> Min { get; } = min;

    public bool MinExclusive { get; } = minExclusive;

    public int MaxKind { get; } = maxKind;

    public ReadOnlySpan<byte> Max { get; } = max;

    public bool MaxExclusive { get; } = maxExclusive;

    public bool GteMin(ReadOnlySpan<byte> value)
    {
        int c = CompareBounds(0, value, MinKind, Min);
        return MinExclusive ? c > 0 : c >= 0;
    }

    public bool LteMax(ReadOnlySpan<byte> value)
    {
        int c = CompareBounds(0, value, MaxKind, Max);
        return MaxExclusive ? c < 0 : c <= 0;
    }

    /// <summary>Redis's sdscmplex: <c>-</c> before everything, <c>+</c> after everything.</summary>
    public static int CompareBounds(int kindA, ReadOnlySpan<byte> a, int kindB, ReadOnlySpan<byte> b)
    {
        if (kindA != 0 || kindB != 0)
        {
            if (kindA == kindB)
            {
                return 0;
            }

            if (kindA == -1 || kindB == 1)
            {
                return -1;
            }

            return 1;
        }

        return a.SequenceCompareTo(b);
    }
}
