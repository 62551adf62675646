using System.Runtime.CompilerServices;

namespace Kv.Server.Storage;

/// <summary>
/// The large form of a <see cref="SortedSet"/>: Redis's zskiplist (levels with spans, so rank and range-by-rank
/// are O(log n)) plus a member → node dictionary (ZSCORE in O(1)). Ordered by (score, member bytes) as Redis
/// orders it (memcmp on the member, a shorter prefix first). A set lives here once it outgrows the listpack
/// thresholds, as Redis's skiplist encoding does; small sets stay in <see cref="SortedSet"/>'s compact array.
/// </summary>
/// <remarks>
/// Nodes live in one struct array addressed by int indices (index 0 is the header; 0 also means "none"
/// for forward and backward links) instead of one heap object per node. Level 0 needs no span (it is
/// always 1), so it sits in the node; levels 2 and up sit in a shared int pool, two ints a level
/// (forward, span), recycled per level count.
/// </remarks>
internal sealed class SortedSkipList
{
    /// <summary>Redis's ZSKIPLIST_MAXLEVEL.</summary>
    public const int MaxLevel = 32;

    private const int Header = 0;

    private Node[] _nodes;
    private int _nodeCount = 1;
    private int _freeNode;
    private int[] _upper;
    private int _upperUsed;
    private readonly int[] _upperFree = new int[MaxLevel + 1];
    // The member index: chains of node slots through Node.HashNext, one head per bucket (a power of two).
    private int[] _buckets;
    private int _tail;
    private int _level = 1;
    private ulong _random;
    private long _memberBytes;

