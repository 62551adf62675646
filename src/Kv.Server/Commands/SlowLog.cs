namespace Kv.Server.Commands;

/// <summary>One SLOWLOG entry.</summary>
internal sealed record SlowLogEntry(long Id, long Timestamp, long Microseconds, byte[][] Arguments, string ClientAddress, string ClientName);

/// <summary>Commands slower than <c>slowlog-log-slower-than</c>, newest first, at most <c>slowlog-max-len</c>.</summary>
internal sealed class SlowLog
{
    private readonly LinkedList<SlowLogEntry> _entries = new();
    private long _nextId;

    public int Count => _entries.Count;

    public IEnumerable<SlowLogEntry> Entries => _entries;

    public void Add(SlowLogEntry entry, int maxLength)
    {
        _entries.AddFirst(entry with { Id = _nextId++ });
        while (_entries.Count > maxLength)
        {
            _entries.RemoveLast();
        }
    }

    public void Reset() => _entries.Clear();
}
