using Kv.Server.Storage;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// The point-in-time view of one <see cref="KeyTable"/> that a background save is writing, kept without
/// stopping the world (no fork in .NET): copy-on-access per key.
/// </summary>
/// <remarks>
/// <para>
/// At the snapshot instant (under the keyspace lock) the save records each table's index limit and
/// attaches one of these to it. The save then walks entry indices 0..limit in small batches, each under
/// the lock, serializing every key it has not written yet. Entry indices are stable (see
/// <see cref="KeyTable"/>), so the walk and the hooks agree on which key is which.
/// </para>
/// <para>
/// Meanwhile every command reaches a key through <see cref="KeyTable.Find(ReadOnlySpan{byte}, int)"/>
/// before it can change it, and every removal (DEL, expiry, eviction, RENAME, MOVE) passes
/// <see cref="KeyTable.RemoveAt"/>. Both call <see cref="BeforeAccess"/> first: a key the walk has not
/// reached yet is serialized right then — its value as of the snapshot instant, since nothing could
/// change it without passing here — into <see cref="Captured"/>, and marked done so the walk skips it.
/// A key created after the instant gets an index at or past the limit, or a reused free slot that
/// <see cref="KeyTable"/> reports through <see cref="Created"/> (marked done: it is not in the view).
/// FLUSHDB/FLUSHALL give the database a new table and SWAPDB exchanges tables, so the old table object
/// keeps its contents and its snapshot: the save writes it under the database number it had at the instant.
/// </para>
/// <para>
/// Each key is serialized exactly once, either by the walk or by the first access, so the save costs
/// the same work as a stop-the-world one, spread over time; a client waits at most for one batch (a
/// fraction of a millisecond) or for the serialization of the single key it touches.
/// </para>
/// </remarks>
internal sealed class TableSnapshot
{
    private readonly ulong[] _done;
    private readonly RdbValueWriter _writer;

    public TableSnapshot(KeyTable table, int dbId, RdbValueWriter writer, bool compress)
    {
        Table = table;
        DbId = dbId;
        Limit = table.IndexLimit;
        KeyCount = table.Count;
        VolatileCount = table.VolatileCount;
        _done = new ulong[(Limit + 63) / 64];
        _writer = writer;
        Captured = new RdbBuffer(64) { Compress = compress };
    }

    public KeyTable Table { get; }

    /// <summary>The database number at the snapshot instant.</summary>
    public int DbId { get; }

    /// <summary>Entry indices below this existed at the instant.</summary>
    public int Limit { get; }

    public int KeyCount { get; }

    public int VolatileCount { get; }

    /// <summary>The walk's position: every index below it is written.</summary>
    public int Next { get; private set; }

    /// <summary>Keys serialized ahead of the walk because a command reached them first.</summary>
    public RdbBuffer Captured { get; }

    public long CapturedKeys { get; private set; }

    /// <summary>Keys the last <see cref="WriteBatch"/> wrote.</summary>
    public int WrittenInLastBatch { get; private set; }

    /// <summary>A command is about to read, change or remove the entry at <paramref name="index"/>: write its snapshot-time state first.</summary>
    public void BeforeAccess(int index)
    {
        if (index < Next || index >= Limit || IsDone(index))
        {
            return;
        }

        MarkDone(index);
        _writer.WriteEntry(Captured, Table, index);
        CapturedKeys++;
    }

    /// <summary>A new key took the free slot <paramref name="index"/>: it is not part of the view.</summary>
    public void Created(int index)
    {
        if (index >= Next && index < Limit)
        {
            MarkDone(index);
        }
    }

    /// <summary>
    /// Writes keys from the walk's position until <paramref name="budgetTicks"/> pass, the output holds
    /// <paramref name="maxBytes"/> or <paramref name="maxKeys"/> are written; true when the walk is complete.
    /// </summary>
    public bool WriteBatch(RdbBuffer output, long budgetTicks, int maxBytes, int maxKeys = int.MaxValue)
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        int i = Next;
        int checkEvery = 0;
        int keys = 0;
        while (i < Limit && keys < maxKeys)
        {
            if (!Table.At(i).IsFree && !IsDone(i))
            {
                _writer.WriteEntry(output, Table, i);
                keys++;
            }

            i++;
            if (++checkEvery == 64)
            {
                checkEvery = 0;
                if (output.Length >= maxBytes || System.Diagnostics.Stopwatch.GetTimestamp() - start >= budgetTicks)
                {
                    break;
                }
            }
        }

        Next = i;
        WrittenInLastBatch = keys;
        return i >= Limit;
    }

    private bool IsDone(int index) => (_done[index >> 6] & (1UL << index)) != 0;

    private void MarkDone(int index) => _done[index >> 6] |= 1UL << index;
}