    public SortedSkipList(int capacity = 0)
    {
        _nodes = new Node[Math.Max(4, capacity + 1)];
        _upper = new int[Math.Max(8, capacity)];
        _buckets = new int[(int)Math.Max(4, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 1)))];
        _random = (ulong)Random.Shared.NextInt64() | 1;
        for (int i = 1; i <= MaxLevel; i++)
        {
            _upperFree[i] = -1;
        }

        _nodes[Header].UpperLevel = Pack(AllocateUpper(MaxLevel), MaxLevel);
    }

    public int Count { get; private set; }

    /// <summary>
    /// True for the rare set Redis would still hold as a listpack that outgrew <see cref="SortedSet"/>'s compact
    /// array (a raised <c>zset-max-listpack-value</c>); false for a set past the thresholds.
    /// </summary>
    public bool IsListpack { get; set; }

    /// <summary>Bytes of every array this list holds (nodes, level pool, buckets, members) plus its own object.</summary>
    public long AllocatedBytes =>
        ObjectBytes + ArrayBytes(_nodes.Length * 32L) + ArrayBytes(_upper.Length * 4L) + ArrayBytes(_buckets.Length * 4L) + ArrayBytes((MaxLevel + 1) * 4L) + _memberBytes;

    // This object's header and fields.
    private const int ObjectBytes = 96;

    private static long ArrayBytes(long length) => 24 + ((length + 7) & ~7L);

    public int First => _nodes[Header].Next0;

    /// <summary>One past the highest node slot ever used (ZSCAN's cursor walks slots 1 to this).</summary>
    public int SlotLimit => _nodeCount;

    /// <summary>True when node slot <paramref name="slot"/> holds a member.</summary>
    public bool IsLive(int slot) => slot > 0 && slot < _nodeCount && _nodes[slot].Member is not null;

    public int Last => _tail;

    public int Next(int node) => _nodes[node].Next0;

    public int Previous(int node) => _nodes[node].Backward;

    public double ScoreAt(int node) => _nodes[node].Score;

    public byte[] MemberAt(int node) => _nodes[node].Member;

    /// <summary>The node holding <paramref name="member"/>, or 0.</summary>
    public int Find(ReadOnlySpan<byte> member)
    {
        for (int node = _buckets[KeyTable.Hash(member) & (_buckets.Length - 1)]; node != 0; node = _nodes[node].HashNext)
        {
            if (member.SequenceEqual(_nodes[node].Member))
            {
                return node;
            }
        }

        return 0;
    }

    public bool TryGetScore(ReadOnlySpan<byte> member, out double score)
    {
        int node = Find(member);
        if (node != 0)
        {
            score = _nodes[node].Score;
            return true;
        }

        score = 0;
        return false;
    }

    /// <summary>Adds a member known to be absent.</summary>
    public void Insert(ReadOnlySpan<byte> member, double score)
    {
        if (Count + 1 > _buckets.Length)
        {
            Rehash(_buckets.Length * 2);
        }

        byte[] bytes = member.ToArray();
        _memberBytes += ArrayBytes(bytes.Length);
        int node = AllocateNode(RandomLevel());
        _nodes[node].Member = bytes;
        _nodes[node].Score = score;
        Link(node);
        Count++;
        ref int head = ref _buckets[KeyTable.Hash(bytes) & (_buckets.Length - 1)];
        _nodes[node].HashNext = head;
        head = node;
    }

    /// <summary>Changes the score of a present member (Redis's zslUpdateScore: in place when the order allows).</summary>
    public void UpdateScore(int node, double score)
    {
        ref var n = ref _nodes[node];
        int prev = n.Backward;
        int next = n.Next0;
        if ((prev == 0 || _nodes[prev].Score < score) && (next == 0 || _nodes[next].Score > score))
        {
            n.Score = score;
            return;
        }

        Unlink(node);
        _nodes[node].Score = score;
        Link(node);
    }

    /// <summary>Removes <paramref name="member"/>; false when absent.</summary>
    public bool Remove(ReadOnlySpan<byte> member)
    {
        int node = Find(member);
        if (node == 0)
        {
            return false;
        }

        Unindex(node);
        Unlink(node);
        FreeNode(node);
        Count--;
        return true;
    }

    /// <summary>Removes a node (from a range walk).</summary>
    public void RemoveNode(int node)
    {
        Unindex(node);
        Unlink(node);
        FreeNode(node);
        Count--;
    }

    /// <summary>0-based rank of a present node (Redis's zslGetRank minus one).</summary>
    public long RankOf(int target)
    {
        double score = _nodes[target].Score;
        var member = _nodes[target].Member;
        long rank = 0;
        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            int f;
            while ((f = Forward(x, i)) != 0 && (_nodes[f].Score < score || (_nodes[f].Score == score && Compare(_nodes[f].Member, member) <= 0)))
            {
                rank += Span(x, i);
                x = f;
                if (x == target)
                {
                    return rank - 1;
                }
            }
        }

        return -1;
    }

    /// <summary>The node at a 0-based rank, or 0 (Redis's zslGetElementByRank).</summary>
    public int AtRank(long rank)
    {
        rank++;
        long traversed = 0;
        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            int f;
            while ((f = Forward(x, i)) != 0 && traversed + Span(x, i) <= rank)
            {
                traversed += Span(x, i);
                x = f;
            }

            if (traversed == rank)
            {
                return x;
            }
        }

        return 0;
    }

    /// <summary>The first node inside the score range, or 0 (zslNthInRange with n = 0).</summary>
    public int FirstInRange(in ScoreRange range)
    {
        if (!IsInRange(range))
        {
            return 0;
        }

        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            int f;
            while ((f = Forward(x, i)) != 0 && !range.GteMin(_nodes[f].Score))
            {
                x = f;
            }
        }

        x = _nodes[x].Next0;
        return x != 0 && range.LteMax(_nodes[x].Score) ? x : 0;
    }

    /// <summary>The last node inside the score range, or 0.</summary>
    public int LastInRange(in ScoreRange range)
    {
        if (!IsInRange(range))
        {
            return 0;
        }

        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            int f;
            while ((f = Forward(x, i)) != 0 && range.LteMax(_nodes[f].Score))
            {
                x = f;
            }
        }

        return x != Header && range.GteMin(_nodes[x].Score) ? x : 0;
    }

    // Lex ranges assume equal scores; SortedSet walks a set Redis would hold as a listpack linearly instead.
    public int FirstInLexRange(in LexRange range)
    {
        if (!IsInLexRange(range))
        {
            return 0;
        }

        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            int f;
            while ((f = Forward(x, i)) != 0 && !range.GteMin(_nodes[f].Member))
            {
                x = f;
            }
        }

        x = _nodes[x].Next0;
        return x != 0 && range.LteMax(_nodes[x].Member) ? x : 0;
    }

    public int LastInLexRange(in LexRange range)
    {
        if (!IsInLexRange(range))
        {
            return 0;
        }

        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            int f;
            while ((f = Forward(x, i)) != 0 && range.LteMax(_nodes[f].Member))
            {
                x = f;
            }
        }

        return x != Header && range.GteMin(_nodes[x].Member) ? x : 0;
    }

    private bool IsInRange(in ScoreRange range)
    {
        if (range.Min > range.Max || (range.Min == range.Max && (range.MinExclusive || range.MaxExclusive)))
        {
            return false;
        }

        int first = _nodes[Header].Next0;
        return first != 0 && range.GteMin(_nodes[_tail].Score) && range.LteMax(_nodes[first].Score);
    }

    private bool IsInLexRange(in LexRange range)
    {
        int c = LexRange.CompareBounds(range.MinKind, range.Min, range.MaxKind, range.Max);
        if (c > 0 || (c == 0 && (range.MinExclusive || range.MaxExclusive)))
        {
            return false;
        }

        int first = _nodes[Header].Next0;
        return first != 0 && range.GteMin(_nodes[_tail].Member) && range.LteMax(_nodes[first].Member);
    }

    /// <summary>Redis's sdscmp: memcmp on the common prefix, then the shorter first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>True when (sa, ma) orders before (sb, mb).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Before(double sa, byte[] ma, double sb, byte[] mb) => sa < sb || (sa == sb && Compare(ma, mb) < 0);

    // zslInsert's linking half, for a node whose score, member and level are set.
    private void Link(int node)
    {
        Span<int> update = stackalloc int[MaxLevel];
        Span<long> rank = stackalloc long[MaxLevel];
        double score = _nodes[node].Score;
        var member = _nodes[node].Member;
        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            rank[i] = i == _level - 1 ? 0 : rank[i + 1];
            int f;
            while ((f = Forward(x, i)) != 0 && Before(_nodes[f].Score, _nodes[f].Member, score, member))
            {
                rank[i] += Span(x, i);
                x = f;
            }

            update[i] = x;
        }

        int level = LevelOf(node);
        if (level > _level)
        {
            for (int i = _level; i < level; i++)
            {
                rank[i] = 0;
                update[i] = Header;
                SetSpan(Header, i, Count);
            }

            _level = level;
        }

        for (int i = 0; i < level; i++)
        {
            SetForward(node, i, Forward(update[i], i));
            SetForward(update[i], i, node);
            if (i > 0)
            {
                SetSpan(node, i, Span(update[i], i) - (int)(rank[0] - rank[i]));
                SetSpan(update[i], i, (int)(rank[0] - rank[i]) + 1);
            }
        }

        for (int i = level; i < _level; i++)
        {
            SetSpan(update[i], i, Span(update[i], i) + 1);
        }

        _nodes[node].Backward = update[0] == Header ? 0 : update[0];
        int next = _nodes[node].Next0;
        if (next != 0)
        {
            _nodes[next].Backward = node;
        }
        else
        {
            _tail = node;
        }
    }

    // zslDelete's search plus zslDeleteNode, for a linked node.
    private void Unlink(int node)
    {
        Span<int> update = stackalloc int[MaxLevel];
        double score = _nodes[node].Score;
        var member = _nodes[node].Member;
        int x = Header;
        for (int i = _level - 1; i >= 0; i--)
        {
            int f;
            while ((f = Forward(x, i)) != 0 && f != node && Before(_nodes[f].Score, _nodes[f].Member, score, member))
            {
                x = f;
            }

            update[i] = x;
        }

        for (int i = 0; i < _level; i++)
        {
            if (Forward(update[i], i) == node)
            {
                if (i > 0)
                {
                    SetSpan(update[i], i, Span(update[i], i) + Span(node, i) - 1);
                }

                SetForward(update[i], i, Forward(node, i));
            }
            else if (i > 0)
            {
                SetSpan(update[i], i, Span(update[i], i) - 1);
            }
        }

        int next = _nodes[node].Next0;
        if (next != 0)
        {
            _nodes[next].Backward = _nodes[node].Backward;
        }
        else
        {
            _tail = _nodes[node].Backward;
        }

        while (_level > 1 && Forward(Header, _level - 1) == 0)
        {
            _level--;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Forward(int node, int level) => level == 0 ? _nodes[node].Next0 : _upper[UpperOf(node) + 2 * (level - 1)];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Span(int node, int level) => level == 0 ? 1 : _upper[UpperOf(node) + 2 * (level - 1) + 1];

    private void SetForward(int node, int level, int forward)
    {
        if (level == 0)
        {
            _nodes[node].Next0 = forward;
        }
        else
        {
            _upper[UpperOf(node) + 2 * (level - 1)] = forward;
        }
    }

    private void SetSpan(int node, int level, int span)
    {
        if (level > 0)
        {
            _upper[UpperOf(node) + 2 * (level - 1) + 1] = span;
        }
    }

    // Redis's zslRandomLevel: each further level with probability 1/4, at most 32.
    private int RandomLevel()
    {
        ulong r = _random;
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        _random = r;
        int level = 1;
        while ((r & 3) == 0 && level < MaxLevel)
        {
            level++;
            r >>= 2;
        }

        return level;
    }

    private int AllocateNode(int level)
    {
        int node;
        if (_freeNode != 0)
        {
            node = _freeNode;
            _freeNode = _nodes[node].Next0;
        }
        else
        {
            if (_nodeCount == _nodes.Length)
            {
                Array.Resize(ref _nodes, _nodes.Length * 2);
            }

            node = _nodeCount++;
        }

        _nodes[node] = new Node { UpperLevel = Pack(level > 1 ? AllocateUpper(level) : 0, level) };
        return node;
    }

    private void FreeNode(int node)
    {
        ref var n = ref _nodes[node];
        int level = n.UpperLevel & LevelMask;
        if (level > 1)
        {
            int upper = n.UpperLevel >>> LevelBits;
            _upper[upper] = _upperFree[level];
            _upperFree[level] = upper;
        }

        _memberBytes -= ArrayBytes(n.Member.Length);
        n = default;
        n.Next0 = _freeNode;
        _freeNode = node;
    }

    private int AllocateUpper(int level)
    {
        int size = 2 * (level - 1);
        int block = _upperFree[level];
        if (block >= 0)
        {
            _upperFree[level] = _upper[block];
        }
        else
        {
            if (_upperUsed + size > _upper.Length)
            {
                Array.Resize(ref _upper, Math.Max(_upper.Length * 2, _upperUsed + size));
            }

            block = _upperUsed;
            _upperUsed += size;
        }

        _upper.AsSpan(block, size).Clear();
        return block;
    }

    /// <summary>Checks every span and link against a walk of level 0 (for tests).</summary>
    internal void Validate()
    {
        int count = 0;
        int prev = 0;
        for (int x = First; x != 0; x = Next(x))
        {
            if (_nodes[x].Backward != prev || (prev != 0 && !Before(_nodes[prev].Score, _nodes[prev].Member, _nodes[x].Score, _nodes[x].Member)))
            {
                throw new InvalidOperationException($"order or backward link broken at rank {count}");
            }

            if (Find(_nodes[x].Member) != x)
            {
                throw new InvalidOperationException("dictionary out of step");
            }

            prev = x;
            count++;
        }

        if (count != Count || _tail != prev)
        {
            throw new InvalidOperationException("count or tail wrong");
        }

        for (int i = 1; i < _level; i++)
        {
            int x = Header;
            long rankX = 0;
            while (Forward(x, i) != 0)
            {
                int f = Forward(x, i);
                long rankF = RankOf(f) + 1;
                if (rankF - rankX != Span(x, i))
                {
                    throw new InvalidOperationException($"span wrong at level {i}");
                }

                x = f;
                rankX = rankF;
            }
        }
    }

    private const int LevelBits = 6;
    private const int LevelMask = (1 << LevelBits) - 1;

    private static int Pack(int upper, int level) => (upper << LevelBits) | level;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int UpperOf(int node) => _nodes[node].UpperLevel >>> LevelBits;

    private int LevelOf(int node) => _nodes[node].UpperLevel & LevelMask;

    private void Unindex(int node)
    {
        ref int link = ref _buckets[KeyTable.Hash(_nodes[node].Member) & (_buckets.Length - 1)];
        while (link != node)
        {
            link = ref _nodes[link].HashNext;
        }

        link = _nodes[node].HashNext;
    }

    private void Rehash(int size)
    {
        var buckets = new int[size];
        for (int node = 1; node < _nodeCount; node++)
        {
            var member = _nodes[node].Member;
            if (member is not null)
            {
                ref int head = ref buckets[KeyTable.Hash(member) & (size - 1)];
                _nodes[node].HashNext = head;
                head = node;
            }
        }

        _buckets = buckets;
    }

    // 32 bytes a node: no per-node object besides the member's bytes. Levels 2+ live in _upper at
    // UpperLevel >> 6; the level (1..32) is UpperLevel's low 6 bits.
    private struct Node
    {
        public double Score;
        public byte[] Member;
        public int Backward;
        public int Next0;
        public int HashNext;
        public int UpperLevel;
    }
}

