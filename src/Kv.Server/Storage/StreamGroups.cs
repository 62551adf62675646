namespace Kv.Server.Storage;

/// <summary>A delivered, not yet acknowledged entry (Redis's streamNACK): shared by the group's PEL and its consumer's.</summary>
internal sealed class PendingEntry(StreamId id, StreamConsumer? consumer, long deliveryTime)
{
    public StreamId Id { get; } = id;

    public StreamConsumer? Consumer { get; set; } = consumer;

    public long DeliveryTime { get; set; } = deliveryTime;

    public long DeliveryCount { get; set; } = 1;
}

/// <summary>A cursor into a <see cref="PendingList"/>.</summary>
internal struct PendingCursor
{
    public int Chunk;
    public int Index;
}

/// <summary>
/// A pending entries list ordered by ID (Redis keeps a PEL in a radix tree): sorted chunks of at most
/// <see cref="ChunkSize"/> entries, so find, insert and remove are O(log n) plus a short copy, and
/// appending the newest ID (the common XREADGROUP case) touches only the last chunk.
/// </summary>
internal sealed class PendingList
{
    private const int ChunkSize = 128;
    private readonly List<PendingEntry[]> _chunks = [];
    private readonly List<int> _counts = [];

    public long Count { get; private set; }

    public PendingEntry First => _chunks[0][0];

    public PendingEntry Last => _chunks[^1][_counts[^1] - 1];

    // The chunk that holds or would hold id: the last whose first ID is ≤ id (or the first).
    private int ChunkFor(StreamId id)
    {
        int lo = 0, hi = _chunks.Count - 1, found = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_chunks[mid][0].Id <= id)
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

    private int LowerBound(int chunk, StreamId id)
    {
        var items = _chunks[chunk];
        int lo = 0, hi = _counts[chunk];
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (items[mid].Id < id)
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

    public PendingEntry? Find(StreamId id)
    {
        if (Count == 0)
        {
            return null;
        }

        int chunk = ChunkFor(id);
        int i = LowerBound(chunk, id);
        return i < _counts[chunk] && _chunks[chunk][i].Id == id ? _chunks[chunk][i] : null;
    }

    /// <summary>Adds an entry whose ID is not in the list yet; false when it is.</summary>
    public bool Add(PendingEntry entry)
    {
        if (Count == 0)
        {
            var first = new PendingEntry[ChunkSize];
            first[0] = entry;
            _chunks.Add(first);
            _counts.Add(1);
            Count = 1;
            return true;
        }

        int chunk = ChunkFor(entry.Id);
        int i = LowerBound(chunk, entry.Id);
        int count = _counts[chunk];
        var items = _chunks[chunk];
        if (i < count && items[i].Id == entry.Id)
        {
            return false;
        }

        if (count == ChunkSize)
        {
            // Split: appending at the very end starts a fresh chunk (IDs mostly arrive in order); otherwise halve.
            var next = new PendingEntry[ChunkSize];
            if (i == count && chunk == _chunks.Count - 1)
            {
                next[0] = entry;
                _chunks.Add(next);
                _counts.Add(1);
                Count++;
                return true;
            }

            int half = ChunkSize / 2;
            Array.Copy(items, half, next, 0, ChunkSize - half);
            Array.Clear(items, half, ChunkSize - half);
            _chunks.Insert(chunk + 1, next);
            _counts[chunk] = half;
            _counts.Insert(chunk + 1, ChunkSize - half);
            if (i > half)
            {
                chunk++;
                i -= half;
                items = next;
            }

            count = _counts[chunk];
        }

        Array.Copy(items, i, items, i + 1, count - i);
        items[i] = entry;
        _counts[chunk] = count + 1;
        Count++;
        return true;
    }

    public PendingEntry? Remove(StreamId id)
    {
        if (Count == 0)
        {
            return null;
        }

        int chunk = ChunkFor(id);
        int i = LowerBound(chunk, id);
        int count = _counts[chunk];
        var items = _chunks[chunk];
        if (i >= count || items[i].Id != id)
        {
            return null;
        }

        var removed = items[i];
        Array.Copy(items, i + 1, items, i, count - i - 1);
        items[count - 1] = null!;
        Count--;
        if (count == 1)
        {
            _chunks.RemoveAt(chunk);
            _counts.RemoveAt(chunk);
        }
        else
        {
            _counts[chunk] = count - 1;
        }

        return removed;
    }

    /// <summary>A cursor at the first entry with an ID ≥ <paramref name="id"/>.</summary>
    public PendingCursor Seek(StreamId id)
    {
        if (Count == 0)
        {
            return default;
        }

        int chunk = ChunkFor(id);
        var cursor = new PendingCursor { Chunk = chunk, Index = LowerBound(chunk, id) };
        Normalize(ref cursor);
        return cursor;
    }

    /// <summary>The entry at the cursor, or false past the end.</summary>
    public bool TryGet(in PendingCursor cursor, out PendingEntry entry)
    {
        if (cursor.Chunk < _chunks.Count && cursor.Index < _counts[cursor.Chunk])
        {
            entry = _chunks[cursor.Chunk][cursor.Index];
            return true;
        }

        entry = null!;
        return false;
    }

    public void MoveNext(ref PendingCursor cursor)
    {
        cursor.Index++;
        Normalize(ref cursor);
    }

    private void Normalize(ref PendingCursor cursor)
    {
        if (cursor.Chunk < _chunks.Count && cursor.Index >= _counts[cursor.Chunk])
        {
            cursor.Chunk++;
            cursor.Index = 0;
        }
    }
}

/// <summary>A consumer of a group (Redis's streamConsumer): its own PEL and when it was last seen.</summary>
internal sealed class StreamConsumer(byte[] name, long seenTime)
{
    public byte[] Name { get; } = name;

