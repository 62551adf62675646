namespace Kv.Protocol;

/// <summary>A growable list of <see cref="ArgRange"/>, reused from batch to batch so parsing does not allocate.</summary>
public sealed class ArgRangeList
{
    private ArgRange[] _items;

    /// <summary>Creates a list with room for <paramref name="capacity"/> ranges.</summary>
    public ArgRangeList(int capacity = 64) => _items = new ArgRange[capacity];

    /// <summary>Number of ranges.</summary>
    public int Count { get; private set; }

    /// <summary>The range at <paramref name="index"/>.</summary>
    public ref readonly ArgRange this[int index] => ref _items[index];

    /// <summary>The ranges as a span.</summary>
    public ReadOnlySpan<ArgRange> AsSpan(int start, int length) => _items.AsSpan(start, length);

    /// <summary>Appends a range.</summary>
    public void Add(ArgRange range)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count++] = range;
    }

    /// <summary>Drops ranges from <paramref name="count"/> on.</summary>
    public void Truncate(int count) => Count = count;

    /// <summary>Drops the ranges before <paramref name="index"/>, moving the rest to the front (a partly received request kept across batches).</summary>
    public void RemoveBefore(int index)
    {
        if (index == 0)
        {
            return;
        }

        int keep = Count - index;
        System.Array.Copy(_items, index, _items, 0, keep);
        Count = keep;
    }

    /// <summary>Empties the list; gives back memory a huge command made it take.</summary>
    public void Clear()
    {
        Count = 0;
        if (_items.Length > 4096)
        {
            _items = new ArgRange[64];
        }
    }
}
