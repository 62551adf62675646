namespace Kv.Server.Storage;

/// <summary>
/// The names of a database's hashes that may hold fields with a TTL, for the active expiry cycle
/// (Redis 7.4 keeps db->hexpires for the same purpose). Entries are hints: a key renamed away,
/// deleted or overwritten stays listed until the cycle samples it and finds nothing to expire.
/// </summary>
internal sealed class VolatileHashIndex
{
    private readonly Dictionary<byte[], int> _slots = new(ByteKeyComparer.Instance);
    private byte[][] _keys = new byte[4][];
    private int _count;

    public int Count => _count;

    public byte[] At(int slot) => _keys[slot];

    /// <summary>Lists <paramref name="key"/> (a no-op when listed already).</summary>
    public void Add(ReadOnlySpan<byte> key)
    {
        var lookup = _slots.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.ContainsKey(key))
        {
            return;
        }

        var bytes = key.ToArray();
        if (_count == _keys.Length)
        {
            Array.Resize(ref _keys, _count * 2);
        }

        _slots.Add(bytes, _count);
        _keys[_count++] = bytes;
    }

    public void RemoveAt(int slot)
    {
        _slots.Remove(_keys[slot]);
        int last = --_count;
        if (slot != last)
        {
            _keys[slot] = _keys[last];
            _slots[_keys[slot]] = slot;
        }

        _keys[last] = null!;
    }

    public void Clear()
    {
        _slots.Clear();
        _keys = new byte[4][];
        _count = 0;
    }
}
