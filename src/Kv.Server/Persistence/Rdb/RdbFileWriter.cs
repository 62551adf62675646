using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kv.Server.Storage;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Writes an RDB file as Redis 7.0's rdbSaveRio: "REDIS0010", AUX fields, functions, each non-empty
/// database (SELECTDB, RESIZEDB, its keys), EOF and the CRC64 (0 with rdbchecksum no). The data goes to
/// a temp file in <c>dir</c>, is fsynced, renamed over <c>dbfilename</c>, and the folder fsynced, so a
/// crash leaves either the old file or the new one.
/// </summary>
internal sealed class RdbFileWriter : IDisposable
{
    // A background batch holds the keyspace lock for at most this long (clients wait no longer than that).
    private static readonly long BatchTicks = Stopwatch.Frequency / 5000; // 200 µs
    private const int BatchBytes = 1 << 18;

    private readonly ServerState _server;
    private readonly string _tempPath;
    private readonly string _finalPath;
    private readonly FileStream _file;
    private readonly RdbBuffer _buffer;
    private readonly RdbValueWriter _values;
    private readonly bool _checksum;
    private readonly bool _aofBase;
    private readonly int _saveDelay;
    private ulong _crc;

    /// <summary>A snapshot for <c>dir/dbfilename</c>, written first to <c>dir/tempName</c>.</summary>
    public RdbFileWriter(ServerState server, string tempName)
        : this(server, Path.Combine(Path.GetFullPath(server.Config.Dir), tempName), Path.Combine(Path.GetFullPath(server.Config.Dir), server.Config.DbFilename), aofBase: false)
    {
    }

