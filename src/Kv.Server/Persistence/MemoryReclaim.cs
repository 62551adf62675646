using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Kv.Server.Persistence;

/// <summary>
/// Gives memory back to the operating system after a large drop in the data set, as redis-server's
/// jemalloc does by purging its dirty pages: after FLUSHALL/FLUSHDB (sync or ASYNC), and once the
/// collections removed (a big DEL or UNLINK, an expiry wave) add up to at least what is left and to
/// <see cref="MinimumDrop"/>. MEMORY PURGE does the same on request.
/// </summary>
/// <remarks>
/// Two allocators hold freed memory: the GC keeps freed regions committed for reuse and compacts only
/// when it decides to, and glibc's malloc keeps freed key blocks (<see cref="Storage.KeyBlock"/>) in
/// its arenas. A reclaim runs an aggressive, compacting full collection (which decommits free regions)
/// and then <c>malloc_trim(0)</c>. It pauses the process for as long as a full collection of what is
/// still live takes, so it runs from the cron (never on a command's path): after a drop of at least half
/// the data set (at most once every <see cref="MinimumInterval"/>), or in the kv-server process after a
/// quiet second following a burst of allocation. The cost is that of marking the data that is left.
/// </remarks>
internal sealed partial class MemoryReclaim
{
    /// <summary>Smaller drops are left to the allocators' own reuse.</summary>
    public const long MinimumDrop = 8L << 20;

    private const long CalibrationFloor = 4L << 20;

    private static readonly long MinimumInterval = Stopwatch.Frequency;
    private static readonly long IdleTicks = Stopwatch.Frequency;

    private long _lastRun;
    private long _allocatedAtRun;
    private long _droppedSeen;
    private long _droppedSinceRun;
    private long _garbage;
    private long _allocatedAtCollect;
    private long _youngSeen;
    private long _commandsSeen = -1;
    private long _quietSince;
    private double _scale = 1;
    private long _calibratedIndex;
    private long _baseline = -1;
    private volatile bool _requested;

    /// <summary>FLUSHALL/FLUSHDB emptied a database that held keys: reclaim at the next cron tick.</summary>
    public void Request() => _requested = true;

    /// <summary>
    /// From the cron (hz times a second), under the keyspace lock (so no batch is half done: what a flush
    /// or a deletion dropped is unreferenced by now): true when a reclaim is due — after a flush, or once the collections removed since the last reclaim add up
    /// to <see cref="MinimumDrop"/> and to at least what is left (<paramref name="dataBytes"/>, used_memory):
    /// the data set has halved. Strings need no collection: their native blocks go back to malloc at once.
    /// The caller then calls <see cref="Run"/> outside the lock.
    /// </summary>
    public bool Due(long dataBytes, long droppedObjectBytes, long maxMemory, long commandsProcessed)
    {
        if (IdleAfterAllocating(commandsProcessed))
        {
            return true;
        }

        if (droppedObjectBytes < _droppedSeen)
        {
            // A database was flushed or swapped: its table (and counter) is gone.
            _droppedSeen = droppedObjectBytes;
        }

        long dropped = droppedObjectBytes - _droppedSeen;
        _droppedSeen = droppedObjectBytes;
        _droppedSinceRun += dropped;
        CollectDroppedObjects(dataBytes, dropped, maxMemory);

        bool due = _requested || (_droppedSinceRun >= MinimumDrop && _droppedSinceRun >= dataBytes);
        if (!due || (_lastRun != 0 && Stopwatch.GetTimestamp() - _lastRun < MinimumInterval))
        {
            return false;
        }

        _requested = false;
        return true;
    }

