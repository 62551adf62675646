using System.Collections.Concurrent;
using Kv.Client;

namespace Kv.AspNetCore.Caching;

/// <summary>
/// The in-process copy of cache entries read recently, bounded in bytes and kept fresh by the server:
/// its client reads with CLIENT TRACKING on, so the server reports every later change to a key it
/// read (write, delete, expiry, eviction, flush), and the entry is dropped as the report arrives. When
/// the connection drops, reports may have been missed: everything is dropped.
/// </summary>
/// <remarks>
/// A read that misses reserves the key before its request is sent; the value it brings back is kept
/// only if the reservation is still there, i.e. no report for the key arrived meanwhile. Reports come
/// in order with replies on the tracking connection, so a value changed after the server read it is
/// never kept. Entries with a sliding expiration are not kept: serving them from memory would not
/// push out their expiry on the server.
/// </remarks>
internal sealed class NearCache : IAsyncDisposable
{
    // Bookkeeping per entry beyond its key and value bytes: the entry object, the dictionary node.
    private const int EntryOverhead = 96;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _reservations = new(StringComparer.Ordinal);
    private readonly Lock _trimLock = new();
    private readonly long _maxBytes;
    private long _bytes;
    private long _clock;

    public NearCache(KvClient client, long maxBytes)
    {
        Client = client;
        _maxBytes = maxBytes;
        client.Invalidated += OnInvalidated;
    }

    /// <summary>The tracking client every cache command goes through (reads must, to be tracked).</summary>
    public KvClient Client { get; }

    public int Count => _entries.Count;

    public long Bytes => Interlocked.Read(ref _bytes);

    public bool TryGet(string key, long nowTicks, out byte[]? data)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.AbsoluteExpiry > nowTicks)
            {
                entry.LastUsed = Interlocked.Increment(ref _clock);
                data = entry.Data;
                return true;
            }

            Remove(key);
        }

        data = null;
        return false;
    }

    /// <summary>Marks <paramref name="key"/> as being read from the server; pass the token to <see cref="Keep"/>.</summary>
    public object Reserve(string key)
    {
        var token = new object();
        _reservations[key] = token;
        return token;
    }

    /// <summary>Keeps what the server returned, unless a change to the key was reported since <see cref="Reserve"/>.</summary>
    public void Keep(string key, object reservation, byte[] data, long absoluteExpiry)
    {
        if (!_reservations.TryRemove(new KeyValuePair<string, object>(key, reservation)))
        {
            return;
        }

        long size = data.Length + (key.Length * 2L) + EntryOverhead;
        if (size > _maxBytes / 4)
        {
            return;
        }

        var entry = new Entry(data, absoluteExpiry, size) { LastUsed = Interlocked.Increment(ref _clock) };
        _entries.AddOrUpdate(
            key,
            static (_, added) => added.Entry,
            static (_, old, added) =>
            {
                Interlocked.Add(ref added.Cache._bytes, -old.Size);
                return added.Entry;
            },
            (Entry: entry, Cache: this));
        if (Interlocked.Add(ref _bytes, size) > _maxBytes)
        {
            Trim();
        }
    }

    /// <summary>Gives up a reservation without keeping anything (a miss, an error, a sliding entry).</summary>
    public void Release(string key, object reservation) => _reservations.TryRemove(new KeyValuePair<string, object>(key, reservation));

    /// <summary>Drops the key and any read of it in flight (the app itself wrote or removed it).</summary>
    public void Remove(string key)
    {
        _reservations.TryRemove(key, out _);
        if (_entries.TryRemove(key, out var old))
        {
            Interlocked.Add(ref _bytes, -old.Size);
        }
    }

    public void Clear()
    {
        _reservations.Clear();
        foreach (var key in _entries.Keys)
        {
            Remove(key);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Invalidated -= OnInvalidated;
        await Client.DisposeAsync().ConfigureAwait(false);
    }

    // Runs on the tracking connection's reader, in order with replies: quick, no I/O.
    private void OnInvalidated(KvInvalidation invalidation)
    {
        if (invalidation.All)
        {
            Clear();
            return;
        }

        foreach (var key in invalidation.Keys)
        {
            Remove(key.ToString());
        }
    }

    // Past the budget, the least recently used entries go until a tenth of it is free again: sorting
    // is O(n log n), paid once per tenth of the budget filled rather than on every insert.
    private void Trim()
    {
        if (!_trimLock.TryEnter())
        {
            return;
        }

        try
        {
            if (Interlocked.Read(ref _bytes) <= _maxBytes)
            {
                return;
            }

            var byAge = _entries.ToArray();
            Array.Sort(byAge, static (a, b) => a.Value.LastUsed.CompareTo(b.Value.LastUsed));
            long target = _maxBytes - (_maxBytes / 10);
            foreach (var (key, entry) in byAge)
            {
                if (Interlocked.Read(ref _bytes) <= target)
                {
                    break;
                }

                if (_entries.TryRemove(new KeyValuePair<string, Entry>(key, entry)))
                {
                    Interlocked.Add(ref _bytes, -entry.Size);
                }
            }
        }
        finally
        {
            _trimLock.Exit();
        }
    }

    private sealed class Entry(byte[] data, long absoluteExpiry, long size)
    {
        public byte[] Data { get; } = data;

        public long AbsoluteExpiry { get; } = absoluteExpiry;

        public long Size { get; } = size;

        public long LastUsed { get; set; }
    }
}
