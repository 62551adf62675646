using System.Buffers;
using System.Text;
using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Network;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Persistence.Aof;

/// <summary>
/// Loads a multi-part AOF at start-up as Redis's loadAppendOnlyFiles does: the base, then each incr
/// file, every command run by a client of its own. A last command cut short (a crash mid-write) is
/// dropped and the file truncated there when aof-load-truncated is yes; anything else malformed
/// stops the start with the file, the byte offset and how to repair it — never a partial load.
/// </summary>
internal static class AofLoader
{
    /// <summary>Redis's CLIENT_ID_AOF: the fake client that replays the file.</summary>
    public const long ClientId = long.MaxValue;

    /// <summary>Loads the files the manifest lists into the keyspace; returns the manifest (empty when there is none).</summary>
    /// <exception cref="InvalidDataException">The AOF is corrupt; the message says where and how to repair it.</exception>
    public static AofManifest Load(ServerState server, string folder, string appendFilename)
    {
        string manifestPath = Path.Combine(folder, AofManifest.ManifestName(appendFilename));
        if (!File.Exists(manifestPath))
        {
            return new AofManifest();
        }

        AofManifest manifest;
        try
        {
            manifest = AofManifest.Parse(File.ReadAllText(manifestPath));
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"Bad AOF manifest '{manifestPath}': {ex.Message}", ex);
        }

        var files = new List<AofFileInfo>();
        if (manifest.Base is not null)
        {
            files.Add(manifest.Base);
        }

        files.AddRange(manifest.Incrs);
        // startLoading with the size of every file (Redis's getBaseAndIncrAppendOnlyFilesSize).
        long totalBytes = 0;
        foreach (var file in files)
        {
            var info = new FileInfo(Path.Combine(folder, file.Name));
            totalBytes += info.Exists ? info.Length : 0;
        }

        server.Rdb.Progress.Start(server.Time.GetUtcNow().ToUnixTimeSeconds(), totalBytes);
        var session = new ClientSession(ClientId, "", "", server.Keyspace.NowMilliseconds) { Authenticated = true };
        var discard = new ArrayBufferWriter<byte>(1024);
        var context = new CommandContext(server, session, new RespWriter(discard));
        long started = Environment.TickCount64;
        long commands = 0;
        long progressBase = 0;
        for (int i = 0; i < files.Count; i++)
        {
            string path = Path.Combine(folder, files[i].Name);
            if (!File.Exists(path))
            {
                // Redis: "The AOF file %s doesn't exist" is fatal for listed files.
                throw new InvalidDataException($"The AOF file {files[i].Name} doesn't exist (listed in {manifestPath}).");
            }

            commands += LoadFile(server, context, discard, path, files[i].Name, isLast: i == files.Count - 1, manifestPath, progressBase);
            progressBase += new FileInfo(path).Length;
            server.Rdb.Progress.Loaded(progressBase);
        }

