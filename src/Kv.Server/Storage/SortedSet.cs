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
/// The compact array holds, for n members, n little-endian ushort end offsets (entry i ends at offset[i],
/// counted from the end of that table) and then the entries in order, each an 8-byte double score followed by
/// the member bytes; entry i starts where entry i - 1 ends, so its member length is implied. Rank → entry is
/// O(1); a member is found by a linear scan, a score by binary search, as Redis walks its listpack.
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

    private byte[] _data;
    private SortedSkipList? _skip;
    private int _count;

    public SortedSet(bool listpack, int capacity = 0)
    {
        IsListpack = listpack;
        if (listpack)
        {
            _data = [];
        }
        else
        {
            _data = [];
            _skip = new SortedSkipList(capacity);
        }
    }

    /// <summary>True while Redis would keep this set as a listpack; it turns false once (<see cref="ConvertToSkiplist"/>) and stays false.</summary>
    public bool IsListpack { get; private set; }

    public int Count => _skip?.Count ?? _count;

    /// <summary>Bytes of the arrays this set holds (the compact array, or the skiplist's), besides its own object.</summary>
    public long AllocatedBytes => _skip?.AllocatedBytes ?? (_data.Length == 0 ? 0 : 24 + ((_data.Length + 7) & ~7));

    public int First => _skip?.First ?? (_count > 0 ? 1 : 0);

    public int Last => _skip?.Last ?? _count;

    /// <summary>One past the highest node slot ever used (ZSCAN's cursor walks slots 1 to this).</summary>
    public int SlotLimit => _skip?.SlotLimit ?? _count + 1;

    /// <summary>True when node slot <paramref name="slot"/> holds a member.</summary>
    public bool IsLive(int slot) => _skip?.IsLive(slot) ?? (slot > 0 && slot <= _count);

    public int Next(int node) => _skip?.Next(node) ?? (node < _count ? node + 1 : 0);

    public int Previous(int node) => _skip?.Previous(node) ?? node - 1;

    public double ScoreAt(int node) => _skip?.ScoreAt(node) ?? EntryScore(node - 1);

    public ReadOnlySpan<byte> MemberAt(int node) => _skip is { } skip ? skip.MemberAt(node) : EntryMember(node - 1);

    /// <summary>The node holding <paramref name="member"/>, or 0.</summary>
    public int Find(ReadOnlySpan<byte> member)
    {
        if (_skip is { } skip)
        {
            return skip.Find(member);
        }

        var data = _data;
        int table = _count * 2;
        int start = 0;
        for (int i = 0; i < _count; i++)
        {
            int end = EndOf(data, i);
            if (end - start - 8 == member.Length && member.SequenceEqual(data.AsSpan(table + start + 8, member.Length)))
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
        if (_skip is { } skip)
        {
            skip.Insert(member, score);
            return;
        }

        if (UsedEntryBytes() + 8 + member.Length > MaxCompactBytes)
        {
            ToSkiplist();
            _skip!.Insert(member, score);
            return;
        }

        InsertAt(RankToInsert(score, member), member, score);
    }

    /// <summary>Changes the score of a present member (Redis's zslUpdateScore: in place when the order allows).</summary>
    public void UpdateScore(int node, double score)
    {
        if (_skip is { } skip)
        {
            skip.UpdateScore(node, score);
            return;
        }

        int rank = node - 1;
        if ((rank == 0 || EntryScore(rank - 1) < score) && (rank == _count - 1 || EntryScore(rank + 1) > score))
        {
            WriteScore(rank, score);
            return;
        }

        var member = EntryMember(rank);
        byte[]? rented = null;
        Span<byte> copy = member.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(member.Length));
        member.CopyTo(copy);
        RemoveAt(rank, 1);
        InsertAt(RankToInsert(score, copy[..member.Length]), copy[..member.Length], score);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Removes <paramref name="member"/>; false when absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_skip is { } skip)
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
        if (_skip is { } skip)
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
    public long RankOf(int node) => _skip?.RankOf(node) ?? node - 1;

    /// <summary>The node at a 0-based rank, or 0 (Redis's zslGetElementByRank).</summary>
    public int AtRank(long rank) => _skip?.AtRank(rank) ?? (rank >= 0 && rank < _count ? (int)rank + 1 : 0);

    /// <summary>The first node inside the score range, or 0 (zslNthInRange with n = 0).</summary>
    public int FirstInRange(in ScoreRange range)
    {
        if (_skip is { } skip)
        {
            return skip.FirstInRange(range);
        }

        if (!IsInRange(range))
        {
            return 0;
        }

        // The first rank whose score is >= min (or > min).
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (range.GteMin(EntryScore(mid)))
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo < _count && range.LteMax(EntryScore(lo)) ? lo + 1 : 0;
    }

    /// <summary>The last node inside the score range, or 0.</summary>
    public int LastInRange(in ScoreRange range)
    {
        if (_skip is { } skip)
        {
            return skip.LastInRange(range);
        }

        if (!IsInRange(range))
        {
            return 0;
        }

        // The first rank whose score is past max; the one before it is the candidate.
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (range.LteMax(EntryScore(mid)))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo > 0 && range.GteMin(EntryScore(lo - 1)) ? lo : 0;
    }

    // Lex ranges assume equal scores; when they are not, Redis's answer depends on the encoding: a listpack is
    // walked linearly (zzlFirstInLexRange / zzlLastInLexRange), so that is what a listpack-sized set does here.
    public int FirstInLexRange(in LexRange range)
    {
        if (!IsListpack)
        {
            return _skip!.FirstInLexRange(range);
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
            return _skip!.LastInLexRange(range);
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
        IsListpack = false;
        if (_skip is null)
        {
            ToSkiplist();
        }
    }

    /// <summary>Marks a store command's small result as a listpack, which drops the sign of zero scores as Redis's listpack does.</summary>
    public void ConvertToListpack()
    {
        IsListpack = true;
        if (_skip is not { } skip)
        {
            return;
        }

        long bytes = 0;
        for (int x = skip.First; x != 0; x = skip.Next(x))
        {
            bytes += 8 + skip.MemberAt(x).Length;
        }

        if (bytes > MaxCompactBytes)
        {
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
        var data = new byte[(count * 2) + (int)bytes];
        int table = count * 2;
        int end = 0, i = 0;
        for (int x = skip.First; x != 0; x = skip.Next(x), i++)
        {
            var member = skip.MemberAt(x);
            double score = skip.ScoreAt(x);
            Unsafe.WriteUnaligned(ref data[table + end], score == 0 ? 0.0 : score);
            member.CopyTo(data.AsSpan(table + end + 8));
            end += 8 + member.Length;
            Unsafe.WriteUnaligned(ref data[i * 2], (ushort)end);
        }

        _data = data;
        _count = count;
        _skip = null;
    }

    /// <summary>A deep copy (COPY): same members, scores and encoding.</summary>
    public SortedSet Clone()
    {
        if (_skip is null)
        {
            return new SortedSet(listpack: true) { _data = _data.AsSpan(0, (_count * 2) + UsedEntryBytes()).ToArray(), _count = _count };
        }

        var copy = new SortedSet(listpack: false, Count);
        for (int x = First; x != 0; x = Next(x))
        {
            copy._skip!.Insert(MemberAt(x), ScoreAt(x));
        }

        copy.IsListpack = IsListpack;
        return copy;
    }

    /// <summary>Checks the order, and every span and link of a skiplist (for tests).</summary>
    internal void Validate()
    {
        if (_skip is { } skip)
        {
            skip.Validate();
            return;
        }

        for (int i = 1; i < _count; i++)
        {
            double a = EntryScore(i - 1), b = EntryScore(i);
            if (!(a < b || (a == b && Compare(EntryMember(i - 1), EntryMember(i)) < 0)))
            {
                throw new InvalidOperationException($"order broken at rank {i}");
            }

            if (Find(EntryMember(i)) != i + 1)
            {
                throw new InvalidOperationException("member found at the wrong rank");
            }
        }

        if ((_count * 2) + UsedEntryBytes() > _data.Length)
        {
            throw new InvalidOperationException("entries overrun the array");
        }
    }

    /// <summary>True while the set is in its compact (listpack-like) form (for tests).</summary>
    internal bool IsCompact => _skip is null;

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

    // ---- The compact form. Entry i spans [StartOf(i), EndOf(i)) past the offset table of _count ushorts. ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int EndOf(byte[] data, int i) => Unsafe.ReadUnaligned<ushort>(ref data[i * 2]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int StartOf(int i) => i == 0 ? 0 : EndOf(_data, i - 1);

    private int UsedEntryBytes() => _count == 0 ? 0 : EndOf(_data, _count - 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double EntryScore(int i) => Unsafe.ReadUnaligned<double>(ref _data[(_count * 2) + StartOf(i)]);

    private void WriteScore(int i, double score) => Unsafe.WriteUnaligned(ref _data[(_count * 2) + StartOf(i)], score);

    private ReadOnlySpan<byte> EntryMember(int i)
    {
        int start = StartOf(i);
        return _data.AsSpan((_count * 2) + start + 8, EndOf(_data, i) - start - 8);
    }

    // The rank a new (score, member) takes: the first entry ordering after it.
    private int RankToInsert(double score, ReadOnlySpan<byte> member)
    {
        int lo = 0, hi = _count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            double s = EntryScore(mid);
            if (s < score || (s == score && Compare(EntryMember(mid), member) < 0))
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
        var source = _data;
        int n = _count;
        int size = 8 + member.Length;
        int used = UsedEntryBytes();
        int start = StartOf(rank);
        int oldTable = n * 2, newTable = oldTable + 2;
        int total = newTable + used + size;
        var target = total <= source.Length ? source : new byte[(total + 7) & ~7];

        // Entries move right (the later ones past the new entry), then the end offsets; right to left, so an
        // in-place move never overwrites what it has still to read.
        source.AsSpan(oldTable + start, used - start).CopyTo(target.AsSpan(newTable + start + size));
        source.AsSpan(oldTable, start).CopyTo(target.AsSpan(newTable));
        for (int i = n - 1; i >= rank; i--)
        {
            Unsafe.WriteUnaligned(ref target[(i + 1) * 2], (ushort)(EndOf(source, i) + size));
        }

        if (!ReferenceEquals(target, source))
        {
            source.AsSpan(0, rank * 2).CopyTo(target);
        }

        Unsafe.WriteUnaligned(ref target[rank * 2], (ushort)(start + size));
        Unsafe.WriteUnaligned(ref target[newTable + start], score);
        member.CopyTo(target.AsSpan(newTable + start + 8));
        _data = target;
        _count = n + 1;
    }

    // Removes count entries from a rank on, in place.
    private void RemoveAt(int rank, int count)
    {
        var data = _data;
        int n = _count;
        int used = UsedEntryBytes();
        int start = StartOf(rank);
        int end = EndOf(data, rank + count - 1);
        int size = end - start;
        int oldTable = n * 2, newTable = oldTable - (count * 2);

        // End offsets first (left to right, into slots already read), then the entries move left.
        for (int i = rank + count; i < n; i++)
        {
            Unsafe.WriteUnaligned(ref data[(i - count) * 2], (ushort)(EndOf(data, i) - size));
        }

        data.AsSpan(oldTable, start).CopyTo(data.AsSpan(newTable));
        data.AsSpan(oldTable + end, used - end).CopyTo(data.AsSpan(newTable + start));
        _count = n - count;
    }

    // Gives back the array's tail when removals left much of it unused.
    private void Trim()
    {
        int total = (_count * 2) + UsedEntryBytes();
        if (_data.Length - total > MaxSlack)
        {
            _data = total == 0 ? [] : _data.AsSpan(0, (total + 7) & ~7).ToArray();
        }
    }

    // Moves the compact entries into a skiplist.
    private void ToSkiplist()
    {
        var skip = new SortedSkipList(_count);
        for (int i = 0; i < _count; i++)
        {
            skip.Insert(EntryMember(i), EntryScore(i));
        }

        _skip = skip;
        _data = [];
        _count = 0;
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
