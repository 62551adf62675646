using System.Buffers.Binary;
using Kv.Protocol;
using Kv.Server.Storage;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Serializes keys and values as Redis 7.0's rdbSaveKeyValuePair / rdbSaveObject do, choosing the RDB
/// type Redis would for the encoding OBJECT ENCODING reports: strings; lists as quicklist 2 of listpack
/// nodes; hashes as a listpack or a plain hash; sets as an intset or a plain set; sorted sets as a
/// listpack or ZSET_2 (binary doubles); streams as STREAM_LISTPACKS_2 with groups, consumers and PELs.
/// </summary>
/// <remarks>
/// A hash with field TTLs (Redis 7.4's hash field expiration; 7.0 has none) is written as Redis 7.4
/// writes a hashtable hash with TTLs: RDB_TYPE_HASH_METADATA (24), the smallest field expiry, then per
/// field its TTL relative to it (+1; 0 = none), field and value — byte for byte 7.4's rdbSaveObject.
/// redis-server 7.4+ loads it with the TTLs; redis-server 7.0 refuses such a file ("Unknown RDB
/// encoding type 24") instead of silently dropping TTLs. Hashes without field TTLs stay 7.0-readable.
/// </remarks>
internal sealed class RdbValueWriter
{
    private readonly ListpackBuilder _listpack = new();
    private readonly RdbBuffer _scratch = new(256);
    private readonly int _listFill;

    public RdbValueWriter(int listMaxListpackSize) => _listFill = listMaxListpackSize;

    /// <summary>
    /// Whether each key carries its access information, as rdbSaveKeyValuePair writes it: the idle time
    /// under an LRU maxmemory-policy, the LFU counter under an LFU one, nothing otherwise.
    /// </summary>
    public RdbAccessInfo AccessInfo { get; init; }

    /// <summary>The time idle times and LFU decay are computed at (the snapshot instant).</summary>
    public long NowMilliseconds { get; init; }

    /// <summary>lfu-decay-time, for the counter written (LFUDecrAndReturn).</summary>
    public int LfuDecayTime { get; init; } = 1;

    /// <summary>Writes the entry at <paramref name="index"/>: its expiry, idle time or LFU counter, type, key and value.</summary>
    public void WriteEntry(RdbBuffer output, KeyTable table, int index)
    {
        long expiresAt = table.ExpiresAt(index);
        if (expiresAt != 0)
        {
            output.WriteByte(RdbFormat.OpcodeExpireTimeMs);
            output.WriteMilliseconds(expiresAt);
        }

        ref var entry = ref table.At(index);
        if (AccessInfo == RdbAccessInfo.Idle)
        {
            output.WriteByte(RdbFormat.OpcodeIdle);
            output.WriteLength(Database.IdleSeconds(entry.LastAccess, Database.Clock(NowMilliseconds)));
        }
        else if (AccessInfo == RdbAccessInfo.Freq)
        {
            output.WriteByte(RdbFormat.OpcodeFreq);
            output.WriteByte((byte)Persistence.LfuCounter.Decayed(entry.LastAccess, NowMilliseconds, LfuDecayTime));
        }

        if (table.TryGetString(index, out var text))
        {
            output.WriteByte(RdbFormat.TypeString);
            output.WriteString(entry.Key);
            output.WriteString(text);
            return;
        }

        var value = table.ValueAt(index);
        output.WriteByte(TypeOf(value));
        output.WriteString(entry.Key);
        WriteBody(output, value);
    }

    /// <summary>The RDB type byte for <paramref name="value"/> (rdbSaveObjectType).</summary>
    public static byte TypeOf(object value) => value switch
    {
        byte[] or MutableString => RdbFormat.TypeString,
        ListValue => RdbFormat.TypeListQuicklist2,
        HashValue { VolatileCount: > 0 } => RdbFormat.TypeHashMetadata,
        HashValue { IsListpack: true } => RdbFormat.TypeHashListpack,
        HashValue => RdbFormat.TypeHash,
        SetValue { IsIntset: true } => RdbFormat.TypeSetIntset,
        SetValue => RdbFormat.TypeSet,
        SortedSet { IsListpack: true } => RdbFormat.TypeZsetListpack,
        SortedSet => RdbFormat.TypeZset2,
        StreamValue => RdbFormat.TypeStreamListpacks2,
        _ => throw new NotSupportedException($"No RDB type for a {value.GetType().Name}."),
    };

    /// <summary>Writes the value's body (after its type byte).</summary>
    public void WriteBody(RdbBuffer output, object value)
    {
        switch (value)
        {
            case byte[] bytes:
                output.WriteString(bytes);
                break;
            case MutableString mutable:
                output.WriteString(mutable.Span);
                break;
            case ListValue list:
                WriteList(output, list);
                break;
            case HashValue hash:
                WriteHash(output, hash);
                break;
            case SetValue set:
                WriteSet(output, set);
                break;
            case SortedSet zset:
                WriteSortedSet(output, zset);
                break;
            case StreamValue stream:
                WriteStream(output, stream);
                break;
            default:
                throw new NotSupportedException($"No RDB encoding for a {value.GetType().Name}.");
        }
    }

