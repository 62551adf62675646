using System.Buffers.Binary;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Reads values as Redis 7.0's rdbLoadObject does — every type Redis 7.0 writes plus the older encodings
/// it still loads (ziplist, zipmap, quicklist v1, ZSET with text scores), and Redis 7.2/7.4's set listpack
/// and hashes with field TTLs — giving each the encoding Redis would after loading (a small collection
/// stays compact, one past the *-max-* limits converts).
/// </summary>
internal sealed class RdbValueReader(ServerConfig config)
{
    private readonly byte[] _scratch = new byte[24];

    /// <summary>True for a byte that starts a value (not an opcode).</summary>
    public static bool IsValueType(byte type) => type is <= RdbFormat.TypeStreamListpacks3 or RdbFormat.TypeHashMetadata or RdbFormat.TypeHashListpackEx
        && type is not (RdbFormat.TypeModule or RdbFormat.TypeModule2 or 8);

    /// <summary>Reads a value of <paramref name="type"/>; null when nothing is left of it (all its hash fields expired).</summary>
    public object? Read(RdbReader r, byte type, long now)
    {
        switch (type)
        {
            case RdbFormat.TypeString:
                return r.ReadString();
            case RdbFormat.TypeList:
            {
                int count = r.ReadCount();
                var list = new ListValue();
                for (int i = 0; i < count; i++)
                {
                    list.PushTail(r.ReadString());
                }

                return NonEmpty(r, list.Count, list);
            }

            case RdbFormat.TypeListZiplist:
            {
                var list = new ListValue();
                AppendZiplist(list, r.ReadString());
                return NonEmpty(r, list.Count, list);
            }

            case RdbFormat.TypeListQuicklist:
            case RdbFormat.TypeListQuicklist2:
                return ReadQuicklist(r, type == RdbFormat.TypeListQuicklist2);
            case RdbFormat.TypeSet:
            {
                int count = r.ReadCount();
                SetValue? set = null;
                for (int i = 0; i < count; i++)
                {
                    var member = r.ReadString();
                    set ??= SetValue.CreateFor(member);
                    if (!set.Add(member, config.SetMaxIntsetEntries))
                    {
                        throw r.Corrupt("duplicate set members");
                    }
                }

                return set is null ? throw r.Corrupt("empty set") : set;
            }

            case RdbFormat.TypeSetIntset:
            {
                var set = new SetValue();
                foreach (long v in Intset.Read(r.ReadString()))
                {
                    set.AddInteger(v, config.SetMaxIntsetEntries);
                }

                return set;
            }

            case RdbFormat.TypeSetListpack:
            {
                var blob = r.ReadString();
                var reader = new ListpackReader(blob);
                SetValue? set = null;
                while (reader.NextBytes(_scratch, out var member))
                {
                    set ??= SetValue.CreateFor(member);
                    if (!set.Add(member, config.SetMaxIntsetEntries))
                    {
                        throw r.Corrupt("duplicate set members");
                    }
                }

                return set is null ? throw r.Corrupt("empty set") : set;
            }

            case RdbFormat.TypeZset:
            case RdbFormat.TypeZset2:
            {
                int count = r.ReadCount();
                var pairs = new List<(byte[], double)>(Math.Min(count, 1 << 16));
                for (int i = 0; i < count; i++)
                {
                    var member = r.ReadString();
                    double score = type == RdbFormat.TypeZset2 ? r.ReadBinaryDouble() : r.ReadTextDouble();
                    if (double.IsNaN(score))
                    {
                        throw r.Corrupt("zset score is NaN");
                    }

                    pairs.Add((member, score));
                }

                return BuildSortedSet(r, pairs);
            }

            case RdbFormat.TypeZsetZiplist:
            case RdbFormat.TypeZsetListpack:
            {
                var blob = r.ReadString();
                var pairs = new List<(byte[], double)>();
                if (type == RdbFormat.TypeZsetListpack)
                {
                    var reader = new ListpackReader(blob);
                    while (reader.NextBytes(_scratch, out var member))
                    {
                        var m = member.ToArray();
                        if (!reader.NextBytes(_scratch, out var scoreText))
                        {
                            throw r.Corrupt("zset listpack with an odd element count");
                        }

                        pairs.Add((m, ParseScore(r, scoreText)));
                    }
                }
                else
                {
                    var reader = new ZiplistReader(blob);
                    while (reader.NextBytes(_scratch, out var member))
                    {
                        var m = member.ToArray();
                        if (!reader.NextBytes(_scratch, out var scoreText))
                        {
                            throw r.Corrupt("zset ziplist with an odd element count");
                        }

                        pairs.Add((m, ParseScore(r, scoreText)));
                    }
                }

                return BuildSortedSet(r, pairs);
            }

            case RdbFormat.TypeHash:
            {
                int count = r.ReadCount();
                var pairs = new List<(byte[], byte[], long)>(Math.Min(count, 1 << 16));
                for (int i = 0; i < count; i++)
                {
                    pairs.Add((r.ReadString(), r.ReadString(), 0));
                }

                return BuildHash(r, pairs, now);
            }

            case RdbFormat.TypeHashMetadata:
            {
                long min = r.ReadMilliseconds();
                int count = r.ReadCount();
                var pairs = new List<(byte[], byte[], long)>(Math.Min(count, 1 << 16));
                for (int i = 0; i < count; i++)
                {
                    ulong ttl = r.ReadLength();
                    pairs.Add((r.ReadString(), r.ReadString(), ttl == 0 ? 0 : min + (long)ttl - 1));
                }

                return BuildHash(r, pairs, now);
            }

            case RdbFormat.TypeHashZipmap:
            {
                var pairs = new List<(byte[], byte[], long)>();
                foreach (var (field, value) in Zipmap.Read(r.ReadString()))
                {
                    pairs.Add((field, value, 0));
                }

                return BuildHash(r, pairs, now);
            }

            case RdbFormat.TypeHashZiplist:
            case RdbFormat.TypeHashListpack:
            case RdbFormat.TypeHashListpackEx:
            {
                bool withTtl = type == RdbFormat.TypeHashListpackEx;
                if (withTtl)
                {
                    r.ReadMilliseconds(); // the smallest TTL, recomputed here
                }

                var blob = r.ReadString();
                var pairs = new List<(byte[], byte[], long)>();
                if (type == RdbFormat.TypeHashZiplist)
                {
                    var reader = new ZiplistReader(blob);
                    while (reader.NextBytes(_scratch, out var field))
                    {
                        var f = field.ToArray();
                        if (!reader.NextBytes(_scratch, out var value))
                        {
                            throw r.Corrupt("hash ziplist with an odd element count");
                        }

                        pairs.Add((f, value.ToArray(), 0));
                    }
                }
                else
                {
                    // Redis 7.4's listpackex holds triplets: field, value, absolute TTL in ms (0 = none).
                    var reader = new ListpackReader(blob);
                    while (reader.NextBytes(_scratch, out var field))
                    {
                        var f = field.ToArray();
                        if (!reader.NextBytes(_scratch, out var value))
                        {
                            throw r.Corrupt("hash listpack with an odd element count");
                        }

                        var v = value.ToArray();
                        long ttl = 0;
                        if (withTtl)
                        {
                            if (!reader.Next(out _, out ttl, out bool isInteger) || !isInteger)
                            {
                                throw r.Corrupt("hash listpackex without a TTL element");
                            }
                        }

                        pairs.Add((f, v, ttl));
                    }
                }

                return BuildHash(r, pairs, now);
            }

            case RdbFormat.TypeStreamListpacks:
            case RdbFormat.TypeStreamListpacks2:
            case RdbFormat.TypeStreamListpacks3:
                return ReadStream(r, type);
            case RdbFormat.TypeModule:
            case RdbFormat.TypeModule2:
                throw r.Corrupt("a module value (kv-server has no modules)");
            default:
                throw r.Corrupt($"unknown RDB value type {type}");
        }
    }

