using System.Buffers;
using Kv.Protocol;
using Kv.Server.Storage;

namespace Kv.Server.Persistence.Aof;

/// <summary>
/// The commands that rebuild one key, as Redis's rewriteAppendOnlyFileRio writes them: SET, RPUSH,
/// SADD, ZADD and HMSET with at most 64 items a command (AOF_REWRITE_ITEMS_PER_CMD), XADD/XSETID/XGROUP/XCLAIM
/// for streams, then PEXPIREAT for a TTL.
/// </summary>
internal sealed class AofKeyWriter
{
    private const int ItemsPerCommand = 64;

    private readonly ArrayBufferWriter<byte> _scratch = new(256);
    private readonly RespWriter _scratchWriter;

    public AofKeyWriter() => _scratchWriter = new RespWriter(_scratch);

    public void Write(RespWriter w, ReadOnlySpan<byte> key, in KeyEntry entry, long expiresAt, KeyTable table, int index)
    {
        // A collection held in the key's block comes out as a copy of its own (KeyTable.ValueAt).
        var value = entry.IsInlineString ? null : table.ValueAt(index);
        if (entry.IsInlineString || value is byte[] or MutableString)
        {
            table.TryGetString(index, out var bytes);
            w.ArrayHeader(3);
            w.Bulk("SET"u8);
            w.Bulk(key);
            w.Bulk(bytes);
        }
        else
        {
            switch (value)
            {
                case ListValue list:
                    WriteList(w, key, list);
                    break;
                case SetValue set:
                    WriteSet(w, key, set);
                    break;
                case SortedSet zset:
                    WriteSortedSet(w, key, zset);
                    break;
                case HashValue hash:
                    WriteHash(w, key, hash);
                    break;
                case StreamValue stream:
                    WriteStream(w, key, stream);
                    break;
            }
        }

        if (expiresAt > 0)
        {
            w.ArrayHeader(3);
            w.Bulk("PEXPIREAT"u8);
            w.Bulk(key);
            w.BulkInteger(expiresAt);
        }
    }

    private static void WriteList(RespWriter w, ReadOnlySpan<byte> key, ListValue list)
    {
        long left = list.Count;
        var e = list.GetEnumerator(0, forward: true);
        while (left > 0)
        {
            int n = (int)Math.Min(left, ItemsPerCommand);
            w.ArrayHeader(2 + n);
            w.Bulk("RPUSH"u8);
            w.Bulk(key);
            for (int i = 0; i < n && e.MoveNext(); i++)
            {
                w.Bulk(e.Current);
            }

            left -= n;
        }
    }

    private static void WriteSet(RespWriter w, ReadOnlySpan<byte> key, SetValue set)
    {
        int left = set.Count;
        int position = 0;
        while (left > 0)
        {
            int n = Math.Min(left, ItemsPerCommand);
            w.ArrayHeader(2 + n);
            w.Bulk("SADD"u8);
            w.Bulk(key);
            for (int i = 0; i < n; position++)
            {
                if (set.IsLive(position))
                {
                    set.WriteMember(w, position);
                    i++;
                }
            }

            left -= n;
        }
    }

    private static void WriteSortedSet(RespWriter w, ReadOnlySpan<byte> key, SortedSet zset)
    {
        int left = zset.Count;
        int node = zset.First;
        Span<byte> number = stackalloc byte[32];
        while (left > 0)
        {
            int n = Math.Min(left, ItemsPerCommand);
            w.ArrayHeader(2 + (n * 2));
            w.Bulk("ZADD"u8);
            w.Bulk(key);
            for (int i = 0; i < n; i++)
            {
                w.Bulk(number[..RespNumber.FormatDouble(zset.ScoreAt(node), number)]);
                w.Bulk(zset.MemberAt(node));
                node = zset.Next(node);
            }

            left -= n;
        }
    }

    private static void WriteHash(RespWriter w, ReadOnlySpan<byte> key, HashValue hash)
    {
        int left = hash.Count;
        int index = 0;
        while (left > 0)
        {
            int n = Math.Min(left, ItemsPerCommand);
            w.ArrayHeader(2 + (n * 2));
            w.Bulk("HMSET"u8);
            w.Bulk(key);
            for (int i = 0; i < n; index++)
            {
                if (hash.IsLive(index))
                {
                    w.Bulk(hash.FieldAt(index));
                    w.Bulk(hash.ValueAt(index));
                    i++;
                }
            }

            left -= n;
        }

        if (hash.VolatileCount == 0)
        {
            return;
        }

        // Field TTLs (Redis 7.4's rewriteHashObject: HPEXPIREAT key ms FIELDS 1 field).
        for (int i = 0; i < hash.IndexLimit; i++)
        {
            if (hash.IsLive(i) && hash.ExpiryAt(i) is > 0 and var at)
            {
                w.ArrayHeader(6);
                w.Bulk("HPEXPIREAT"u8);
                w.Bulk(key);
                w.BulkInteger(at);
                w.Bulk("FIELDS"u8);
                w.Bulk("1"u8);
                w.Bulk(hash.FieldAt(i));
            }
        }
    }