    public long SeenTime { get; set; } = seenTime;

    public PendingList Pending { get; } = new();
}

/// <summary>A consumer group (Redis's streamCG).</summary>
internal sealed class ConsumerGroup(byte[] name, StreamId lastId, long entriesRead)
{
    public byte[] Name { get; } = name;

    /// <summary>The last entry delivered to the group (last-delivered-id).</summary>
    public StreamId LastId { get; set; } = lastId;

    /// <summary>Entries read by the group counting from the first ever added, or -1 when unknown (Redis 7.0's entries_read).</summary>
    public long EntriesRead { get; set; } = entriesRead;

    public PendingList Pending { get; } = new();

    /// <summary>Consumers in name order (Redis's rax order).</summary>
    public List<StreamConsumer> Consumers { get; } = [];

    public StreamConsumer? FindConsumer(ReadOnlySpan<byte> name)
    {
        int i = IndexOfConsumer(name);
        return i >= 0 ? Consumers[i] : null;
    }

    public StreamConsumer AddConsumer(ReadOnlySpan<byte> name, long now)
    {
        int i = IndexOfConsumer(name);
        if (i >= 0)
        {
            return Consumers[i];
        }

        var consumer = new StreamConsumer(name.ToArray(), now);
        Consumers.Insert(~i, consumer);
        return consumer;
    }

    /// <summary>Redis's streamDelConsumer: drops the consumer and its pending entries from the group's PEL.</summary>
    public void RemoveConsumer(StreamConsumer consumer)
    {
        var cursor = consumer.Pending.Seek(StreamId.Zero);
        while (consumer.Pending.TryGet(cursor, out var entry))
        {
            Pending.Remove(entry.Id);
            consumer.Pending.MoveNext(ref cursor);
        }

        Consumers.RemoveAt(IndexOfConsumer(consumer.Name));
    }

    private int IndexOfConsumer(ReadOnlySpan<byte> name)
    {
        int lo = 0, hi = Consumers.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int cmp = Consumers[mid].Name.AsSpan().SequenceCompareTo(name);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    public ConsumerGroup Clone()
    {
        var copy = new ConsumerGroup(Name, LastId, EntriesRead);
        var byOld = new Dictionary<StreamConsumer, StreamConsumer>(ReferenceEqualityComparer.Instance);
        foreach (var consumer in Consumers)
        {
            var c = new StreamConsumer(consumer.Name, consumer.SeenTime);
            copy.Consumers.Add(c);
            byOld[consumer] = c;
        }

        var cursor = Pending.Seek(StreamId.Zero);
        while (Pending.TryGet(cursor, out var entry))
        {
            var owner = entry.Consumer is null ? null : byOld[entry.Consumer];
            var e = new PendingEntry(entry.Id, owner, entry.DeliveryTime) { DeliveryCount = entry.DeliveryCount };
            copy.Pending.Add(e);
            owner?.Pending.Add(e);
            Pending.MoveNext(ref cursor);
        }

        return copy;
    }
}

/// <summary>The consumer groups of a stream, in name order (Redis's s->cgroups rax).</summary>
internal sealed class StreamGroups
{
    public List<ConsumerGroup> All { get; } = [];

    public int Count => All.Count;

    public ConsumerGroup? Find(ReadOnlySpan<byte> name)
    {
        int i = IndexOf(name);
        return i >= 0 ? All[i] : null;
    }

    /// <summary>Creates a group; null when one of that name exists (BUSYGROUP).</summary>
    public ConsumerGroup? Create(ReadOnlySpan<byte> name, StreamId lastId, long entriesRead)
    {
        int i = IndexOf(name);
        if (i >= 0)
        {
            return null;
        }

        var group = new ConsumerGroup(name.ToArray(), lastId, entriesRead);
        All.Insert(~i, group);
        return group;
    }

    public bool Remove(ReadOnlySpan<byte> name)
    {
        int i = IndexOf(name);
        if (i < 0)
        {
            return false;
        }

        All.RemoveAt(i);
        return true;
    }

    private int IndexOf(ReadOnlySpan<byte> name)
    {
        int lo = 0, hi = All.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int cmp = All[mid].Name.AsSpan().SequenceCompareTo(name);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    public StreamGroups Clone()
    {
        var copy = new StreamGroups();
        foreach (var group in All)
        {
            copy.All.Add(group.Clone());
        }

        return copy;
    }
}