    /// <summary>
    /// Collections live on the GC heap: one that is deleted, expired or evicted has usually been promoted
    /// to generation 2, whose garbage waits for a full collection, and the GC lets generation 2 grow in
    /// proportion to what survives. Under maxmemory churn that garbage would push the process far past
    /// the limit eviction holds the data set to (strings live in native blocks for the same reason). Small
    /// collections are reused instead (Storage.ValuePool); the rest — big ones, and small ones the pool had
    /// no room for — are counted, and once they add up to an eighth of maxmemory (a quarter of the data set
    /// without one, 8 MB at least) a background full collection is started: concurrent, it pauses clients
    /// only briefly, and the space it frees is reused by what is written next.
    /// </summary>
    private void CollectDroppedObjects(long dataBytes, long dropped, long maxMemory)
    {
        _garbage += dropped;
        long threshold = maxMemory > 0 ? Math.Max(1L << 20, maxMemory / 8) : Math.Max(MinimumDrop, dataBytes / 4);
        long allocated = 0;
        if (maxMemory > 0 && _baseline >= 0)
        {
            // In the kv-server process under maxmemory, what the young collections promoted and what died old
            // since the last full collection count as well: most dropped collections are reused
            // (Storage.ValuePool), so without this a steady writer's small leftovers would pile up in
            // generation 2 with nothing collecting them. (Not for an embedded server: the app's own
            // allocation would set the pace.)
            allocated = GC.GetTotalAllocatedBytes(false) - _allocatedAtCollect;
        }

        if (_garbage + allocated < threshold)
        {
            return;
        }

        _garbage = 0;
        _allocatedAtCollect = GC.GetTotalAllocatedBytes(false);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: false);
    }

    /// <summary>
    /// Under maxmemory, before each command: collects generation 0 every <see cref="YoungBudget"/> bytes
    /// allocated. The GC sizes its young generation from the CPU's cache (tens of MB on a large L3), and
    /// all of it becomes resident; the limit eviction keeps would be exceeded by that much.
    /// </summary>
    public void LimitYoungGeneration()
    {
        long allocated = GC.GetTotalAllocatedBytes(false);
        if (allocated - _youngSeen >= YoungBudget)
        {
            _youngSeen = allocated;
            GC.Collect(0, GCCollectionMode.Forced, blocking: true);
        }
    }

    /// <summary>Bytes allocated between the young collections <see cref="LimitYoungGeneration"/> makes.</summary>
    public const long YoungBudget = 1L << 20;

    /// <summary>
    /// What <see cref="MemoryLimit.Used"/> multiplies the estimate by: 1 until calibrated, then the ratio
    /// of what the last full collection found live (plus the key blocks in native memory, minus the
    /// runtime's own heap at start) to the estimate, between 1 and 2. The estimate is never lowered:
    /// it counts what each structure allocates, and the GC's view adds what it cannot see (object
    /// headers it rounds, arrays grown ahead, the tables' slack).
    /// </summary>
    public double Scale => _scale;

    /// <summary>
    /// The kv-server process, before it loads or accepts anything: the runtime's own heap, which the
    /// calibration leaves out. Not called for an embedded server (the app's heap is not the data set).
    /// </summary>
    public void MeasureBaseline() => _baseline = GC.GetTotalMemory(forceFullCollection: true);

    /// <summary>From the cron, under the keyspace lock: recalibrates <see cref="Scale"/> after each new full collection.</summary>
    public void Calibrate(long estimated)
    {
        if (_baseline < 0)
        {
            return;
        }

        var background = GC.GetGCMemoryInfo(GCKind.Background);
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var last = background.Index > blocking.Index ? background : blocking;
        if (last.Index == _calibratedIndex)
        {
            return;
        }

        _calibratedIndex = last.Index;
        if (estimated < CalibrationFloor)
        {
            // Too little data for the ratio to mean anything (the runtime's own churn dominates).
            _scale = 1;
            return;
        }

        long live = last.HeapSizeBytes - last.FragmentedBytes - _baseline + Storage.KeyBlock.LiveBytes;
        _scale = Math.Clamp((double)live / estimated, 1.0, 2.0);
    }

    /// <summary>Allocation since the last reclaim past which an idle kv-server process reclaims.</summary>
    public const long IdleReclaimAllocation = 32L << 20;

    /// <summary>
    /// The kv-server process only: once no command has run for a second after at least
    /// <see cref="IdleReclaimAllocation"/> was allocated since the last reclaim (a bulk load, a burst of
    /// writes), what the GC left uncollected — garbage, a young generation sized from the CPU cache — is
    /// given back, as redis-server's jemalloc purges dirty pages in the background. After loading a
    /// million small sorted sets that is about a third of the process. Nobody waits on the pause: the
    /// server is idle.
    /// </summary>
    private bool IdleAfterAllocating(long commandsProcessed)
    {
        if (_baseline < 0)
        {
            return false;
        }

        long now = Stopwatch.GetTimestamp();
        if (commandsProcessed != _commandsSeen)
        {
            _commandsSeen = commandsProcessed;
            _quietSince = now;
            return false;
        }

        return now - _quietSince >= IdleTicks && AllocatedSoFar() - _allocatedAtRun >= IdleReclaimAllocation;
    }

    // What the GC and the key blocks have handed out so far: a bulk load of small keys allocates little on
    // the GC heap (the key table and the blocks are native), yet leaves the GC's young generation and malloc's
    // free chunks to give back.
    private static long AllocatedSoFar() => GC.GetTotalAllocatedBytes(false) + Storage.KeyBlock.AllocatedTotal;

    /// <summary>MEMORY PURGE, or a due reclaim: compacting full collection, then the C heap's trim.</summary>
    public void Run()
    {
        Storage.ValuePool.Clear();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        TrimNativeHeap();
        _lastRun = Stopwatch.GetTimestamp();
        _allocatedAtRun = AllocatedSoFar();
        _droppedSinceRun = 0;
        _garbage = 0;
    }

    // glibc only (musl and other platforms have no malloc_trim; their free() returns what it can).
    private static void TrimNativeHeap()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            malloc_trim(0);
            TrimThisThreadsArena();
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    /// <summary>
    /// The kv-server process, first thing: glibc's malloc gives every thread that allocates its own arena
    /// (up to 8 per core), and key blocks allocated on one thread and freed on another stay in arenas
    /// that <c>malloc_trim</c> does not give back: after FLUSHALL of a million small collections about 28 MB
    /// stayed resident, against 10 MB with one arena. Commands run one at a time under the keyspace lock,
    /// so one arena costs no contention. An embedded server leaves its host's allocator alone.
    /// </summary>
    public static void UseOneMallocArena()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // (The trim threshold stays glibc's own: a fixed one made the main arena shrink and regrow its
            // top on the command path, about 20% of HSET/HGET throughput on new keys at pipeline 1.)
            mallopt(MallocArenaMax, 1);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
        }
    }

    // glibc's M_ARENA_MAX.
    private const int MallocArenaMax = -8;

    /// <summary>
    /// Gives back the free top of the calling thread's malloc arena. <c>malloc_trim</c> returns the main
    /// arena's top and the free pages inside every arena, but not the top of another arena's heap, where
    /// everything freed at once (a flushed database's blocks) ends up once consolidated; glibc trims that
    /// only when a chunk of 64 KB or more is freed into the arena. So one is: where a thread with its own
    /// arena (an embedded server's, or one created before <see cref="UseOneMallocArena"/>) has just freed many blocks.
    /// </summary>
    public static unsafe void TrimThisThreadsArena()
    {
        if (OperatingSystem.IsLinux())
        {
            NativeMemory.Free(NativeMemory.Alloc(96 * 1024));
        }
    }

    [LibraryImport("libc")]
    private static partial int malloc_trim(nuint pad);

    [LibraryImport("libc")]
    private static partial int mallopt(int param, int value);
}
