using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace Kv.Server.Persistence.Aof;

/// <summary>
/// The append-only file as Redis 7.0 lays it out (<c>appendonlydir/</c>: a manifest, a base file and
/// incr files) and the thread that writes it.
/// </summary>
/// <remarks>
/// Commands append their effects (see <see cref="Propagation"/>) to an in-memory buffer under the
/// keyspace lock; a writer thread takes the whole buffer at once and writes it (pwrite at an explicit
/// offset, so a failed write is simply retried), so no command ever waits on the disk:
/// <list type="bullet">
/// <item><c>always</c>: every write is fsynced, and a connection whose batch appended holds back its
/// replies until the data is durable (<see cref="WaitDurableAsync"/>). The first connection to wait
/// writes and fsyncs for everyone who appended meanwhile (the writer thread covers the rest); everything
/// that accumulated while one fsync ran goes out with the next: group commit.</item>
/// <item><c>everysec</c>: connections wake the writer after each batch, so the data reaches the OS at
/// once (a killed process loses nothing), and an fsync runs in the background once a second.</item>
/// <item><c>no</c>: written at once, fsynced by the OS.</item>
/// </list>
/// A rewrite (<see cref="AofRewrite"/>) switches appends to a new incr file at one instant under the
/// keyspace lock; the writer puts the bytes before that instant in the old file and the rest in the
/// new one (<see cref="SwitchIncr"/>).
/// </remarks>
internal sealed class AppendOnlyFile
{
    private readonly ServerState _server;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);

    // One WriteOnce at a time: the writer thread's, or a waiting connection's (WaitDurableAsync); _leader
    // is 1 while a connection is about to write.
    private readonly Lock _writeLock = new();
    private int _leader;
    private byte[] _buffer = new byte[64 * 1024];
    private int _length;
    private byte[] _taken = new byte[64 * 1024];
    private long _appended;
    private long _durable;
    private long _written;
    private int _wakePending;
    private TaskCompletionSource _durableSignal = NewSignal();

    // The incr file being written, and the one appends go to after SwitchIncr (from logical offset _switchAt).
    private SafeFileHandle? _incr;
    private long _incrOffset;
    private SafeFileHandle? _nextIncr;
    private long _switchAt = -1;

    private Thread? _writer;
    private volatile bool _stopping;
    private long _lastFsync;
    private int _fsyncRunning;

    public AppendOnlyFile(ServerState server)
    {
        _server = server;
    }

    /// <summary>Redis's aof_state: off, on, or waiting for the first rewrite after CONFIG SET appendonly yes.</summary>
    public AofState State { get; private set; }

    public AofManifest Manifest { get; set; } = new();

    public string Folder => Path.Combine(_server.Config.Dir, _server.Config.AppendDirname);

    public string FileName => _server.Config.AppendFilename;

    /// <summary>Logical bytes appended since the writer started (read under the keyspace lock).</summary>
    public long Appended => _appended;

    /// <summary>aof_last_write_status: false after a failed write or fsync until one succeeds.</summary>
    public bool LastWriteOk { get; private set; } = true;

    public string LastWriteError { get; private set; } = "";

    /// <summary>aof_current_size and aof_base_size of INFO (bytes of all files, and of them at the last rewrite).</summary>
    public long CurrentSize => _baseFilesSize + Interlocked.Read(ref _written);

    private long _baseFilesSize;

    public long BaseSize { get; set; }

    public long BufferLength
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    public long DelayedFsync { get; private set; }

    public AofRewrite Rewrite { get; private set; } = null!;

    public ILogger Logger => _server.Logger;

    public void Initialize() => Rewrite = new AofRewrite(_server, this);

    #region Lifecycle

    /// <summary>
    /// At start-up with appendonly yes, after loading: opens the last incr file for appending, or makes
    /// the folder, a first incr file and the manifest (Redis's aofOpenIfNeededOnServerStart).
    /// </summary>
    public void OpenOnStartup()
    {
        Directory.CreateDirectory(Folder);
        if (Manifest.Base is null && Manifest.Incrs.Count == 0)
        {
            // Redis 7.0 starts a new AOF with a base file (an RDB with aof-use-rdb-preamble yes), so
            // redis-server and redis-check-aof find the same layout as after a rewrite.
            Manifest.CurrentBaseSeq++;
            var first = new AofFileInfo(AofManifest.BaseName(FileName, Manifest.CurrentBaseSeq, rdb: _server.Config.AofUsePreamble), Manifest.CurrentBaseSeq, AofFileType.Base);
            Rewrite.WriteBaseNow(Path.Combine(Folder, first.Name));
            Manifest.Base = first;
        }

        if (Manifest.Incrs.Count == 0)
        {
            Manifest.CurrentIncrSeq++;
            var incr = new AofFileInfo(AofManifest.IncrName(FileName, Manifest.CurrentIncrSeq), Manifest.CurrentIncrSeq, AofFileType.Incr);
            var handle = OpenIncr(incr.Name);
            Manifest.Incrs.Add(incr);
            PersistManifest(Manifest);
            StartWriter(handle, 0);
        }
        else
        {
            var handle = OpenIncr(Manifest.Incrs[^1].Name);
            StartWriter(handle, RandomAccess.GetLength(handle));
            _written = 0;
        }

        _baseFilesSize = FilesSize(includeLastIncr: false) + RandomAccess.GetLength(_incr!);
        BaseSize = _baseFilesSize;
        State = AofState.On;
        _server.Keyspace.Propagation.SetTarget(this);
    }

    /// <summary>CONFIG SET appendonly yes|no at run time (under the keyspace lock); null or the error.</summary>
    public string? AppendOnlyChanged(bool on)
    {
        if (on)
        {
            return Enable();
        }

        Disable();
        return null;
    }

    /// <summary>CONFIG SET appendonly yes at run time: a rewrite makes the base, then appends start (Redis's startAppendOnly).</summary>
    public string? Enable()
    {
        if (State != AofState.Off)
        {
            return null;
        }

        try
        {
            Directory.CreateDirectory(Folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "Failed to create the append only file folder: " + ex.Message;
        }

        State = AofState.WaitRewrite;
        Rewrite.Start(AofRewriteMode.Enabling);
        return null;
    }

    /// <summary>CONFIG SET appendonly no (Redis's stopAppendOnly): flush what is buffered, stop the writer.</summary>
    public void Disable()
    {
        if (State == AofState.Off)
        {
            return;
        }

        Rewrite.Cancel();
        _server.Keyspace.Propagation.SetTarget(null);
        State = AofState.Off;
        StopWriter();
    }

    /// <summary>Called by the rewrite of an enabling CONFIG SET at its switch instant (under the keyspace lock).</summary>
    internal void EnableAt(SafeFileHandle incr)
    {
        StartWriter(incr, 0);
        State = AofState.On;
        _server.Keyspace.Propagation.SetTarget(this);
    }

    /// <summary>Shutdown: write and fsync everything buffered (Redis's flushAppendOnlyFile(1) + fsync at shutdown).</summary>
    public void Shutdown()
    {
        Rewrite.Cancel();
        StopWriter();
    }

    private void StartWriter(SafeFileHandle handle, long offset)
    {
        _incr = handle;
        _incrOffset = offset;
        _appended = 0;
        _durable = 0;
        _written = 0;
        _length = 0;
        _stopping = false;
        _lastFsync = Stopwatch.GetTimestamp();
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "kv-aof-writer" };
        _writer.Start();
    }

    private void StopWriter()
    {
        var writer = _writer;
        if (writer is null)
        {
            return;
        }

        _stopping = true;
        _wake.Release();
        writer.Join();
        _writer = null;
        _incr?.Dispose();
        _incr = null;
        _nextIncr?.Dispose();
        _nextIncr = null;
        _switchAt = -1;
    }

    #endregion

    #region Appending (under the keyspace lock)

    /// <summary>Appends one unit of effects (<paramref name="first"/> then <paramref name="second"/>).</summary>
    public void Append(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        int total = first.Length + second.Length;
        lock (_gate)
        {
            if (_length + total > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + total));
            }

            first.CopyTo(_buffer.AsSpan(_length));
            second.CopyTo(_buffer.AsSpan(_length + first.Length));
            _length += total;
            _appended += total;
        }
    }

    /// <summary>
    /// The rewrite's switch instant (under the keyspace lock): what is appended from now on goes to
    /// <paramref name="next"/>; what came before still goes to the current incr file.
    /// </summary>
    internal void SwitchIncr(SafeFileHandle next)
    {
        lock (_gate)
        {
            _nextIncr = next;
            _switchAt = _appended;
        }

        Wake();
    }

    /// <summary>Wakes the writer (after a batch appended, under everysec or no).</summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>
    /// Completes once everything up to <paramref name="offset"/> (an <see cref="Appended"/> value) is
    /// on disk: under appendfsync always a connection awaits this before sending its batch's replies.
    /// </summary>
    public ValueTask WaitDurableAsync(long offset) => Volatile.Read(ref _durable) >= offset ? default : WaitSlowAsync(offset);

    // Group commit led by a waiting connection, as Redis writes and fsyncs once per event-loop turn on the
    // thread that ran the commands: the first connection to wait becomes the leader, yields once so the
    // connections whose commands are already queued run them and append too, then writes and fsyncs
    // everything itself — no hand-off to the writer thread and back, which on a busy core cost more than
    // the fsync. Connections that arrive meanwhile wait for its write; any that appended after it took
    // the buffer are left to the writer thread.
    private async ValueTask WaitSlowAsync(long offset)
    {
        while (Volatile.Read(ref _durable) < offset && _writer is not null)
        {
            if (!_stopping && Interlocked.CompareExchange(ref _leader, 1, 0) == 0)
            {
                try
                {
                    // Yield while other connections keep appending (each pass runs the work already queued).
                    long seen = Volatile.Read(ref _appended);
                    for (int pass = 0; pass < 16; pass++)
                    {
                        await Task.Yield();
                        long now = Volatile.Read(ref _appended);
                        if (now == seen)
                        {
                            break;
                        }

                        seen = now;
                    }

                    lock (_writeLock)
                    {
                        if (Volatile.Read(ref _durable) < offset)
                        {
                            WriteOnce(final: false);
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    // The writer thread retries the write, reports the error and completes the waiters.
                    Wake();
                }
                finally
                {
                    Volatile.Write(ref _leader, 0);
                }

                if (Volatile.Read(ref _appended) > Volatile.Read(ref _durable))
                {
                    Wake();
                }

                continue;
            }

            Task signal;
            lock (_gate)
            {
                if (_durable >= offset)
                {
                    return;
                }

                signal = _durableSignal.Task;
            }

            if (Volatile.Read(ref _leader) == 0)
            {
                Wake();
            }

            await signal.ConfigureAwait(false);
        }
    }

    #endregion

    #region Writer thread

    private void WriterLoop()
    {
        while (true)
        {
            bool always = _server.Config.AppendFsync == "always";
            _wake.Wait(always ? 1000 : 100);
            Interlocked.Exchange(ref _wakePending, 0);
            bool stopping = _stopping;
            try
            {
                lock (_writeLock)
                {
                    WriteOnce(stopping);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (LastWriteOk)
                {
                    _server.Logger.LogWarning("Error writing to the AOF file: {Error}", ex.Message);
                }

                LastWriteOk = false;
                LastWriteError = ex.Message;
                if (stopping)
                {
                    return;
                }

                // Redis retries a failed AOF write from serverCron; do it once a second.
                Thread.Sleep(1000);
                continue;
            }

            if (stopping)
            {
                return;
            }
        }
    }

    // The bytes taken but not yet written: [_takenStart, _takenLength) of _taken, at logical offset _takenOffset.
    private int _takenStart;
    private int _takenLength;
    private long _takenOffset;
    private TaskCompletionSource? _takenSignal;

    private void WriteOnce(bool final)
    {
        if (_takenStart == _takenLength)
        {
            lock (_gate)
            {
                (_buffer, _taken) = (_taken, _buffer);
                _takenStart = 0;
                _takenLength = _length;
                _takenOffset = _appended - _length;
                _length = 0;
                _takenSignal = _durableSignal;
                _durableSignal = NewSignal();
                if (_buffer.Length > 4 * 1024 * 1024)
                {
                    _buffer = new byte[64 * 1024];
                }
            }
        }

        long end = _takenOffset + (_takenLength - _takenStart);
        bool wrote = _takenLength > _takenStart;
        while (_takenStart < _takenLength)
        {
            // Bytes before the switch offset belong to the old incr file.
            long switchAt = Volatile.Read(ref _switchAt);
            int count = _takenLength - _takenStart;
            if (switchAt >= 0 && _takenOffset < switchAt)
            {
                count = (int)Math.Min(count, switchAt - _takenOffset);
            }
            else if (switchAt >= 0 && _takenOffset >= switchAt)
            {
                SwitchFiles();
                continue;
            }

            RandomAccess.Write(_incr!, _taken.AsSpan(_takenStart, count), _incrOffset);
            _incrOffset += count;
            _takenStart += count;
            _takenOffset += count;
            Interlocked.Add(ref _written, count);
        }

        if (Volatile.Read(ref _switchAt) >= 0 && _takenOffset >= _switchAt)
        {
            SwitchFiles();
        }

        string policy = _server.Config.AppendFsync;
        if (policy == "always" || final)
        {
            if (wrote || final)
            {
                DiskSync.File(_incr!);
            }

            _lastFsync = Stopwatch.GetTimestamp();
        }
        else if (policy == "everysec" && Stopwatch.GetElapsedTime(_lastFsync).TotalSeconds >= 1 && Volatile.Read(ref _written) > 0)
        {
            _lastFsync = Stopwatch.GetTimestamp();
            if (Interlocked.CompareExchange(ref _fsyncRunning, 1, 0) == 0)
            {
                var handle = _incr!;
                ThreadPool.UnsafeQueueUserWorkItem(_ => BackgroundFsync(handle), null);
            }
            else
            {
                // The previous fsync is still running: Redis counts this as aof_delayed_fsync.
                DelayedFsync++;
            }
        }

        LastWriteOk = true;
        Volatile.Write(ref _durable, end);
        _takenSignal?.TrySetResult();
        _takenSignal = null;
    }

    private void BackgroundFsync(SafeFileHandle handle)
    {
        try
        {
            if (!handle.IsClosed)
            {
                DiskSync.File(handle);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            _server.Logger.LogWarning("Error syncing the AOF file: {Error}", ex.Message);
        }
        finally
        {
            Volatile.Write(ref _fsyncRunning, 0);
        }
    }

    private void SwitchFiles()
    {
        // The old incr file is complete: make it durable before writes go to the next one.
        DiskSync.File(_incr!);
        _incr!.Dispose();
        lock (_gate)
        {
            _incr = _nextIncr;
            _nextIncr = null;
            _switchAt = -1;
        }

        _incrOffset = 0;
        Rewrite.SwitchCompleted();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    #endregion

    #region Files

    internal SafeFileHandle OpenIncr(string name) =>
        File.OpenHandle(Path.Combine(Folder, name), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite);

    /// <summary>Writes the manifest atomically: temp file, fsync, rename, fsync of the folder (Redis's persistAofManifest).</summary>
    internal void PersistManifest(AofManifest manifest)
    {
        string folder = Folder;
        string target = Path.Combine(folder, AofManifest.ManifestName(FileName));
        string temp = Path.Combine(folder, "temp-" + AofManifest.ManifestName(FileName));
        var bytes = Encoding.UTF8.GetBytes(manifest.Format());
        using (var handle = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
        {
            RandomAccess.Write(handle, bytes, 0);
            DiskSync.File(handle);
        }

        File.Move(temp, target, overwrite: true);
        DiskSync.Directory(folder);
    }

    /// <summary>Bytes of the files the manifest lists (base and incr).</summary>
    internal long FilesSize(bool includeLastIncr)
    {
        long size = 0;
        if (Manifest.Base is { } b && File.Exists(Path.Combine(Folder, b.Name)))
        {
            size += new FileInfo(Path.Combine(Folder, b.Name)).Length;
        }

        for (int i = 0; i < Manifest.Incrs.Count - (includeLastIncr ? 0 : 1); i++)
        {
            var path = Path.Combine(Folder, Manifest.Incrs[i].Name);
            if (File.Exists(path))
            {
                size += new FileInfo(path).Length;
            }
        }

        return size;
    }

    /// <summary>After a rewrite: the new base and incr files are the whole file now.</summary>
    internal void ResetSizes(long baseSize)
    {
        _baseFilesSize = baseSize - Interlocked.Read(ref _written);
        BaseSize = baseSize;
    }

    #endregion
}

/// <summary>Redis's aof_state.</summary>
internal enum AofState
{
    Off,
    On,
    WaitRewrite,
}