    // Redis's quicklist nodes: a listpack each, split where list-max-listpack-size splits them (a byte
    // limit for -1..-5, an element count for positive values). Nodes are written PACKED; a plain node
    // (an element of 1 GB or more) cannot occur here.
    private void WriteList(RdbBuffer output, ListValue list)
    {
        int maxBytes = _listFill switch
        {
            -1 => 4096,
            -2 => 8192,
            -3 => 16384,
            -4 => 32768,
            < -4 => 65536,
            _ => int.MaxValue,
        };
        int maxCount = _listFill > 0 ? _listFill : int.MaxValue;

        // The node count comes first, so nodes are built into a scratch buffer first.
        _scratch.Clear();
        _scratch.Compress = output.Compress;
        long nodes = 0;
        _listpack.Reset();
        var e = list.GetEnumerator(0, true);
        while (e.MoveNext())
        {
            var item = e.Current;
            if (_listpack.Count > 0 && (_listpack.Count >= maxCount || _listpack.Bytes + ListpackBuilder.SizeOf(item) + 11 > maxBytes))
            {
                _scratch.WriteLength(RdbFormat.QuicklistNodePacked);
                _scratch.WriteString(_listpack.Finish());
                nodes++;
                _listpack.Reset();
            }

            _listpack.Append(item);
        }

        if (_listpack.Count > 0)
        {
            _scratch.WriteLength(RdbFormat.QuicklistNodePacked);
            _scratch.WriteString(_listpack.Finish());
            nodes++;
        }

        output.WriteLength((ulong)nodes);
        output.WriteRaw(_scratch.WrittenSpan);
    }

    private void WriteHash(RdbBuffer output, HashValue hash)
    {
        if (hash.VolatileCount > 0)
        {
            long min = long.MaxValue;
            for (int i = 0; i < hash.IndexLimit; i++)
            {
                long at = hash.IsLive(i) ? hash.ExpiryAt(i) : 0;
                if (at != 0 && at < min)
                {
                    min = at;
                }
            }

            output.WriteMilliseconds(min);
            output.WriteLength((ulong)hash.Count);
            for (int i = 0; i < hash.IndexLimit; i++)
            {
                if (hash.IsLive(i))
                {
                    long at = hash.ExpiryAt(i);
                    output.WriteLength(at == 0 ? 0 : (ulong)(at - min + 1));
                    output.WriteString(hash.FieldAt(i));
                    output.WriteString(hash.ValueAt(i));
                }
            }

            return;
        }

        if (hash.IsListpack)
        {
            _listpack.Reset();
            for (int i = 0; i < hash.IndexLimit; i++)
            {
                if (hash.IsLive(i))
                {
                    _listpack.Append(hash.FieldAt(i));
                    _listpack.Append(hash.ValueAt(i));
                }
            }

            output.WriteString(_listpack.Finish());
            return;
        }

        output.WriteLength((ulong)hash.Count);
        for (int i = 0; i < hash.IndexLimit; i++)
        {
            if (hash.IsLive(i))
            {
                output.WriteString(hash.FieldAt(i));
                output.WriteString(hash.ValueAt(i));
            }
        }
    }

    private void WriteSet(RdbBuffer output, SetValue set)
    {
        if (set.IsIntset)
        {
            // The intset blob is written as an RDB string (so it may be LZF-compressed), as Redis does.
            var values = new long[set.Count];
            for (int i = 0; i < values.Length; i++)
            {
                set.TryGetInteger(i, out values[i]);
            }

            _scratch.Clear();
            Intset.Write(_scratch, values);
            output.WriteString(_scratch.WrittenSpan);
            return;
        }

        output.WriteLength((ulong)set.Count);
        for (int i = 0; i < set.PositionLimit; i++)
        {
            if (!set.IsLive(i))
            {
                continue;
            }

            if (set.TryGetInteger(i, out long number))
            {
                output.WriteIntegerString(number);
            }
            else
            {
                output.WriteString(set.BytesAt(i));
            }
        }
    }

    private void WriteSortedSet(RdbBuffer output, SortedSet zset)
    {
        if (zset.IsListpack)
        {
            // zzlInsertAt: member, then the score as d2string's text (an integer when it reads as one).
            Span<byte> text = stackalloc byte[32];
            _listpack.Reset();
            for (int node = zset.First; node != 0; node = zset.Next(node))
            {
                _listpack.Append(zset.MemberAt(node));
                _listpack.Append(text[..RespNumber.FormatDouble(zset.ScoreAt(node), text)]);
            }

            output.WriteString(_listpack.Finish());
            return;
        }

        // Redis saves a skiplist from the tail, so loading inserts each element at the head in O(1).
        output.WriteLength((ulong)zset.Count);
        for (int node = zset.Last; node != 0; node = zset.Previous(node))
        {
            output.WriteString(zset.MemberAt(node));
            output.WriteBinaryDouble(zset.ScoreAt(node));
        }
    }

