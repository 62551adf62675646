using System.Buffers;
using System.Diagnostics;
using Kv.Protocol;
using Kv.Server.Persistence.Rdb;
using Kv.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Kv.Server.Persistence.Aof;

/// <summary>
/// BGREWRITEAOF without fork: a new base file written while clients keep working.
/// </summary>
/// <remarks>
/// <para>
/// Redis forks and writes the child's frozen view. With aof-use-rdb-preamble yes (the default) the
/// base is an RDB file (<c>appendonly.aof.N.base.rdb</c>) written from the copy-on-access
/// <see cref="TableSnapshot"/> view BGSAVE uses: at one instant under the keyspace lock — in
/// <see cref="Start"/>, as Redis forks before BGREWRITEAOF replies — the tables get their snapshots and
/// appends move to a new incr file, so the base plus that incr file is exactly the data, and clients
/// keep working while the RDB is written on a background thread. A BGSAVE and a rewrite never run
/// together (each table has one snapshot hook; Redis has one child): the later one is scheduled.
/// </para>
/// <para>
/// With aof-use-rdb-preamble no the base is RESP commands. The keyspace is walked in small batches,
/// each under the keyspace lock (a few hundred keys or half a megabyte of commands), and written to
/// a temp file between batches, so clients wait at most one batch. Such a walk is not a snapshot: a
/// key changed after it was written would be stale. So while the rewrite runs every changed key is
/// noted (<see cref="Keyspace.Modified"/> reports each), and after the walk the noted keys are
/// written again, as DEL plus their current contents, in catch-up passes; FLUSHDB during the walk is
/// written into the base as it happens, SWAPDB restarts the walk. The last pass runs under the lock
/// together with the switch: at that instant the base equals the data, and appends move to a new
/// incr file (announced beforehand in the manifest, so a crash at any point leaves a complete set of
/// files: old base + old incr + new incr until the new manifest, new base + new incr after it).
/// Writes before the switch stay in the old incr file, which the new manifest then drops.
/// </para>
/// </remarks>
internal sealed class AofRewrite
{
    private const int KeysPerBatch = 256;
    private const int BytesPerBatch = 512 * 1024;
    private const int FinalPassKeys = 1024;
    private const int MaxCatchUpPasses = 16;

    private readonly ServerState _server;
    private readonly AppendOnlyFile _aof;
    private readonly ArrayBufferWriter<byte> _out = new(BytesPerBatch + 64 * 1024);
    private readonly RespWriter _w;
    private readonly AofKeyWriter _keys = new();
    private HashSet<byte[]>[]? _touched;
    private bool _restart;
    private int _emittedDb = -1;
    private CancellationTokenSource? _cancel;
    private long _startedTicks;
    private TaskCompletionSource? _switched;

    public AofRewrite(ServerState server, AppendOnlyFile aof)
    {
        _server = server;
        _aof = aof;
        _w = new RespWriter(_out);
    }

    public bool InProgress { get; private set; }

    /// <summary>aof_rewrite_scheduled: asked for while another rewrite ran; starts after it.</summary>
    public bool Scheduled { get; set; }

    public long LastDurationSeconds { get; private set; } = -1;

    public long CurrentDurationSeconds => InProgress ? (long)Stopwatch.GetElapsedTime(_startedTicks).TotalSeconds : -1;

    public bool LastOk { get; private set; } = true;

    public long Count { get; private set; }

    public long ConsecutiveFailures { get; private set; }

    /// <summary>Completes when the current (or next) rewrite ends; for tests and SHUTDOWN.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>True while changed keys are noted (checked by <see cref="Keyspace.Modified"/>).</summary>
    public bool Tracking { get; private set; }

    /// <summary>Starts a rewrite in the background (call under the keyspace lock or at start-up).</summary>
    public void Start(AofRewriteMode mode = AofRewriteMode.Normal)
    {
        // Redis runs one child at a time: while a BGSAVE runs (it owns the tables' snapshot hooks) the
        // rewrite waits, scheduled, and the cron starts it afterwards.
        if (InProgress || _server.Rdb.InProgress)
        {
            Scheduled = true;
            return;
        }

        InProgress = true;
        Scheduled = false;
        _startedTicks = Stopwatch.GetTimestamp();
        _cancel = new CancellationTokenSource();
        var token = _cancel.Token;

        // Redis reads aof-use-rdb-preamble when the rewrite starts.
        string folder = _aof.Folder;
        long baseSeq = _aof.Manifest.CurrentBaseSeq + 1;
        var job = new Job(
            mode,
            _server.Config.AofUsePreamble,
            Path.Combine(folder, $"temp-rewriteaof-bg-{Environment.ProcessId}.aof"),
            new AofFileInfo(AofManifest.BaseName(_aof.FileName, baseSeq, rdb: _server.Config.AofUsePreamble), baseSeq, AofFileType.Base));
        if (job.Preamble)
        {
            // As Redis's rewriteAppendOnlyFileBackground opens the new incr file and forks before it
            // replies: the instant is now, so every command after this one lands in the new incr file.
            try
            {
                Directory.CreateDirectory(folder);
                job.Writer = TakeRdbInstant(job);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                job.Failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
            }
        }

        Completion = Task.Run(() => Run(job, token));
    }