    private static object NonEmpty(RdbReader r, long count, object value) => count == 0 ? throw r.Corrupt("empty collection") : value;

    private object ReadQuicklist(RdbReader r, bool version2)
    {
        int nodes = r.ReadCount();
        var list = new ListValue();
        for (int i = 0; i < nodes; i++)
        {
            int container = version2 ? (int)r.ReadLength() : RdbFormat.QuicklistNodePacked;
            var blob = r.ReadString();
            if (container == RdbFormat.QuicklistNodePlain)
            {
                list.PushTail(blob);
            }
            else if (container != RdbFormat.QuicklistNodePacked)
            {
                throw r.Corrupt($"unknown quicklist node container {container}");
            }
            else if (version2)
            {
                var reader = new ListpackReader(blob);
                while (reader.NextBytes(_scratch, out var item))
                {
                    list.PushTail(item);
                }
            }
            else
            {
                AppendZiplist(list, blob);
            }
        }

        // Redis skips empty nodes; a list left empty is not loaded (rdbLoadObject's "empty keys").
        return NonEmpty(r, list.Count, list);
    }

    private void AppendZiplist(ListValue list, byte[] blob)
    {
        var reader = new ZiplistReader(blob);
        while (reader.NextBytes(_scratch, out var item))
        {
            list.PushTail(item);
        }
    }