    // Redis's rewriteStreamObject: every entry as XADD with its ID; an empty stream as XADD … MAXLEN 0
    // so it exists; XSETID with the last ID, entries-added and max-deleted-ID; each group with XGROUP
    // CREATE … ENTRIESREAD, its pending entries as XCLAIM … FORCE JUSTID LASTID, and consumers with no
    // pending entry as XGROUP CREATECONSUMER.
    private void WriteStream(RespWriter w, ReadOnlySpan<byte> key, StreamValue stream)
    {
        Span<byte> id = stackalloc byte[StreamId.MaxTextLength];
        Span<byte> id2 = stackalloc byte[StreamId.MaxTextLength];
        if (stream.Length > 0 && stream.SeekFirst(StreamId.Zero, out var position))
        {
            do
            {
                _scratch.ResetWrittenCount();
                stream.WriteEntry(_scratchWriter, position);
                var entry = _scratch.WrittenSpan;

                // "*2\r\n$<n>\r\n<id>\r\n*<pairs*2>\r\n" then the field and value bulks as they are.
                int at = 5;
                int idLength = ReadNumber(entry, ref at);
                var entryId = entry.Slice(at, idLength);
                at += idLength + 2 + 1;
                int fields = ReadNumber(entry, ref at);
                w.ArrayHeader(3 + fields);
                w.Bulk("XADD"u8);
                w.Bulk(key);
                w.Bulk(entryId);
                w.Raw(entry[at..]);
            }
            while (stream.Next(ref position));
        }
        else
        {
            w.ArrayHeader(7);
            w.Bulk("XADD"u8);
            w.Bulk(key);
            w.Bulk("MAXLEN"u8);
            w.Bulk("0"u8);
            w.Bulk(id[..stream.LastId.Format(id)]);
            w.Bulk("x"u8);
            w.Bulk("y"u8);
        }

        w.ArrayHeader(7);
        w.Bulk("XSETID"u8);
        w.Bulk(key);
        w.Bulk(id[..stream.LastId.Format(id)]);
        w.Bulk("ENTRIESADDED"u8);
        w.BulkInteger(stream.EntriesAdded);
        w.Bulk("MAXDELETEDID"u8);
        w.Bulk(id[..stream.MaxDeletedId.Format(id)]);

        if (stream.Groups is null)
        {
            return;
        }

        foreach (var group in stream.Groups.All)
        {
            w.ArrayHeader(7);
            w.Bulk("XGROUP"u8);
            w.Bulk("CREATE"u8);
            w.Bulk(key);
            w.Bulk(group.Name);
            w.Bulk(id[..group.LastId.Format(id)]);
            w.Bulk("ENTRIESREAD"u8);
            w.BulkInteger(group.EntriesRead);
            foreach (var consumer in group.Consumers)
            {
                if (consumer.Pending.Count == 0)
                {
                    w.ArrayHeader(5);
                    w.Bulk("XGROUP"u8);
                    w.Bulk("CREATECONSUMER"u8);
                    w.Bulk(key);
                    w.Bulk(group.Name);
                    w.Bulk(consumer.Name);
                    continue;
                }

                var cursor = consumer.Pending.Seek(StreamId.Zero);
                while (consumer.Pending.TryGet(cursor, out var pending))
                {
                    w.ArrayHeader(14);
                    w.Bulk("XCLAIM"u8);
                    w.Bulk(key);
                    w.Bulk(group.Name);
                    w.Bulk(consumer.Name);
                    w.Bulk("0"u8);
                    w.Bulk(id2[..pending.Id.Format(id2)]);
                    w.Bulk("TIME"u8);
                    w.BulkInteger(pending.DeliveryTime);
                    w.Bulk("RETRYCOUNT"u8);
                    w.BulkInteger(pending.DeliveryCount);
                    w.Bulk("JUSTID"u8);
                    w.Bulk("FORCE"u8);
                    w.Bulk("LASTID"u8);
                    w.Bulk(id[..group.LastId.Format(id)]);
                    consumer.Pending.MoveNext(ref cursor);
                }
            }
        }
    }

    private static int ReadNumber(ReadOnlySpan<byte> resp, ref int at)
    {
        int value = 0;
        while (resp[at] != (byte)'\r')
        {
            value = (value * 10) + (resp[at] - '0');
            at++;
        }

        at += 2;
        return value;
    }
}