    /// <summary>One rewrite: what it writes and where; with the preamble, the RDB writer its instant opened.</summary>
    private sealed class Job(AofRewriteMode mode, bool preamble, string temp, AofFileInfo baseInfo)
    {
        public AofRewriteMode Mode { get; } = mode;

        public bool Preamble { get; } = preamble;

        public string Temp { get; } = temp;

        public AofFileInfo BaseInfo { get; } = baseInfo;

        public NextIncr Next { get; } = new();

        public RdbFileWriter? Writer { get; set; }

        public List<byte[]> Functions { get; } = [];

        public long InstantMilliseconds { get; set; }

        public System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure { get; set; }
    }

    public void Cancel()
    {
        _cancel?.Cancel();
        if (InProgress)
        {
            try
            {
                // Called under the keyspace lock by CONFIG SET appendonly no: the rewrite notices the
                // cancel at its next batch, which needs the lock; so do not wait here.
                if (!_server.Keyspace.Lock.IsHeldByCurrentThread)
                {
                    Completion.Wait(TimeSpan.FromSeconds(10));
                }
            }
            catch (AggregateException)
            {
            }
        }
    }

    #region Hooks from the keyspace (under its lock)

    /// <summary>A key changed while the rewrite runs: it is written again before the switch.</summary>
    public void Touched(int db, ReadOnlySpan<byte> key)
    {
        var set = _touched![db];
        if (!set.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(key))
        {
            set.Add(key.ToArray());
        }
    }

    /// <summary>FLUSHDB/FLUSHALL while the rewrite runs: the base gets the same flush at the same point.</summary>
    public void Flushed(int db)
    {
        Select(db);
        _w.ArrayHeader(1);
        _w.Bulk("FLUSHDB"u8);
        _touched![db].Clear();
    }

    /// <summary>SWAPDB while the rewrite runs: the walk starts over.</summary>
    public void Swapped() => _restart = true;

    #endregion