    private static double ParseScore(RdbReader r, ReadOnlySpan<byte> text)
    {
        if (RespNumber.TryParseInt64(text, out long integer))
        {
            return integer;
        }

        if (!RespNumber.TryParseDouble(text, out double score) || double.IsNaN(score))
        {
            throw r.Corrupt("invalid zset score");
        }

        return score;
    }

    // zsetConvert on load: a listpack while within zset-max-listpack-entries/value, else a skiplist.
    private SortedSet BuildSortedSet(RdbReader r, List<(byte[] Member, double Score)> pairs)
    {
        if (pairs.Count == 0)
        {
            throw r.Corrupt("empty sorted set");
        }

        int longest = 0;
        long bytes = 0;
        foreach (var (member, score) in pairs)
        {
            longest = Math.Max(longest, member.Length);
            bytes += SortedSet.EntryBytes(score, member.Length);
        }

        var set = SortedSet.Create(pairs.Count <= config.ZsetMaxListpackEntries && longest <= config.ZsetMaxListpackValue, pairs.Count);
        set.Reserve(pairs.Count, bytes);
        foreach (var (member, score) in pairs)
        {
            if (set.Find(member) != 0)
            {
                throw r.Corrupt("duplicate sorted set members");
            }

            set.Insert(member, score);
        }

        return set;
    }

    // hashTypeConvert on load: a listpack while within hash-max-listpack-entries/value. Fields whose TTL
    // has passed are dropped, as Redis 7.4 drops them on load; null when none is left.
    private HashValue? BuildHash(RdbReader r, List<(byte[] Field, byte[] Value, long ExpiresAt)> pairs, long now)
    {
        var hash = new HashValue(pairs.Count);
        bool listpack = pairs.Count <= config.HashMaxListpackEntries;
        bool anyTtl = false;
        foreach (var (field, value, expiresAt) in pairs)
        {
            if (field.Length > config.HashMaxListpackValue || value.Length > config.HashMaxListpackValue)
            {
                listpack = false;
            }

            if (expiresAt != 0 && expiresAt < now)
            {
                continue;
            }

            if (!hash.Set(field, value))
            {
                throw r.Corrupt("duplicate hash fields");
            }

            if (expiresAt != 0)
            {
                hash.SetExpiry(hash.Find(field), expiresAt);
                anyTtl = true;
            }
        }

        if (pairs.Count == 0)
        {
            throw r.Corrupt("empty hash");
        }

        if (hash.Count == 0)
        {
            return null;
        }

        if (!listpack)
        {
            hash.ConvertToHashtable();
        }
        else if (anyTtl)
        {
            hash.IsListpackEx = true;
        }

        return hash;
    }

