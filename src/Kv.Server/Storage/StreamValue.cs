using System.Runtime.CompilerServices;
using Kv.Protocol;

namespace Kv.Server.Storage;

/// <summary>The field-value pairs of an entry being added (the command's arguments, read without copying).</summary>
internal interface IStreamFields
{
    int Count { get; }

    ReadOnlySpan<byte> Field(int i);

    ReadOnlySpan<byte> Value(int i);
}

/// <summary>Where an entry sits: block and entry index within it.</summary>
internal struct StreamPosition
{
    public int Block;
    public int Entry;
}

/// <summary>How XADD/XTRIM trim (Redis's streamAddTrimArgs).</summary>
internal struct StreamTrim
{
    public bool ByMinId;
    public long MaxLen;
    public StreamId MinId;
    public bool Approximate;

    /// <summary>Most entries one trim may remove; 0 = no limit.</summary>
    public long Limit;
}

/// <summary>
/// A stream: entries in blocks (Redis's radix tree of listpacks). Each block is one byte[] with the
/// field names of its first ("master") entry, then entries with IDs delta-encoded against the master
/// ID; an entry with the master's field names stores only its values. Blocks are kept in ID order in
/// an array (a deque at the head), so an ID is found by two binary searches (O(log n)).
/// </summary>
/// <remarks>
/// XDEL and trimming inside a block only flip an entry's flag (a tombstone, as Redis); a block with
/// no live entry left is dropped, and <c>~</c> trimming drops whole blocks only. A block closes at
/// stream-node-max-entries entries (live and deleted) or when the listpack Redis would hold for it
/// reaches stream-node-max-bytes (<see cref="StreamBlock.ListpackBytes"/> is that size, computed), so
/// blocks split where Redis's nodes split and approximate trimming removes what Redis removes.
/// </remarks>
internal sealed class StreamValue
{
    internal const byte FlagDeleted = 1;
    internal const byte FlagSameFields = 2;

    private StreamBlock?[] _blocks = new StreamBlock?[4];
    private int _head;
    private int _count;

    public long Length { get; private set; }

    public StreamId LastId { get; set; }

    /// <summary>The first live entry's ID (0-0 when empty), as Redis keeps s->first_id.</summary>
    public StreamId FirstId { get; private set; }

    public StreamId MaxDeletedId { get; set; }

    /// <summary>Entries ever added (XADD count, XSETID ENTRIESADDED).</summary>
    public long EntriesAdded { get; set; }

    /// <summary>Consumer groups in name order; null until the first one (Redis creates s->cgroups on demand).</summary>
    public StreamGroups? Groups { get; set; }

    public int BlockCount => _count;