        server.Logger.LogInformation("DB loaded from append only file: {Seconds:0.000} seconds ({Commands} commands)", (Environment.TickCount64 - started) / 1000.0, commands);
        return manifest;
    }

    // Commands run per acquisition of the keyspace lock: clients connected meanwhile get -LOADING in
    // between (Redis's processEventsWhileBlocked every 1024 commands).
    private const int CommandsPerLock = 1024;

    private static long LoadFile(ServerState server, CommandContext context, ArrayBufferWriter<byte> discard, string path, string name, bool isLast, string manifestPath, long progressBase)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        if (stream.Length == 0)
        {
            return 0;
        }

        // A file that starts with "REDIS" begins with an RDB (aof-use-rdb-preamble): Redis's
        // loadSingleAppendOnlyFile loads it with rdbLoadRio, then reads any commands after it.
        long preamble = 0;
        long commands = 0;
        Span<byte> signature = stackalloc byte[5];
        if (stream.ReadAtLeast(signature, 5, throwOnEndOfStream: false) == 5 && signature.SequenceEqual("REDIS"u8))
        {
            stream.Position = 0;
            server.Logger.LogInformation("Reading RDB base file on AOF loading...");
            (commands, preamble) = Rdb.RdbLoader.LoadAofPreamble(server, stream, name, progressBase);
            server.Logger.LogInformation("Reading the remaining AOF tail...");
        }

        stream.Position = preamble;
        var buffer = new byte[Math.Min(Math.Max(stream.Length - preamble, 4096), 4 * 1024 * 1024)];
        var ranges = new ArgRangeList();
        int start = 0;
        int end = 0;
        long bufferOffset = preamble;
        long valid = preamble;
        long validBeforeMulti = -1;
        bool eof = false;
        var keyspaceLock = server.Keyspace.Lock;
        var delay = new DebugDelay(server.Config.KeyLoadDelay);
        int inBatch = 0;
        try
        {
            while (true)
            {
                var status = Parse(buffer.AsSpan(start, end - start), ranges, out int consumed, out int errorAt);
                if (status == ParseStatus.Complete)
                {
                    context.SetArguments(buffer.AsMemory(start, consumed), ranges, 0, ranges.Count);
                    var command = server.Commands.Find(context.Arg(0));
                    if (command is null)
                    {
                        throw new InvalidDataException($"Unknown command '{Encoding.UTF8.GetString(context.Arg(0))}' reading the append only file {name} at byte offset {bufferOffset + start}.");
                    }

                    bool isMulti = context.ArgIs(0, "multi"u8);
                    if (isMulti)
                    {
                        validBeforeMulti = bufferOffset + start;
                    }

                    if (inBatch == 0)
                    {
                        keyspaceLock.Enter();
                        context.Now = server.Keyspace.NowMilliseconds;
                    }

                    Run(context, command);
                    discard.ResetWrittenCount();
                    if (context.ArgIs(0, "exec"u8))
                    {
                        validBeforeMulti = -1;
                    }

                    start += consumed;
                    valid = bufferOffset + start;
                    commands++;
                    delay.Count(commands);
                    if (++inBatch == CommandsPerLock || delay.Due)
                    {
                        inBatch = 0;
                        server.Keyspace.FreeReleased();
                        keyspaceLock.Exit();
                        server.Rdb.Progress.Loaded(progressBase + valid);
                        if (delay.Due)
                        {
                            delay.Sleep();
                        }
                    }

                    continue;
                }

                if (status == ParseStatus.Malformed)
                {
                    throw new InvalidDataException(
                        $"Bad file format reading the append only file {name} at byte offset {bufferOffset + start + errorAt}: " +
                        $"make a backup of your AOF file, then use ./redis-check-aof --fix {Path.GetFileName(manifestPath)}");
                }

                if (eof)
                {
                    break;
                }

                // Need more: keep the partial command at the front and read on.
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    bufferOffset += start;
                    end -= start;
                    start = 0;
                }

                if (end == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                if (inBatch > 0)
                {
                    // Not under the lock while the disk is read.
                    inBatch = 0;
                    server.Keyspace.FreeReleased();
                    keyspaceLock.Exit();
                    server.Rdb.Progress.Loaded(progressBase + valid);
                }

                int read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0)
                {
                    eof = true;
                }

                end += read;
            }
        }
        finally
        {
            if (inBatch > 0)
            {
                server.Keyspace.FreeReleased();
                keyspaceLock.Exit();
            }
        }

        bool truncated = end > start;
        if (!truncated && validBeforeMulti < 0)
        {
            return commands;
        }

        // The file ends inside a command, or inside MULTI … EXEC (Redis: "Revert incomplete MULTI/EXEC transaction").
        long cut = validBeforeMulti >= 0 ? validBeforeMulti : valid;
        if (!isLast || !server.Config.AofLoadTruncated)
        {
            throw new InvalidDataException(
                $"Unexpected end of file reading the append only file {name} (last valid command ends at byte offset {cut}). You can: " +
                $"1) Make a backup of your AOF file, then use ./redis-check-aof --fix {Path.GetFileName(manifestPath)}. " +
                "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.");
        }

        server.Logger.LogWarning("!!! Warning: short read while loading the AOF file {File}!!!", name);
        server.Logger.LogWarning("!!! Truncating the AOF {File} at offset {Offset} !!!", name, cut);
        if (validBeforeMulti >= 0)
        {
            // The commands queued after the unfinished MULTI were never run: drop the transaction.
            lock (server.Keyspace.Lock)
            {
                context.Client.Transaction?.Discard();
            }
        }

        stream.SetLength(cut);
        stream.Flush(flushToDisk: true);
        server.Logger.LogWarning("AOF {File} loaded anyway because aof-load-truncated is enabled", name);
        return commands;
    }

    // Redis's loadSingleAppendOnlyFile runs the command's proc on the fake client rather than call():
    // nothing counts in commandstats, total_commands_processed or the slowlog, and inside MULTI the
    // commands are queued for EXEC. (Under the keyspace lock; context.Now is set per batch.)
    private static void Run(CommandContext context, CommandDefinition command)
    {
        if (command.Subcommands.Count > 0 && context.ArgCount > 1)
        {
            var sub = command.Subcommands.GetValueOrDefault(context.ArgString(1));
            if (sub is null)
            {
                return;
            }

            command = sub;
        }

        if (!command.ArityMatches(context.ArgCount))
        {
            // A handler indexes its arguments by the arity it declares; a line no server would have written is skipped.
            return;
        }

        context.Command = command;
        var client = context.Client;
        client.LastCommand = command;
        if (client.Transaction is { Active: true } transaction && !TransactionCommands.RunsInsideMulti(command))
        {
            transaction.Queue(context, command);
            return;
        }

        var keyspace = context.Server.Keyspace;
        long dirty = keyspace.Dirty;
        keyspace.Propagation.Enter(command);
        try
        {
            command.Handler!(context);
        }
        finally
        {
            keyspace.Propagation.Exit(context, command, dirty);
        }
    }

    private enum ParseStatus
    {
        Complete,
        Incomplete,
        Malformed,
    }

    // One RESP multibulk command, as Redis's loadSingleAppendOnlyFile reads it ("*<argc>", then
    // "$<len>" and the bytes with CRLF for each argument).
    private static ParseStatus Parse(ReadOnlySpan<byte> data, ArgRangeList ranges, out int consumed, out int errorAt)
    {
        consumed = 0;
        errorAt = 0;
        ranges.Clear();
        if (data.IsEmpty)
        {
            return ParseStatus.Incomplete;
        }

        if (data[0] != (byte)'*')
        {
            return ParseStatus.Malformed;
        }

        int at = 1;
        var line = ReadLine(data, ref at, out bool complete);
        if (!complete)
        {
            return ParseStatus.Incomplete;
        }

        if (!RespNumber.TryParseInt64(line, out long argc) || argc < 1)
        {
            return ParseStatus.Malformed;
        }

        for (long i = 0; i < argc; i++)
        {
            if (at >= data.Length)
            {
                return ParseStatus.Incomplete;
            }

            if (data[at] != (byte)'$')
            {
                errorAt = at;
                return ParseStatus.Malformed;
            }

            int lengthAt = at;
            at++;
            line = ReadLine(data, ref at, out complete);
            if (!complete)
            {
                return ParseStatus.Incomplete;
            }

            if (!RespNumber.TryParseInt64(line, out long length) || length < 0 || length > int.MaxValue - 2)
            {
                errorAt = lengthAt;
                return ParseStatus.Malformed;
            }

            if (data.Length - at < length + 2)
            {
                return ParseStatus.Incomplete;
            }

            if (data[at + (int)length] != (byte)'\r' || data[at + (int)length + 1] != (byte)'\n')
            {
                errorAt = at + (int)length;
                return ParseStatus.Malformed;
            }

            ranges.Add(new ArgRange(at, (int)length));
            at += (int)length + 2;
        }

        consumed = at;
        return ParseStatus.Complete;
    }

    private static ReadOnlySpan<byte> ReadLine(ReadOnlySpan<byte> data, ref int at, out bool complete)
    {
        int cr = data[at..].IndexOf((byte)'\r');
        if (cr < 0 || at + cr + 1 >= data.Length)
        {
            complete = false;
            return default;
        }

        var line = data.Slice(at, cr);
        at += cr + 2;
        complete = true;
        return line;
    }
}