    private StreamValue ReadStream(RdbReader r, byte type)
    {
        var stream = new StreamValue();
        int nodes = r.ReadCount();
        for (int n = 0; n < nodes; n++)
        {
            var key = r.ReadString();
            if (key.Length != 16)
            {
                throw r.Corrupt("stream node key is not a 128-bit ID");
            }

            var master = new StreamId(BinaryPrimitives.ReadUInt64BigEndian(key), BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(8)));
            AppendStreamNode(r, stream, master, r.ReadString());
        }

        long length = (long)r.ReadLength();
        var lastId = ReadId(r);
        StreamId maxDeleted = StreamId.Zero;
        long entriesAdded = length;
        if (type >= RdbFormat.TypeStreamListpacks2)
        {
            ReadId(r); // first ID: recomputed from the entries
            maxDeleted = ReadId(r);
            entriesAdded = (long)r.ReadLength();
        }

        if (stream.Length != length)
        {
            throw r.Corrupt($"stream length {length} does not match its {stream.Length} entries");
        }

        stream.LastId = lastId;
        stream.MaxDeletedId = maxDeleted;
        stream.EntriesAdded = entriesAdded;

        int groups = r.ReadCount();
        for (int g = 0; g < groups; g++)
        {
            var name = r.ReadString();
            var groupLast = ReadId(r);
            // Before RDB 10 (Redis 6.2) groups stored no entries_read: Redis's rdbLoadObject estimates it
            // from the stream (streamEstimateDistanceFromFirstEverEntry), so XINFO reports a count and lag.
            long entriesRead = type >= RdbFormat.TypeStreamListpacks2 ? (long)r.ReadLength() : stream.EstimateDistanceFromFirstEverEntry(groupLast);
            stream.Groups ??= new StreamGroups();
            var group = stream.Groups.Create(name, groupLast, entriesRead) ?? throw r.Corrupt("duplicate consumer group");
            int pel = r.ReadCount();
            var byId = new Dictionary<StreamId, PendingEntry>(pel);
            for (int i = 0; i < pel; i++)
            {
                var id = ReadRawId(r);
                long delivered = r.ReadMilliseconds();
                long deliveries = (long)r.ReadLength();
                var entry = new PendingEntry(id, null, delivered) { DeliveryCount = deliveries };
                if (!group.Pending.Add(entry))
                {
                    throw r.Corrupt("duplicate ID in a consumer group's PEL");
                }

                byId[id] = entry;
            }

            int consumers = r.ReadCount();
            for (int c = 0; c < consumers; c++)
            {
                var consumerName = r.ReadString();
                long seen = r.ReadMilliseconds();
                if (type >= RdbFormat.TypeStreamListpacks3)
                {
                    r.ReadMilliseconds(); // Redis 7.2's active-time
                }

                var consumer = group.AddConsumer(consumerName, seen);
                consumer.SeenTime = seen;
                int owned = r.ReadCount();
                for (int i = 0; i < owned; i++)
                {
                    var id = ReadRawId(r);
                    if (!byId.TryGetValue(id, out var entry) || entry.Consumer is not null)
                    {
                        throw r.Corrupt("a consumer's pending entry is not in its group's PEL");
                    }

                    entry.Consumer = consumer;
                    consumer.Pending.Add(entry);
                }
            }

            // Redis: every entry of the group's PEL must belong to a consumer.
            foreach (var entry in byId.Values)
            {
                if (entry.Consumer is null)
                {
                    throw r.Corrupt("a group's pending entry has no consumer");
                }
            }
        }