    /// <summary>The <paramref name="i"/>-th block in ID order (the RDB writer serializes blocks as Redis's listpack nodes).</summary>
    public StreamBlock Block(int i) => BlockAt(i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private StreamBlock BlockAt(int i) => _blocks[_head + i]!;

    /// <summary>Appends an entry (the caller checked that <paramref name="id"/> is above <see cref="LastId"/>).</summary>
    public void Append<TFields>(StreamId id, in TFields fields, long nodeMaxBytes, int nodeMaxEntries)
        where TFields : IStreamFields, allows ref struct
    {
        int pairs = fields.Count;
        long valueBytes = 0;
        for (int i = 0; i < pairs; i++)
        {
            valueBytes += fields.Field(i).Length + fields.Value(i).Length;
        }

        StreamBlock? block = _count > 0 ? BlockAt(_count - 1) : null;
        if (block is not null)
        {
            // Redis's streamAppendItem: a new node when lp_bytes + the entry's bytes reach node-max-bytes
            // (0 = 1 GB) or the node holds node-max-entries entries, live or deleted.
            long maxBytes = nodeMaxBytes == 0 || nodeMaxBytes > (1 << 30) ? 1 << 30 : nodeMaxBytes;
            if (block.ListpackBytes + valueBytes >= maxBytes || (nodeMaxEntries != 0 && block.Entries >= nodeMaxEntries))
            {
                block.TrimExcess();
                block = null;
            }
        }

        if (block is null)
        {
            block = StreamBlock.Create(id, fields);
            AddBlock(block);
        }

        block.Append(id, fields);
        Length++;
        EntriesAdded++;
        LastId = id;
        if (Length == 1)
        {
            FirstId = id;
        }
    }

    private void AddBlock(StreamBlock block)
    {
        if (_head + _count == _blocks.Length)
        {
            if (_head > _blocks.Length / 2)
            {
                Array.Copy(_blocks, _head, _blocks, 0, _count);
                Array.Clear(_blocks, _count, _head);
                _head = 0;
            }
            else
            {
                Array.Resize(ref _blocks, _blocks.Length * 2);
            }
        }

        _blocks[_head + _count++] = block;
    }

    private void RemoveBlock(int i)
    {
        if (i == 0)
        {
            _blocks[_head++] = null;
            _count--;
            if (_count == 0)
            {
                _head = 0;
            }

            return;
        }

        Array.Copy(_blocks, _head + i + 1, _blocks, _head + i, _count - i - 1);
        _blocks[_head + --_count] = null;
    }

    /// <summary>Index of the block that would hold <paramref name="id"/>: the last whose master ID is ≤ it, or -1.</summary>
    private int FindBlock(StreamId id)
    {
        int lo = 0, hi = _count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (BlockAt(mid).MasterId <= id)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>The first live entry with an ID ≥ <paramref name="start"/>.</summary>
    public bool SeekFirst(StreamId start, out StreamPosition position)
    {
        position = default;
        if (_count == 0)
        {
            return false;
        }

        int b = FindBlock(start);
        if (b < 0)
        {
            position.Block = 0;
            position.Entry = -1;
        }
        else
        {
            position.Block = b;
            position.Entry = BlockAt(b).LowerBound(start) - 1;
        }

        return Next(ref position);
    }

    /// <summary>The last live entry with an ID ≤ <paramref name="end"/>.</summary>
    public bool SeekLast(StreamId end, out StreamPosition position)
    {
        position = default;
        int b = FindBlock(end);
        if (b < 0)
        {
            return false;
        }

        position.Block = b;
        position.Entry = BlockAt(b).UpperBound(end);
        return Previous(ref position);
    }

    /// <summary>Moves to the next live entry.</summary>
    public bool Next(ref StreamPosition position)
    {
        int b = position.Block, e = position.Entry + 1;
        while (b < _count)
        {
            var block = BlockAt(b);
            for (; e < block.Entries; e++)
            {
                if ((block.Data[block.Offsets[e]] & FlagDeleted) == 0)
                {
                    position.Block = b;
                    position.Entry = e;
                    return true;
                }
            }

            b++;
            e = 0;
        }

        return false;
    }

    /// <summary>Moves to the previous live entry.</summary>
    public bool Previous(ref StreamPosition position)
    {
        int b = position.Block, e = position.Entry - 1;
        while (b >= 0)
        {
            var block = BlockAt(b);
            for (; e >= 0; e--)
            {
                if ((block.Data[block.Offsets[e]] & FlagDeleted) == 0)
                {
                    position.Block = b;
                    position.Entry = e;
                    return true;
                }
            }

            if (--b >= 0)
            {
                e = BlockAt(b).Entries - 1;
            }
        }

        return false;
    }

    public StreamId IdAt(in StreamPosition position) => BlockAt(position.Block).IdAt(position.Entry);

    /// <summary>Writes the entry as Redis's reply: <c>[id, [field, value, ...]]</c>.</summary>
    public void WriteEntry(RespWriter reply, in StreamPosition position) => BlockAt(position.Block).WriteEntry(reply, position.Entry);

    /// <summary>Number of fields of the entry.</summary>
    public int FieldCountAt(in StreamPosition position) => BlockAt(position.Block).FieldCount(position.Entry);

    /// <summary>Finds a live entry by ID.</summary>
    public bool TryFind(StreamId id, out StreamPosition position)
    {
        position = default;
        int b = FindBlock(id);
        if (b < 0)
        {
            return false;
        }

        var block = BlockAt(b);
        int e = block.LowerBound(id);
        if (e >= block.Entries || block.IdAt(e) != id || (block.Data[block.Offsets[e]] & FlagDeleted) != 0)
        {
            return false;
        }

        position.Block = b;
        position.Entry = e;
        return true;
    }

    public bool Contains(StreamId id) => TryFind(id, out _);

    /// <summary>Redis's streamDeleteItem: marks a live entry deleted (its block goes when it was the block's last live entry).</summary>
    public bool Delete(StreamId id)
    {
        if (!TryFind(id, out var position))
        {
            return false;
        }

        var block = BlockAt(position.Block);
        if (block.Live == 1)
        {
            RemoveBlock(position.Block);
        }
        else
        {
            block.MarkDeleted(position.Entry);
        }

        Length--;
        return true;
    }

    /// <summary>Recomputes <see cref="FirstId"/> after entries went (Redis's streamGetEdgeID with tombstones skipped).</summary>
    public void RefreshFirstId() => FirstId = Length > 0 && SeekFirst(StreamId.Zero, out var p) ? IdAt(p) : StreamId.Zero;

    /// <summary>The last live entry's ID, 0-0 when empty (Redis's streamLastValidID).</summary>
    public StreamId LastValidId => Length > 0 && SeekLast(StreamId.Max, out var p) ? IdAt(p) : StreamId.Zero;

    /// <summary>Redis's streamTrim: removes entries from the head by MAXLEN or MINID; returns how many.</summary>
    public long Trim(in StreamTrim trim)
    {
        long deleted = 0;
        while (_count > 0)
        {
            if (!trim.ByMinId && Length <= trim.MaxLen)
            {
                break;
            }

            var block = BlockAt(0);
            long entries = block.Live;
            if (trim.Limit != 0 && deleted + entries > trim.Limit)
            {
                break;
            }

            // A whole node goes when what remains is still long enough, or its last entry (even a tombstone) is below MINID.
            bool removeNode = trim.ByMinId ? block.IdAt(block.Entries - 1) < trim.MinId : Length - entries >= trim.MaxLen;
            if (removeNode)
            {
                RemoveBlock(0);
                Length -= entries;
                deleted += entries;
                continue;
            }

            if (trim.Approximate)
            {
                break;
            }

            for (int e = 0; e < block.Entries; e++)
            {
                bool stop = trim.ByMinId ? block.IdAt(e) >= trim.MinId : Length <= trim.MaxLen;
                if (stop)
                {
                    break;
                }

                if ((block.Data[block.Offsets[e]] & FlagDeleted) == 0)
                {
                    block.MarkDeleted(e);
                    Length--;
                    deleted++;
                }
            }

            break;
        }

        RefreshFirstId();
        return deleted;
    }

    /// <summary>A deep copy, groups included (COPY).</summary>
    public StreamValue Clone()
    {
        var copy = new StreamValue
        {
            _blocks = new StreamBlock?[Math.Max(4, _count)],
            _count = _count,
            Length = Length,
            LastId = LastId,
            FirstId = FirstId,
            MaxDeletedId = MaxDeletedId,
            EntriesAdded = EntriesAdded,
        };
        for (int i = 0; i < _count; i++)
        {
            copy._blocks[i] = BlockAt(i).Clone();
        }

        copy.Groups = Groups?.Clone();
        return copy;
    }

    /// <summary>Redis's streamRangeHasTombstones: may a deleted entry lie in [start, end]?</summary>
    public bool RangeHasTombstones(StreamId start, StreamId end)
    {
        if (Length == 0 || MaxDeletedId.IsZero)
        {
            return false;
        }

        if (FirstId > MaxDeletedId)
        {
            return false;
        }

        return start <= MaxDeletedId && MaxDeletedId <= end;
    }

    /// <summary>
    /// XINFO STREAM's radix-tree-nodes: the nodes Redis's rax would have for the blocks' 128-bit
    /// big-endian master IDs — the root, each branching point, each child of one, and each leaf
    /// (single-child runs are compressed into one node).
    /// </summary>
    public long RadixTreeNodes() => _count == 0 ? 1 : RaxNodes(0, _count, 0);

    private long RaxNodes(int lo, int hi, int depth)
    {
        // This node starts at depth; runs to where its keys diverge (a compressed node when that is deeper).
        int common = hi - lo == 1 ? 16 : CommonPrefix(BlockAt(lo).MasterId, BlockAt(hi - 1).MasterId);
        long nodes = common > depth ? 1 : 0;
        if (common == 16)
        {
            return nodes + 1; // the key's leaf
        }

        nodes++; // the branching node at 'common'
        for (int start = lo; start < hi;)
        {
            byte b = KeyByte(BlockAt(start).MasterId, common);
            int end = start + 1;
            while (end < hi && KeyByte(BlockAt(end).MasterId, common) == b)
            {
                end++;
            }

            nodes += RaxNodes(start, end, common + 1);
            start = end;
        }

        return nodes;
    }

    private static byte KeyByte(StreamId id, int i) => i < 8 ? (byte)(id.Ms >> (56 - (8 * i))) : (byte)(id.Seq >> (56 - (8 * (i - 8))));

    private static int CommonPrefix(StreamId a, StreamId b)
    {
        for (int i = 0; i < 16; i++)
        {
            if (KeyByte(a, i) != KeyByte(b, i))
            {
                return i;
            }
        }

        return 16;
    }

    /// <summary>Redis's SCG_INVALID_ENTRIES_READ.</summary>
    public const long InvalidEntriesRead = -1;

    /// <summary>
    /// Redis's streamEstimateDistanceFromFirstEverEntry: how many entries were added up to
    /// <paramref name="id"/>, or <see cref="InvalidEntriesRead"/> when tombstones make it unknowable.
    /// </summary>
    public long EstimateDistanceFromFirstEverEntry(StreamId id)
    {
        if (EntriesAdded == 0)
        {
            return 0;
        }

        if (Length == 0 && id <= LastId)
        {
            return EntriesAdded;
        }

        int cmpLast = id.CompareTo(LastId);
        if (cmpLast == 0)
        {
            return EntriesAdded;
        }

        if (cmpLast > 0)
        {
            return InvalidEntriesRead;
        }

        int cmpFirst = id.CompareTo(FirstId);
        if (MaxDeletedId.IsZero || MaxDeletedId < FirstId)
        {
            if (cmpFirst < 0)
            {
                return EntriesAdded - Length;
            }

            if (cmpFirst == 0)
            {
                return EntriesAdded - Length + 1;
            }
        }

        return InvalidEntriesRead;
    }
}

/// <summary>
/// One node of a stream: a byte[] holding the master field names, then the entries. Entry layout:
/// flags (1 byte), ms delta (varint), seq delta (zigzag varint), then either the values alone (same
/// fields as the master) or a field count and field-value pairs; strings are a varint length and the bytes.
/// </summary>
internal sealed class StreamBlock
{
    public StreamId MasterId;
    public byte[] Data = [];
    public int Used;
    public int[] Offsets = [];
    public int Entries;
    public int Live;
    public int MasterFieldCount;
    public int MasterFieldsStart;

    /// <summary>The size of the listpack Redis would hold for this node (lpBytes), for Redis's node-split rule.</summary>
    public long ListpackBytes;

    public int DeletedCount => Entries - Live;

    public static StreamBlock Create<TFields>(StreamId masterId, in TFields fields)
        where TFields : IStreamFields, allows ref struct
    {
        int pairs = fields.Count;
        int size = 5;
        long listpack = 7 + ListpackInt(1) + ListpackInt(0) + ListpackInt(pairs) + ListpackInt(0);
        for (int i = 0; i < pairs; i++)
        {
            size += 5 + fields.Field(i).Length;
            listpack += ListpackString(fields.Field(i));
        }

        var block = new StreamBlock
        {
            MasterId = masterId,
            Data = new byte[Math.Max(64, (size + EntrySizeBound(fields, same: true)) * 2)],
            Offsets = new int[8],
            MasterFieldCount = pairs,
            ListpackBytes = listpack, // the header already counts the first entry (count 1 and 0 take as many bytes)
        };
        int at = WriteVarint(block.Data, 0, (ulong)pairs);
        block.MasterFieldsStart = at;
        for (int i = 0; i < pairs; i++)
        {
            at = WriteString(block.Data, at, fields.Field(i));
        }

        block.Used = at;
        return block;
    }

    private static int EntrySizeBound<TFields>(in TFields fields, bool same)
        where TFields : IStreamFields, allows ref struct
    {
        int size = 1 + 10 + 10 + 5;
        for (int i = 0; i < fields.Count; i++)
        {
            size += 5 + fields.Value(i).Length;
            if (!same)
            {
                size += 5 + fields.Field(i).Length;
            }
        }

        return size;
    }

    public void Append<TFields>(StreamId id, in TFields fields)
        where TFields : IStreamFields, allows ref struct
    {
        int pairs = fields.Count;
        bool same = pairs == MasterFieldCount && SameFieldsAsMaster(fields);
        int bound = EntrySizeBound(fields, same);
        if (Used + bound > Data.Length)
        {
            Array.Resize(ref Data, Math.Max(Data.Length * 2, Used + bound));
        }

        if (Entries == Offsets.Length)
        {
            Array.Resize(ref Offsets, Offsets.Length * 2);
        }

        // Redis's listpack: count+1, then flags, ms delta, seq delta, [num-fields], [fields], values, lp-count.
        long msDelta = (long)(id.Ms - MasterId.Ms), seqDelta = (long)(id.Seq - MasterId.Seq);
        long listpack = ListpackInt(Live + 1) - ListpackInt(Live) + ListpackInt(same ? StreamValue.FlagSameFields : 0) + ListpackInt(msDelta) + ListpackInt(seqDelta);
        long lpCount = pairs + 3;
        if (!same)
        {
            listpack += ListpackInt(pairs);
            lpCount += pairs + 1;
        }

        int at = Used;
        Offsets[Entries] = at;
        Data[at++] = same ? StreamValue.FlagSameFields : (byte)0;
        at = WriteVarint(Data, at, id.Ms - MasterId.Ms);
        at = WriteVarint(Data, at, ZigZag(seqDelta));
        if (!same)
        {
            at = WriteVarint(Data, at, (ulong)pairs);
        }

        for (int i = 0; i < pairs; i++)
        {
            if (!same)
            {
                at = WriteString(Data, at, fields.Field(i));
                listpack += ListpackString(fields.Field(i));
            }

            at = WriteString(Data, at, fields.Value(i));
            listpack += ListpackString(fields.Value(i));
        }

        ListpackBytes += listpack + ListpackInt(lpCount);
        Used = at;
        Entries++;
        Live++;
    }

    private bool SameFieldsAsMaster<TFields>(in TFields fields)
        where TFields : IStreamFields, allows ref struct
    {
        int at = MasterFieldsStart;
        for (int i = 0; i < MasterFieldCount; i++)
        {
            at = ReadString(Data, at, out int start, out int length);
            if (!Data.AsSpan(start, length).SequenceEqual(fields.Field(i)))
            {
                return false;
            }
        }

        return true;
    }

    public void MarkDeleted(int entry)
    {
        Data[Offsets[entry]] |= StreamValue.FlagDeleted;
        int deleted = DeletedCount;
        ListpackBytes += ListpackInt(Live - 1) - ListpackInt(Live) + ListpackInt(deleted + 1) - ListpackInt(deleted);
        Live--;
    }

    public void TrimExcess()
    {
        if (Data.Length > Used + (Used >> 3))
        {
            Array.Resize(ref Data, Used);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public StreamId IdAt(int entry)
    {
        int at = ReadVarint(Data, Offsets[entry] + 1, out ulong ms);
        ReadVarint(Data, at, out ulong seq);
        return new StreamId(MasterId.Ms + ms, MasterId.Seq + (ulong)UnZigZag(seq));
    }

    /// <summary>First entry index with an ID ≥ <paramref name="id"/> (tombstones included).</summary>
    public int LowerBound(StreamId id)
    {
        int lo = 0, hi = Entries;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (IdAt(mid) < id)
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

    /// <summary>First entry index with an ID &gt; <paramref name="id"/>.</summary>
    public int UpperBound(StreamId id)
    {
        int lo = 0, hi = Entries;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (IdAt(mid) <= id)
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

    public int FieldCount(int entry)
    {
        int at = Offsets[entry];
        if ((Data[at] & StreamValue.FlagSameFields) != 0)
        {
            return MasterFieldCount;
        }

        at = SkipVarint(Data, SkipVarint(Data, at + 1));
        ReadVarint(Data, at, out ulong pairs);
        return (int)pairs;
    }

    public void WriteEntry(RespWriter reply, int entry)
    {
        int at = Offsets[entry];
        byte flags = Data[at];
        at = ReadVarint(Data, at + 1, out ulong ms);
        at = ReadVarint(Data, at, out ulong seq);
        var id = new StreamId(MasterId.Ms + ms, MasterId.Seq + (ulong)UnZigZag(seq));
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        reply.ArrayHeader(2);
        reply.Bulk(text[..id.Format(text)]);
        if ((flags & StreamValue.FlagSameFields) != 0)
        {
            reply.ArrayHeader(MasterFieldCount * 2);
            int field = MasterFieldsStart;
            for (int i = 0; i < MasterFieldCount; i++)
            {
                field = ReadString(Data, field, out int fStart, out int fLength);
                at = ReadString(Data, at, out int vStart, out int vLength);
                reply.Bulk(Data.AsSpan(fStart, fLength));
                reply.Bulk(Data.AsSpan(vStart, vLength));
            }
        }
        else
        {
            at = ReadVarint(Data, at, out ulong pairs);
            reply.ArrayHeader((long)pairs * 2);
            for (ulong i = 0; i < pairs * 2; i++)
            {
                at = ReadString(Data, at, out int start, out int length);
                reply.Bulk(Data.AsSpan(start, length));
            }
        }
    }

    public StreamBlock Clone() => new()
    {
        MasterId = MasterId,
        Data = Data.AsSpan(0, Used).ToArray(),
        Used = Used,
        Offsets = (int[])Offsets.Clone(),
        Entries = Entries,
        Live = Live,
        MasterFieldCount = MasterFieldCount,
        MasterFieldsStart = MasterFieldsStart,
        ListpackBytes = ListpackBytes,
    };

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    /// <summary>The seq delta as stored (zigzag) back to its signed value.</summary>
    internal static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int WriteVarint(byte[] data, int at, ulong value)
    {
        while (value >= 0x80)
        {
            data[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        data[at++] = (byte)value;
        return at;
    }

    /// <summary>Reads one of the block's LEB128 varints at <paramref name="at"/>; returns the offset after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ReadVarint(byte[] data, int at, out ulong value)
    {
        ulong result = 0;
        int shift = 0;
        byte b;
        do
        {
            b = data[at++];
            result |= (ulong)(b & 0x7F) << shift;
            shift += 7;
        }
        while (b >= 0x80);
        value = result;
        return at;
    }

    private static int SkipVarint(byte[] data, int at)
    {
        while (data[at++] >= 0x80)
        {
        }

        return at;
    }

    private static int WriteString(byte[] data, int at, ReadOnlySpan<byte> value)
    {
        at = WriteVarint(data, at, (ulong)value.Length);
        value.CopyTo(data.AsSpan(at));
        return at + value.Length;
    }

    /// <summary>Reads one of the block's varint-length strings at <paramref name="at"/>; returns the offset after it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int ReadString(byte[] data, int at, out int start, out int length)
    {
        at = ReadVarint(data, at, out ulong len);
        start = at;
        length = (int)len;
        return at + length;
    }

    /// <summary>Bytes of an integer element in a listpack (encoding plus backlen).</summary>
    private static int ListpackInt(long v) => v switch
    {
        >= 0 and <= 127 => 2,
        >= -4096 and <= 4095 => 3,
        >= short.MinValue and <= short.MaxValue => 4,
        >= -8388608 and <= 8388607 => 5,
        >= int.MinValue and <= int.MaxValue => 6,
        _ => 10,
    };

    /// <summary>Bytes of a string element in a listpack: stored as an integer when it reads as one (lpStringToInt64).</summary>
    private static long ListpackString(ReadOnlySpan<byte> s)
    {
        if (s.Length <= 20 && RespNumber.TryParseInt64(s, out long v))
        {
            return ListpackInt(v);
        }

        long encoded = s.Length < 64 ? 1 + s.Length : s.Length < 4096 ? 2 + s.Length : 5 + (long)s.Length;
        int backlen = encoded <= 127 ? 1 : encoded < 16383 ? 2 : encoded < 2097151 ? 3 : encoded < 268435455 ? 4 : 5;
        return encoded + backlen;
    }
}
