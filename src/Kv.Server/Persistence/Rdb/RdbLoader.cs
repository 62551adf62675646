using System.Globalization;
using System.Text;
using Kv.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Loads an RDB file into the keyspace as Redis's rdbLoadRio: header and version check, AUX fields,
/// functions, SELECTDB/RESIZEDB, keys with their expiry (keys already expired are skipped and counted,
/// as a master does), then EOF and the CRC64 check. A corrupt or truncated file stops the load with a
/// message naming the file and byte offset; nothing is half-loaded silently (start-up fails instead).
/// </summary>
internal static class RdbLoader
{
    // Keys inserted per acquisition of the keyspace lock: clients connected during the load get -LOADING
    // in between, as Redis answers them from processEventsWhileBlocked.
    private const int KeysPerLock = 1024;

    /// <summary>Loads <c>dir/dbfilename</c> when it exists (start-up; the AOF takes precedence when enabled — see <see cref="StartupLoader"/>).</summary>
    public static void Load(ServerState server)
    {
        string path = Path.Combine(Path.GetFullPath(server.Config.Dir), server.Config.DbFilename);
        if (!File.Exists(path))
        {
            return;
        }

        var rdb = server.Rdb;
        rdb.Loading = true;
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            rdb.Progress.Start(server.Time.GetUtcNow().ToUnixTimeSeconds(), new FileInfo(path).Length);
            var (loaded, expired) = LoadFile(server, path);
            server.Logger.LogInformation("DB loaded from disk: {Seconds:F3} seconds ({Keys} keys, {Expired} expired keys skipped)", started.Elapsed.TotalSeconds, loaded, expired);
            rdb.LastLoadKeysLoaded = loaded;
            rdb.LastLoadKeysExpired = expired;
        }
        finally
        {
            rdb.Loading = false;
        }
    }

    /// <summary>Reads the file at <paramref name="path"/> into the (empty) keyspace; returns the keys loaded and skipped as expired.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid RDB file; the message names it, the offset and what is wrong.</exception>
    public static (long Loaded, long Expired) LoadFile(ServerState server, string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var reader = new RdbReader(file) { Source = $"RDB file '{path}'" };
        try
        {
            return Load(server, reader, progressBase: 0);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{ex.Message} Check it with: redis-check-rdb {path}");
        }
    }

    /// <summary>
    /// Reads the RDB at the start of an AOF file (aof-use-rdb-preamble: a base file, or an old single-file
    /// AOF whose RESP commands follow it); returns the keys loaded and the bytes the RDB took.
    /// </summary>
    /// <exception cref="InvalidDataException">The RDB part is corrupt.</exception>
    public static (long Loaded, long Length) LoadAofPreamble(ServerState server, Stream file, string name, long progressBase)
    {
        var reader = new RdbReader(file) { Source = $"RDB preamble of the AOF file {name}" };
        try
        {
            var (loaded, _) = Load(server, reader, progressBase, aofPreamble: true);
            return (loaded, reader.Offset);
        }
        catch (InvalidDataException ex)
        {
            // Redis: "Error reading the RDB preamble of the AOF file %s, AOF loading aborted".
            throw new InvalidDataException($"Error reading the RDB preamble of the AOF file {name}, AOF loading aborted: {ex.Message}", ex);
        }
    }

    // progressBase: bytes of the files before this one (an AOF base after others), for loading_loaded_bytes.
    // aofPreamble: keys whose TTL has passed are loaded too (Redis skips them only for a plain RDB), since
    // the AOF's incr files may still touch them; they expire once loading is done.
    private static (long Loaded, long Expired) Load(ServerState server, RdbReader r, long progressBase, bool aofPreamble = false)
    {
        Span<byte> magic = stackalloc byte[9];
        r.ReadExact(magic);
        if (!magic[..5].SequenceEqual("REDIS"u8))
        {
            throw new InvalidDataException($"{r.Source}: wrong signature trying to load DB from file (not an RDB file).");
        }

        if (!int.TryParse(Encoding.ASCII.GetString(magic[5..]), NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1 || version > RdbFormat.MaxReadVersion)
        {
            throw new InvalidDataException($"{r.Source}: can't handle RDB format version {Encoding.ASCII.GetString(magic[5..])}.");
        }

        var keyspace = server.Keyspace;
        var values = new RdbValueReader(server.Config);
        long now = keyspace.NowMilliseconds;
        int dbId = 0;
        long expiresAt = -1;
        long loaded = 0, expired = 0;
        long idleSeconds = -1;
        int freq = -1;
        int inBatch = 0;
        bool locked = false;
        var delay = new DebugDelay(server.Config.KeyLoadDelay);
        byte[] keyScratch = new byte[256];
        byte[] valueScratch = new byte[1024];
        var progress = server.Rdb.Progress;
        try
        {
            while (true)
            {
                byte type = r.ReadByte();
                switch (type)
                {
                    case RdbFormat.OpcodeExpireTime:
                        expiresAt = r.ReadSeconds() * 1000L;
                        continue;
                    case RdbFormat.OpcodeExpireTimeMs:
                        expiresAt = r.ReadMilliseconds();
                        continue;
                    case RdbFormat.OpcodeFreq:
                        freq = r.ReadByte();
                        continue;
                    case RdbFormat.OpcodeIdle:
                        idleSeconds = (long)r.ReadLength();
                        continue;
                    case RdbFormat.OpcodeEof:
                        break;
                    case RdbFormat.OpcodeSelectDb:
                    {
                        ulong id = r.ReadLength();
                        if (id >= (ulong)keyspace.Databases.Length)
                        {
                            throw new InvalidDataException($"{r.Source}: the data file was created with a server configured to handle more than {keyspace.Databases.Length} databases (it selects database {id}); raise 'databases'.");
                        }

                        dbId = (int)id;
                        continue;
                    }

                    case RdbFormat.OpcodeResizeDb:
                    {
                        // rdbLoad's dictExpand: room for every key at once, not a rehash at each doubling
                        // (bounded by the bytes left, a key taking at least a few of them).
                        ulong keys = r.ReadLength();
                        r.ReadLength();
                        long room = (long)Math.Min(keys, (ulong)Math.Min(r.Remaining / 4, 1 << 28));
                        lock (keyspace.Lock)
                        {
                            keyspace.Databases[dbId].Table.EnsureCapacity((int)room);
                        }

                        continue;
                    }

                    case RdbFormat.OpcodeAux:
                    {
                        var key = r.ReadString();
                        var value = r.ReadString();
                        if (key.AsSpan().SequenceEqual("redis-ver"u8))
                        {
                            server.Logger.LogInformation("Loading RDB produced by version {Version}", Encoding.ASCII.GetString(value));
                        }
                        else if (key.AsSpan().SequenceEqual("used-mem"u8) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long usedMemory))
                        {
                            progress.RdbUsedMemory(usedMemory);
                        }

                        continue;
                    }

                    case RdbFormat.OpcodeFunction2:
                    {
                        var code = r.ReadString();
                        lock (keyspace.Lock)
                        {
                            if (server.Scripting.Functions.Load(code, replace: false, out string? error) is null)
                            {
                                throw new InvalidDataException($"{r.Source}: failed loading a function library: {error}");
                            }
                        }

                        continue;
                    }

                    case RdbFormat.OpcodeFunctionPreGa:
                        throw r.Corrupt("pre-release function format (Redis 7.0 release candidates) is not supported");
                    case RdbFormat.OpcodeModuleAux:
                        throw r.Corrupt("module data (kv-server has no modules)");
                    default:
                    {
                        if (!RdbValueReader.IsValueType(type))
                        {
                            throw r.Corrupt($"unknown RDB type or opcode {type}");
                        }

                        // Strings, most keys, go from the read buffer to the table with one array (key and
                        // value together); other types are built by the value reader.
                        var key = r.ReadString(ref keyScratch);
                        bool isString = type == RdbFormat.TypeString;
                        var text = isString ? r.ReadString(ref valueScratch) : default;
                        var value = isString ? null : values.Read(r, type, now);
                        if ((!isString && value is null) || (expiresAt != -1 && expiresAt < now && !aofPreamble))
                        {
                            expired++;
                        }
                        else
                        {
                            if (!locked)
                            {
                                keyspace.Lock.Enter();
                                locked = true;
                            }

                            var db = keyspace.Databases[dbId];
                            if (db.Peek(key, now) >= 0)
                            {
                                throw new InvalidDataException($"{r.Source}: duplicated key '{Encoding.UTF8.GetString(key)}' in DB {dbId}.");
                            }

                            int index = isString ? db.AddString(key, text) : db.Add(key, value!);
                            if (expiresAt != -1)
                            {
                                db.Table.SetExpiry(index, expiresAt);
                            }

                            // objectSetLRUOrLFU: the counter under an LFU policy, else the idle time.
                            if (keyspace.Lfu)
                            {
                                if (freq >= 0)
                                {
                                    db.Table.At(index).LastAccess = (LfuCounter.Minutes(now) << 8) | (uint)freq;
                                }
                            }
                            else if (idleSeconds > 0)
                            {
                                db.Table.At(index).LastAccess = Database.Clock(now - (idleSeconds * 1000));
                            }

                            loaded++;
                            delay.Count(loaded);
                            if (++inBatch == KeysPerLock || delay.Due)
                            {
                                inBatch = 0;
                                keyspace.Releases.InlineExpanded();
                                keyspace.Lock.Exit();
                                locked = false;
                                progress.Loaded(progressBase + r.Offset);
                                server.Rdb.LastLoadKeysLoaded = loaded;
                            }

                            if (delay.Due)
                            {
                                delay.Sleep();
                            }
                        }

                        expiresAt = -1;
                        idleSeconds = -1;
                        freq = -1;
                        continue;
                    }
                }

                break;
            }
        }
        finally
        {
            if (locked)
            {
                keyspace.Releases.InlineExpanded();
                keyspace.Lock.Exit();
            }
        }

        // RDB 5+ ends with the CRC64 of everything before it (0 = written without a checksum).
        if (version >= 5)
        {
            ulong computed = r.Checksum;
            Span<byte> footer = stackalloc byte[8];
            r.ReadExact(footer);
            ulong expected = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(footer);
            if (expected != 0 && server.Config.RdbChecksum && expected != computed)
            {
                throw new InvalidDataException($"{r.Source}: wrong RDB checksum expected: ({expected:x}) got ({computed:x}).");
            }
        }

        return (loaded, expired);
    }
}