        return stream;
    }

    private static StreamId ReadId(RdbReader r) => new(r.ReadLength(), r.ReadLength());

    private static StreamId ReadRawId(RdbReader r)
    {
        Span<byte> raw = stackalloc byte[16];
        r.ReadExact(raw);
        return new StreamId(BinaryPrimitives.ReadUInt64BigEndian(raw), BinaryPrimitives.ReadUInt64BigEndian(raw[8..]));
    }

    // A node's listpack: master entry (count, deleted, field count, fields, 0), then entries (flags,
    // ms delta, seq delta, [field count, fields and values | values], lp-count). Live entries are
    // appended; tombstones are dropped (MaxDeletedId keeps what XADD and XSETID need of them).
    private void AppendStreamNode(RdbReader r, StreamValue stream, StreamId master, byte[] blob)
    {
        var lp = new ListpackReader(blob);
        long live = NextInteger(r, ref lp);
        NextInteger(r, ref lp);
        int masterFields = (int)NextInteger(r, ref lp);
        if (masterFields < 0 || live <= 0)
        {
            throw r.Corrupt("invalid stream node header");
        }

        var fieldNames = new byte[masterFields][];
        for (int i = 0; i < masterFields; i++)
        {
            fieldNames[i] = NextBytes(r, ref lp);
        }

        if (NextInteger(r, ref lp) != 0)
        {
            throw r.Corrupt("stream master entry without its terminator");
        }

        var fields = new List<byte[]>();
        var values = new List<byte[]>();
        while (lp.Next(out var text, out long flags, out bool isInteger))
        {
            if (!isInteger)
            {
                throw r.Corrupt("stream entry flags are not an integer");
            }

            long msDelta = NextInteger(r, ref lp);
            long seqDelta = NextInteger(r, ref lp);
            fields.Clear();
            values.Clear();
            if ((flags & StreamValue.FlagSameFields) != 0)
            {
                for (int i = 0; i < masterFields; i++)
                {
                    fields.Add(fieldNames[i]);
                    values.Add(NextBytes(r, ref lp));
                }
            }
            else
            {
                long pairs = NextInteger(r, ref lp);
                for (long i = 0; i < pairs; i++)
                {
                    fields.Add(NextBytes(r, ref lp));
                    values.Add(NextBytes(r, ref lp));
                }
            }

            NextInteger(r, ref lp); // lp-count
            if ((flags & StreamValue.FlagDeleted) != 0)
            {
                continue;
            }

            var id = new StreamId(master.Ms + (ulong)msDelta, master.Seq + (ulong)seqDelta);
            if (stream.Length > 0 && id <= stream.LastId)
            {
                throw r.Corrupt("stream entry IDs out of order");
            }

            stream.Append(id, new LoadedFields(fields, values), config.StreamNodeMaxBytes, config.StreamNodeMaxEntries);
            _ = text;
        }
    }

    private long NextInteger(RdbReader r, ref ListpackReader lp)
    {
        if (!lp.Next(out var text, out long value, out bool isInteger))
        {
            throw r.Corrupt("stream listpack ends early");
        }

        if (!isInteger && !RespNumber.TryParseInt64(text, out value))
        {
            throw r.Corrupt("stream listpack: an integer expected");
        }

        return value;
    }

    private byte[] NextBytes(RdbReader r, ref ListpackReader lp)
    {
        if (!lp.NextBytes(_scratch, out var value))
        {
            throw r.Corrupt("stream listpack ends early");
        }

        return value.ToArray();
    }

    private readonly struct LoadedFields(List<byte[]> fields, List<byte[]> values) : IStreamFields
    {
        public int Count => fields.Count;

        public ReadOnlySpan<byte> Field(int i) => fields[i];

        public ReadOnlySpan<byte> Value(int i) => values[i];
    }
}
