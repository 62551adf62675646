using System.Runtime.InteropServices;

namespace Kv.Server.Storage;

/// <summary>
/// Key blocks (<see cref="KeyBlock"/>) dropped while a command runs, freed when it ends. A command may
/// hold a span over a key or a value it then deletes or overwrites (GETDEL's value, an expired key's
/// name for its notification): freeing at the end of the batch of commands — or of the cron's slice,
/// under the same keyspace lock — keeps every such span valid without each command having to care.
/// Tables dropped whole (FLUSHDB, FLUSHALL) are freed at the same point, and small collections the batch
/// expanded go back into their keys' blocks first (<see cref="InlineValue"/>).
/// </summary>
internal sealed unsafe class BlockReleases
{
    private nint[] _blocks = new nint[64];
    private int _count;
    private readonly List<KeyTable> _tables = [];
    private readonly List<KeyTable> _expanded = [];
    private object[] _values = new object[16];
    private int _valueCount;

    /// <summary>True when something waits to be freed.</summary>
    public bool Pending => _count != 0 || _tables.Count != 0 || _valueCount != 0 || _expanded.Count != 0;

    /// <summary>
    /// Estimated bytes of dropped values the pool had no room for (<see cref="ValuePool.Recycle"/>): garbage for
    /// the GC, added to what <see cref="KeyTable.DroppedObjectBytes"/> counts. Only grows.
    /// </summary>
    public long UnpooledBytes { get; private set; }

    /// <summary>A small collection dropped by the running command: pooled when it ends (<see cref="ValuePool"/>).</summary>
    public void Add(object value)
    {
        if (_valueCount == _values.Length)
        {
            Array.Resize(ref _values, _valueCount * 2);
        }

        _values[_valueCount++] = value;
    }

    public void Add(byte* block)
    {
        if (_count == _blocks.Length)
        {
            Array.Resize(ref _blocks, _count * 2);
        }

        _blocks[_count++] = (nint)block;
    }

    /// <summary>
    /// A table dropped whole, freed when the batch ends; or, with <paramref name="expanded"/>, one whose
    /// collections go inline then (<see cref="KeyTable.InlineExpanded"/>).
    /// </summary>
    public void Add(KeyTable table, bool expanded = false) => (expanded ? _expanded : _tables).Add(table);

    /// <summary>
    /// Puts expanded collections back inline now: at the end of a batch, or while loading a file (nothing
    /// holds a value then either) so the load never holds more than a slice of keys as objects.
    /// </summary>
    public void InlineExpanded()
    {
        foreach (var table in _expanded)
        {
            table.InlineExpanded();
        }

        _expanded.Clear();
    }

    /// <summary>Frees everything dropped so far (under the keyspace lock, with no command running).</summary>
    public void FreeAll()
    {
        InlineExpanded();
        FreeQueuedBlocks();
        _count = 0;
        if (_blocks.Length > 4096)
        {
            _blocks = new nint[64];
        }

        foreach (var table in _tables)
        {
            table.FreeBlocks();
        }

        if (_tables.Count != 0)
        {
            // A whole database's blocks, those of the commands this thread ran among them: its arena's top goes back.
            Persistence.MemoryReclaim.TrimThisThreadsArena();
            _tables.Clear();
        }
        RecycleValues();
    }

    private void RecycleValues()
    {
        var values = _values;
        for (int i = 0; i < _valueCount; i++)
        {
            var value = values[i];
            values[i] = null!;
            if (!ValuePool.Recycle(value))
            {
                UnpooledBytes += Persistence.MemoryEstimate.OfValue(value);
            }
        }

        _valueCount = 0;
        if (_values.Length > 4096)
        {
            _values = new object[16];
        }
    }

    // A keyspace dropped without a last FreeAll (an embedded server never disposed) gives its blocks back.
    ~BlockReleases() => FreeQueuedBlocks();

    private void FreeQueuedBlocks()
    {
        var blocks = _blocks;
        for (int i = 0; i < _count; i++)
        {
            KeyBlock.Free((byte*)blocks[i]);
        }
    }
}