    // STREAM_LISTPACKS_2 (Redis 7.0): each node as its master ID (16 bytes, big endian) and a listpack
    // laid out as Redis's streamAppendItem builds it, then length, last/first/max-deleted IDs, entries
    // added, and the consumer groups with their PELs and consumers.
    private void WriteStream(RdbBuffer output, StreamValue stream)
    {
        output.WriteLength((ulong)stream.BlockCount);
        Span<byte> id = stackalloc byte[16];
        for (int b = 0; b < stream.BlockCount; b++)
        {
            var block = stream.Block(b);
            BinaryPrimitives.WriteUInt64BigEndian(id, block.MasterId.Ms);
            BinaryPrimitives.WriteUInt64BigEndian(id[8..], block.MasterId.Seq);
            output.WriteString(id);
            output.WriteString(BuildStreamListpack(block));
        }

        output.WriteLength((ulong)stream.Length);
        WriteId(output, stream.LastId);
        WriteId(output, stream.FirstId);
        WriteId(output, stream.MaxDeletedId);
        output.WriteLength((ulong)stream.EntriesAdded);

        var groups = stream.Groups;
        output.WriteLength((ulong)(groups?.Count ?? 0));
        if (groups is null)
        {
            return;
        }

        foreach (var group in groups.All)
        {
            output.WriteString(group.Name);
            WriteId(output, group.LastId);
            output.WriteLength((ulong)group.EntriesRead);

            // The group's PEL: raw IDs with delivery time and count.
            output.WriteLength((ulong)group.Pending.Count);
            var cursor = group.Pending.Seek(StreamId.Zero);
            while (group.Pending.TryGet(cursor, out var pending))
            {
                WriteRawId(output, pending.Id);
                output.WriteMilliseconds(pending.DeliveryTime);
                output.WriteLength((ulong)pending.DeliveryCount);
                group.Pending.MoveNext(ref cursor);
            }

            output.WriteLength((ulong)group.Consumers.Count);
            foreach (var consumer in group.Consumers)
            {
                output.WriteString(consumer.Name);
                output.WriteMilliseconds(consumer.SeenTime);
                output.WriteLength((ulong)consumer.Pending.Count);
                var own = consumer.Pending.Seek(StreamId.Zero);
                while (consumer.Pending.TryGet(own, out var pending))
                {
                    WriteRawId(output, pending.Id);
                    consumer.Pending.MoveNext(ref own);
                }
            }
        }
    }

    private static void WriteId(RdbBuffer output, StreamId id)
    {
        output.WriteLength(id.Ms);
        output.WriteLength(id.Seq);
    }

    private static void WriteRawId(RdbBuffer output, StreamId id)
    {
        var span = output.GetSpan(16);
        BinaryPrimitives.WriteUInt64BigEndian(span, id.Ms);
        BinaryPrimitives.WriteUInt64BigEndian(span[8..], id.Seq);
        output.Advance(16);
    }

    private ReadOnlySpan<byte> BuildStreamListpack(StreamBlock block)
    {
        var data = block.Data;
        var lp = _listpack;
        lp.Reset();
        lp.AppendInteger(block.Live);
        lp.AppendInteger(block.DeletedCount);
        lp.AppendInteger(block.MasterFieldCount);
        int at = block.MasterFieldsStart;
        for (int i = 0; i < block.MasterFieldCount; i++)
        {
            at = StreamBlock.ReadString(data, at, out int start, out int length);
            lp.Append(data.AsSpan(start, length));
        }

        lp.AppendInteger(0); // the master entry's terminator

        for (int entry = 0; entry < block.Entries; entry++)
        {
            at = block.Offsets[entry];
            byte flags = data[at];
            at = StreamBlock.ReadVarint(data, at + 1, out ulong ms);
            at = StreamBlock.ReadVarint(data, at, out ulong seqZigZag);
            long seqDelta = StreamBlock.UnZigZag(seqZigZag);
            lp.AppendInteger(flags);
            lp.AppendInteger((long)ms);
            lp.AppendInteger(seqDelta);
            int pairs;
            if ((flags & StreamValue.FlagSameFields) != 0)
            {
                pairs = block.MasterFieldCount;
                for (int i = 0; i < pairs; i++)
                {
                    at = StreamBlock.ReadString(data, at, out int start, out int length);
                    lp.Append(data.AsSpan(start, length));
                }

                lp.AppendInteger(pairs + 3);
            }
            else
            {
                at = StreamBlock.ReadVarint(data, at, out ulong count);
                pairs = (int)count;
                lp.AppendInteger(pairs);
                for (int i = 0; i < pairs * 2; i++)
                {
                    at = StreamBlock.ReadString(data, at, out int start, out int length);
                    lp.Append(data.AsSpan(start, length));
                }

                lp.AppendInteger((pairs * 2) + 4);
            }
        }

        return lp.Finish();
    }
}

/// <summary>The per-key access information an RDB file carries (maxmemory-policy decides, as in Redis).</summary>
internal enum RdbAccessInfo
{
    None,

    /// <summary>allkeys-lru, volatile-lru: RDB_OPCODE_IDLE with the seconds since the last access.</summary>
    Idle,

    /// <summary>allkeys-lfu, volatile-lfu: RDB_OPCODE_FREQ with the LFU counter.</summary>
    Freq,
}