    /// <summary>
    /// A snapshot for <paramref name="finalPath"/>, written first to <paramref name="tempPath"/>; with
    /// <paramref name="aofBase"/> it is the RDB base of an AOF (aof-use-rdb-preamble: AUX aof-base 1).
    /// </summary>
    public RdbFileWriter(ServerState server, string tempPath, string finalPath, bool aofBase)
    {
        _server = server;
        var config = server.Config;
        _tempPath = tempPath;
        _finalPath = finalPath;
        _aofBase = aofBase;
        _checksum = config.RdbChecksum;
        _saveDelay = config.RdbKeySaveDelay;
        _buffer = new RdbBuffer(BatchBytes + 4096) { Compress = config.RdbCompression };
        string policy = config.MaxMemoryPolicy;
        _values = new RdbValueWriter(config.ListMaxListpackSize)
        {
            AccessInfo = policy.EndsWith("-lru", StringComparison.Ordinal) ? RdbAccessInfo.Idle
                : policy.EndsWith("-lfu", StringComparison.Ordinal) ? RdbAccessInfo.Freq
                : RdbAccessInfo.None,
            NowMilliseconds = server.Keyspace.NowMilliseconds,
            LfuDecayTime = config.LfuDecayTime,
        };
        _file = new FileStream(_tempPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public RdbValueWriter Values => _values;

    public bool Compress => _buffer.Compress;

    /// <summary>Keys written (by the walk or captured ahead of it).</summary>
    public long Keys { get; private set; }

    /// <summary>The header, AUX fields and function libraries (Redis writes functions before the data).</summary>
    public void WriteHeader(IReadOnlyList<byte[]> functionCodes, long nowMs)
    {
        _buffer.WriteRaw(Encoding.ASCII.GetBytes($"REDIS{RdbFormat.Version:D4}"));
        Aux("redis-ver", Commands.ConnectionCommands.RedisVersion);
        Aux("redis-bits", "64");
        Aux("ctime", (nowMs / 1000).ToString(CultureInfo.InvariantCulture));
        Aux("used-mem", GC.GetTotalMemory(false).ToString(CultureInfo.InvariantCulture));
        Aux("aof-base", _aofBase ? "1" : "0");
        foreach (var code in functionCodes)
        {
            _buffer.WriteByte(RdbFormat.OpcodeFunction2);
            _buffer.WriteString(code);
        }

        Flush();
    }

    private void Aux(string key, string value)
    {
        _buffer.WriteByte(RdbFormat.OpcodeAux);
        _buffer.WriteString(Encoding.ASCII.GetBytes(key));
        _buffer.WriteString(Encoding.ASCII.GetBytes(value));
    }

    /// <summary>SELECTDB and RESIZEDB for a database about to be written.</summary>
    public void WriteDbHeader(int dbId, int keys, int volatileKeys)
    {
        _buffer.WriteByte(RdbFormat.OpcodeSelectDb);
        _buffer.WriteLength((ulong)dbId);
        _buffer.WriteByte(RdbFormat.OpcodeResizeDb);
        _buffer.WriteLength((ulong)keys);
        _buffer.WriteLength((ulong)volatileKeys);
    }

    /// <summary>Writes a whole table at once (SAVE, SHUTDOWN: the caller holds the keyspace lock throughout).</summary>
    public void WriteTable(KeyTable table, int dbId)
    {
        if (table.Count == 0)
        {
            return;
        }

        WriteDbHeader(dbId, table.Count, table.VolatileCount);
        for (int i = 0; i < table.IndexLimit; i++)
        {
            if (!table.At(i).IsFree)
            {
                _values.WriteEntry(_buffer, table, i);
                Keys++;
                if (_buffer.Length >= BatchBytes)
                {
                    Flush();
                }
            }
        }
    }

    /// <summary>
    /// Writes a table's snapshot while clients keep running: batches under the lock, file writes outside it,
    /// then the keys captured ahead of the walk. Detaches the snapshot from the table when done.
    /// </summary>
    public void WriteSnapshot(TableSnapshot snapshot, Lock keyspaceLock, Func<bool> cancelled)
    {
        WriteDbHeader(snapshot.DbId, snapshot.KeyCount, snapshot.VolatileCount);
        var delay = new DebugDelay(_saveDelay);
        long written = 0;
        bool complete = false;
        while (!complete)
        {
            if (cancelled())
            {
                throw new OperationCanceledException("The background save was cancelled.");
            }

            lock (keyspaceLock)
            {
                // rdb-key-save-delay: batches small enough that the pause after them stays near a millisecond.
                int maxKeys = _saveDelay > 0 ? Math.Max(1, 1000 / _saveDelay) : int.MaxValue;
                complete = snapshot.WriteBatch(_buffer, BatchTicks, BatchBytes, maxKeys);
                if (complete)
                {
                    // From here on nothing needs capturing: the walk has passed every key.
                    snapshot.Table.Snapshot = null;
                }

                if (snapshot.Captured.Length > 0)
                {
                    _buffer.WriteRaw(snapshot.Captured.WrittenSpan);
                    snapshot.Captured.Clear();
                }
            }

            Flush();
            if (_saveDelay != 0)
            {
                for (int k = 0; k < snapshot.WrittenInLastBatch; k++)
                {
                    delay.Count(++written);
                }

                if (delay.Due)
                {
                    delay.Sleep();
                }
            }

            // Let clients waiting for the lock in before the next batch.
            Thread.Yield();
        }

        Keys += snapshot.KeyCount;
    }

    /// <summary>Bytes written to the file so far (after <see cref="Commit"/>: its size).</summary>
    public long Length { get; private set; }

    /// <summary>EOF, the checksum, fsync, rename over the final name and fsync of the folder.</summary>
    public void Commit()
    {
        _buffer.WriteByte(RdbFormat.OpcodeEof);
        Flush();
        ulong crc = _checksum ? _crc : 0;
        Span<byte> footer = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(footer, crc);
        _file.Write(footer);
        Length += footer.Length;
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(_tempPath, _finalPath, overwrite: true);
        DiskSync.Directory(Path.GetDirectoryName(_finalPath)!);
    }

    /// <summary>Removes the temp file of a failed or cancelled save.</summary>
    public void Dispose()
    {
        _file.Dispose();
        try
        {
            File.Delete(_tempPath);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Flush()
    {
        var bytes = _buffer.WrittenSpan;
        if (_checksum)
        {
            _crc = Crc64.Update(_crc, bytes);
        }

        _file.Write(bytes);
        Length += bytes.Length;
        _buffer.Clear();
    }
}