    private void Run(Job job, CancellationToken token)
    {
        var mode = job.Mode;
        var next = job.Next;
        var baseInfo = job.BaseInfo;
        long baseSeq = baseInfo.Seq;
        string folder = _aof.Folder;
        string temp = job.Temp;
        bool ok = false;
        try
        {
            job.Failure?.Throw();
            Directory.CreateDirectory(folder);
            string basePath = Path.Combine(folder, baseInfo.Name);
            long size = job.Preamble
                ? WriteRdbBase(job, token)
                : WriteRespBase(mode, temp, basePath, next, token);

            // The manifest names the new base: base + the new incr only.
            var manifest = _aof.Manifest.Clone();
            manifest.CurrentBaseSeq = baseSeq;
            var old = new List<AofFileInfo>(manifest.Incrs.Count + 1);
            if (manifest.Base is not null)
            {
                old.Add(manifest.Base);
            }

            foreach (var incr in manifest.Incrs)
            {
                if (incr != next.Info)
                {
                    old.Add(incr);
                }
            }

            manifest.Base = baseInfo;
            manifest.Incrs.Clear();
            if (next.Info is not null)
            {
                manifest.Incrs.Add(next.Info);
                manifest.CurrentIncrSeq = Math.Max(manifest.CurrentIncrSeq, next.Info.Seq);
            }

            if (mode == AofRewriteMode.Normal)
            {
                // The writer must have left the old incr file before it is deleted (its bytes before the switch are in it).
                _switched!.Task.Wait(TimeSpan.FromSeconds(30));
            }

            _aof.PersistManifest(manifest);
            _aof.Manifest = manifest;
            foreach (var file in old)
            {
                File.Delete(Path.Combine(folder, file.Name));
            }

            _aof.ResetSizes(size);
            ok = true;
            _server.Logger.LogInformation("Background AOF rewrite finished successfully ({Bytes} bytes in {Base}).", size, baseInfo.Name);
        }
        catch (OperationCanceledException)
        {
            _server.Logger.LogInformation("Background AOF rewrite cancelled.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _server.Logger.LogWarning("Background AOF rewrite failed: {Error}", ex.Message);
        }
        finally
        {
            next.Handle?.Dispose();
            job.Writer?.Dispose();
            lock (_server.Keyspace.Lock)
            {
                StopTracking();
                DetachSnapshots();
                if (!ok && mode == AofRewriteMode.Enabling && _aof.State != AofState.Off)
                {
                    // Redis retries a failed rewrite for appendonly yes from serverCron (ServerCron does).
                    // Appends may have started already: the retry's base then holds everything.
                    Scheduled = true;
                }

                LastOk = ok;
                ConsecutiveFailures = ok ? 0 : ConsecutiveFailures + 1;
                Count += ok ? 1 : 0;
                LastDurationSeconds = (long)Stopwatch.GetElapsedTime(_startedTicks).TotalSeconds;
                InProgress = false;
            }

            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The incr file appends move to at the switch (none for <see cref="AofRewriteMode.Offline"/>).</summary>
    private sealed class NextIncr
    {
        public SafeFileHandle? Handle { get; set; }

        public AofFileInfo? Info { get; set; }
    }

    // Opens the next incr file before anything is appended to it; a normal rewrite announces it in the
    // manifest first, so a crash from here on leaves old base + old incr + new incr, all listed.
    private void AnnounceNextIncr(AofRewriteMode mode, NextIncr next)
    {
        if (mode == AofRewriteMode.Offline)
        {
            // appendonly no: Redis 7.0 still writes a base and a manifest naming it (no incr file).
            return;
        }

        var manifest = _aof.Manifest.Clone();
        manifest.CurrentIncrSeq++;
        next.Info = new AofFileInfo(AofManifest.IncrName(_aof.FileName, manifest.CurrentIncrSeq), manifest.CurrentIncrSeq, AofFileType.Incr);
        next.Handle = _aof.OpenIncr(next.Info.Name);
        if (mode == AofRewriteMode.Enabling)
        {
            // Not listed until the base exists: without a manifest naming it, the file is ignored. Its
            // number is taken, though: a retry after a failure must not open the same file again.
            RandomAccess.SetLength(next.Handle, 0);
            _aof.Manifest.CurrentIncrSeq = manifest.CurrentIncrSeq;
            return;
        }

        manifest.Incrs.Add(next.Info);
        _aof.PersistManifest(manifest);
        _aof.Manifest = manifest.Clone();
    }

    // The switch instant (under the keyspace lock): appends move to the next incr file.
    private void SwitchAppends(AofRewriteMode mode, NextIncr next)
    {
        _switched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Keyspace.Propagation.SelectedDb = -1;
        if (mode == AofRewriteMode.Offline)
        {
            _switched.TrySetResult();
        }
        else if (mode == AofRewriteMode.Enabling)
        {
            _aof.EnableAt(next.Handle!);
            _switched.TrySetResult();
            next.Handle = null;
        }
        else
        {
            _aof.SwitchIncr(next.Handle!);
            next.Handle = null;
        }
    }

    // aof-use-rdb-preamble yes, as Redis's rewriteAppendOnlyFile with rdbSaveRio: the base is an RDB file
    // of the data at one instant. At that instant (in Start, under the keyspace lock, as Redis forks in
    // the command) the next incr file is announced, each table gets a copy-on-access TableSnapshot as
    // BGSAVE does, and appends move to the next incr file, so base + new incr is the data exactly.
    private RdbFileWriter TakeRdbInstant(Job job)
    {
        var keyspace = _server.Keyspace;
        var writer = new RdbFileWriter(_server, job.Temp, Path.Combine(_aof.Folder, job.BaseInfo.Name), aofBase: true);
        try
        {
            lock (keyspace.Lock)
            {
                AnnounceNextIncr(job.Mode, job.Next);
                var databases = keyspace.Databases;
                var snapshots = new List<TableSnapshot>();
                for (int i = 0; i < databases.Length; i++)
                {
                    var table = databases[i].Table;
                    if (table.Count > 0)
                    {
                        var snapshot = new TableSnapshot(table, i, writer.Values, writer.Compress);
                        table.Snapshot = snapshot;
                        snapshots.Add(snapshot);
                    }
                }

                _snapshots = [.. snapshots];
                foreach (var library in _server.Scripting.Functions.Libraries)
                {
                    job.Functions.Add(library.Code);
                }

                job.InstantMilliseconds = keyspace.NowMilliseconds;
                SwitchAppends(job.Mode, job.Next);
            }

            return writer;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    // The RDB of the instant, written in batches while clients keep working. Returns its size.
    private long WriteRdbBase(Job job, CancellationToken token)
    {
        var writer = job.Writer!;
        writer.WriteHeader(job.Functions, job.InstantMilliseconds);
        foreach (var snapshot in _snapshots)
        {
            writer.WriteSnapshot(snapshot, _server.Keyspace.Lock, () => token.IsCancellationRequested);
        }

        writer.Commit();
        return writer.Length;
    }

    private TableSnapshot[] _snapshots = [];

    // A rewrite that ends early leaves no hook behind (under the keyspace lock).
    private void DetachSnapshots()
    {
        foreach (var snapshot in _snapshots)
        {
            if (ReferenceEquals(snapshot.Table.Snapshot, snapshot))
            {
                snapshot.Table.Snapshot = null;
            }
        }

        _snapshots = [];
    }

    // aof-use-rdb-preamble no: the base is RESP commands, written by the walk and catch-up passes the
    // class remarks describe. Returns its size.
    private long WriteRespBase(AofRewriteMode mode, string temp, string basePath, NextIncr next, CancellationToken token)
    {
        using var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write);
        long offset = 0;
        var keyspace = _server.Keyspace;

    restart:
        offset = 0;
        RandomAccess.SetLength(handle, 0);
        lock (keyspace.Lock)
        {
            _touched = new HashSet<byte[]>[keyspace.Databases.Length];
            for (int i = 0; i < _touched.Length; i++)
            {
                _touched[i] = new HashSet<byte[]>(ByteKeyComparer.Instance);
            }

            _restart = false;
            _emittedDb = -1;
            _out.ResetWrittenCount();
            Tracking = true;
            keyspace.Propagation.Tracker = this;
        }

        // The walk, a batch at a time.
        for (int db = 0; db < keyspace.Databases.Length; db++)
        {
            int position = 0;
            bool more = true;
            while (more)
            {
                token.ThrowIfCancellationRequested();
                lock (keyspace.Lock)
                {
                    if (_restart)
                    {
                        StopTracking();
                        goto restart;
                    }

                    more = WalkBatch(keyspace.Databases[db], ref position);
                }

                offset = Flush(handle, offset);
            }
        }

        // Catch-up passes over the keys changed meanwhile, until few are left.
        for (int pass = 0; pass < MaxCatchUpPasses; pass++)
        {
            token.ThrowIfCancellationRequested();
            lock (keyspace.Lock)
            {
                if (_restart)
                {
                    StopTracking();
                    goto restart;
                }

                if (TouchedCount() <= FinalPassKeys)
                {
                    break;
                }

                CatchUp(keyspace);
            }

            offset = Flush(handle, offset);
        }

        AnnounceNextIncr(mode, next);

        // The switch: the last catch-up, the functions, and appends move to the next incr file.
        lock (keyspace.Lock)
        {
            token.ThrowIfCancellationRequested();
            if (_restart)
            {
                // Rare (SWAPDB in the last moment): give up this attempt; the next one starts clean.
                throw new IOException("SWAPDB during the rewrite's switch; retrying");
            }

            CatchUp(keyspace);
            WriteFunctions();
            StopTracking();
            SwitchAppends(mode, next);
        }

        offset = Flush(handle, offset);
        DiskSync.File(handle);
        handle.Dispose();
        File.Move(temp, basePath, overwrite: true);
        return offset;
    }

    /// <summary>
    /// Writes a base file of the data now, in the foreground (Redis's rewriteAppendOnlyFile as
    /// aofOpenIfNeededOnServerStart calls it when it starts with no AOF at all): an RDB with
    /// aof-use-rdb-preamble yes, else RESP commands. Returns its size.
    /// </summary>
    internal long WriteBaseNow(string path)
    {
        string temp = Path.Combine(Path.GetDirectoryName(path)!, $"temp-rewriteaof-{Environment.ProcessId}.aof");
        var keyspace = _server.Keyspace;
        lock (keyspace.Lock)
        {
            var databases = keyspace.Databases;
            if (_server.Config.AofUsePreamble)
            {
                using var writer = new RdbFileWriter(_server, temp, path, aofBase: true);
                var functions = new List<byte[]>();
                foreach (var library in _server.Scripting.Functions.Libraries)
                {
                    functions.Add(library.Code);
                }

                writer.WriteHeader(functions, keyspace.NowMilliseconds);
                for (int i = 0; i < databases.Length; i++)
                {
                    writer.WriteTable(databases[i].Table, i);
                }

                writer.Commit();
                return writer.Length;
            }

            long offset = 0;
            using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
            {
                _emittedDb = -1;
                _out.ResetWrittenCount();
                WriteFunctions();
                foreach (var db in databases)
                {
                    int position = 0;
                    while (WalkBatch(db, ref position))
                    {
                        offset = Flush(handle, offset);
                    }
                }

                offset = Flush(handle, offset);
                DiskSync.File(handle);
            }

            File.Move(temp, path, overwrite: true);
            DiskSync.Directory(Path.GetDirectoryName(path)!);
            return offset;
        }
    }

    /// <summary>Called by the writer once it has moved to the next incr file.</summary>
    internal void SwitchCompleted() => _switched?.TrySetResult();

    private void StopTracking()
    {
        Tracking = false;
        if (ReferenceEquals(_server.Keyspace.Propagation.Tracker, this))
        {
            _server.Keyspace.Propagation.Tracker = null;
        }
    }

    private int TouchedCount()
    {
        int count = 0;
        foreach (var set in _touched!)
        {
            count += set.Count;
        }

        return count;
    }

    // One batch of the walk (under the lock); false when the database is done.
    private bool WalkBatch(Database db, ref int position)
    {
        var table = db.Table;
        long now = _server.Keyspace.NowMilliseconds;
        int keys = 0;
        while (position < table.IndexLimit)
        {
            if (keys >= KeysPerBatch || _out.WrittenCount >= BytesPerBatch)
            {
                return true;
            }

            int index = position++;
            ref readonly var entry = ref table.At(index);
            if (entry.IsFree || table.IsDue(index, now))
            {
                continue;
            }

            Select(db.Id);
            _keys.Write(_w, entry.Key, entry, table.ExpiresAt(index), table, index);
            keys++;
        }

        return false;
    }

    // Writes every noted key again: DEL, then its contents when it still exists (under the lock).
    private void CatchUp(Keyspace keyspace)
    {
        long now = keyspace.NowMilliseconds;
        for (int db = 0; db < _touched!.Length; db++)
        {
            var set = _touched[db];
            if (set.Count == 0)
            {
                continue;
            }

            var table = keyspace.Databases[db].Table;
            Select(db);
            foreach (var key in set)
            {
                _w.ArrayHeader(2);
                _w.Bulk("DEL"u8);
                _w.Bulk(key);
                int index = table.Find(key);
                if (index >= 0 && !table.IsDue(index, now))
                {
                    _keys.Write(_w, key, table.At(index), table.ExpiresAt(index), table, index);
                }
            }

            set.Clear();
        }
    }

    // Redis's rewriteFunctions: FUNCTION LOAD for each library.
    private void WriteFunctions()
    {
        foreach (var library in _server.Scripting.Functions.Libraries)
        {
            _w.ArrayHeader(3);
            _w.Bulk("FUNCTION"u8);
            _w.Bulk("LOAD"u8);
            _w.Bulk(library.Code);
        }
    }

    private void Select(int db)
    {
        if (_emittedDb == db)
        {
            return;
        }

        _w.ArrayHeader(2);
        _w.Bulk("SELECT"u8);
        _w.BulkInteger(db);
        _emittedDb = db;
    }

    // Writes what the last batch produced (outside the lock: the buffer is only filled under it, and
    // nothing fills it between the batch's end and this write except the flush hooks, which run under
    // the lock too; so take the bytes under the lock).
    private byte[] _chunk = new byte[BytesPerBatch + 64 * 1024];

    private long Flush(SafeFileHandle handle, long offset)
    {
        int length;
        lock (_server.Keyspace.Lock)
        {
            length = _out.WrittenCount;
            if (_chunk.Length < length)
            {
                _chunk = new byte[length];
            }

            _out.WrittenSpan.CopyTo(_chunk);
            _out.ResetWrittenCount();
        }

        if (length > 0)
        {
            RandomAccess.Write(handle, _chunk.AsSpan(0, length), offset);
        }

        return offset + length;
    }
}

/// <summary>What a rewrite is for.</summary>
internal enum AofRewriteMode
{
    /// <summary>BGREWRITEAOF or auto rewrite with appendonly yes: appends move to a new incr file.</summary>
    Normal,

    /// <summary>CONFIG SET appendonly yes: the base is made, then appends start.</summary>
    Enabling,

    /// <summary>BGREWRITEAOF with appendonly no: a base and a manifest only.</summary>
    Offline,
}
