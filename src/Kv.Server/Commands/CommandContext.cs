using System.Runtime.CompilerServices;
using System.Text;
using Kv.Protocol;
using Kv.Server.Network;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>
/// What a handler sees of the command it runs: its arguments (spans of the receive buffer), the
/// client, the server state and the reply writer. One per connection, reused for every command.
/// </summary>
internal sealed class CommandContext
{
    private ReadOnlyMemory<byte> _source;
    private ArgRangeList _ranges = null!;
    private int _first;

    public CommandContext(ServerState server, ClientSession client, RespWriter reply)
    {
        Server = server;
        Client = client;
        Reply = reply;
        reply.ErrorCounter = server.ErrorStats;
    }

    public ServerState Server { get; }

    public ClientSession Client { get; }

    public RespWriter Reply { get; }

    public CommandDefinition Command { get; set; } = null!;

    private long _now;

    /// <summary>
    /// Unix milliseconds keys expire against, read once per command so every expiry check in one command
    /// agrees (Redis's keyIsExpired). Inside EXEC it stays at EXEC's start (Redis 7.0's server.mstime under
    /// fixed_time_expire), inside a script at the script's start (<see cref="HeldTime"/>). Setting it sets
    /// <see cref="CurrentTime"/> too.
    /// </summary>
    public long Now
    {
        get => _now;
        set
        {
            _now = value;
            CurrentTime = value;
        }
    }

    /// <summary>
    /// Unix milliseconds read when this command started, for times counted from now (EXPIRE, SET PX, TTL,
    /// an EXPIREAT already past): Redis 7.0's mstime(), the real time even inside EXEC and scripts, where
    /// <see cref="Now"/> is held. Equal to <see cref="Now"/> for a command run on its own.
    /// </summary>
    public long CurrentTime { get; set; }

    /// <summary>
    /// Non-zero while a script runs: the unix milliseconds it started at, which every command it calls
    /// expires keys against (Redis 7.0's scriptTimeSnapshot, so a key cannot expire between two calls of
    /// one script and the effects propagate consistently).
    /// </summary>
    public long HeldTime { get; set; }

    /// <summary>The Stopwatch timestamp <see cref="Now"/> was read at, for the next <see cref="CommandDispatcher.Call"/>'s duration (0: read a new one).</summary>
    public long CallStarted { get; set; }

    /// <summary>
    /// Set while this client's batch runs on a busy script's thread: the -BUSY error every command but the
    /// allow_busy ones gets (Redis's processCommand, after the arity, auth and MULTI checks).
    /// </summary>
    public string? BusyError { get; set; }

    /// <summary>
    /// Redis's checkAlreadyExpired: an absolute expiry at or before <see cref="CurrentTime"/> (mstime(), not
    /// a script's held time) deletes at once — except while start-up loads the data, when nothing expires
    /// (<see cref="Storage.Keyspace.Loading"/>).
    /// </summary>
    public bool AlreadyExpired(long when) => when <= CurrentTime && !Server.Keyspace.Loading;

    public int ArgCount { get; private set; }

    public Keyspace Keyspace => Server.Keyspace;

    public Database Db => Server.Keyspace.Databases[Client.Db];

    public void SetArguments(ReadOnlyMemory<byte> source, ArgRangeList ranges, int first, int count)
    {
        _source = source;
        _ranges = ranges;
        _first = first;
        ArgCount = count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> Arg(int index)
    {
        ref readonly var range = ref _ranges[_first + index];
        return _source.Span.Slice(range.Offset, range.Length);
    }

    /// <summary>A copy of an argument, for storing it.</summary>
    public byte[] ArgBytes(int index) => Arg(index).ToArray();

    /// <summary>An argument as text (for names and options, never on a key or value path).</summary>
    public string ArgString(int index) => Encoding.UTF8.GetString(Arg(index));

    /// <summary>True when argument <paramref name="index"/> is <paramref name="word"/>, ignoring ASCII case.</summary>
    public bool ArgIs(int index, ReadOnlySpan<byte> word) => Ascii.EqualsIgnoreCase(Arg(index), word);

    /// <summary>Parses an integer argument, replying Redis's error when it is not one.</summary>
    public bool TryArgLong(int index, out long value)
    {
        if (RespNumber.TryParseInt64(Arg(index), out value))
        {
            return true;
        }

        Reply.Error(Errors.NotInteger);
        return false;
    }

    /// <summary>Parses a float argument, replying Redis's error when it is not one.</summary>
    public bool TryArgDouble(int index, out double value)
    {
        if (RespNumber.TryParseDouble(Arg(index), out value))
        {
            return true;
        }

        Reply.Error(Errors.NotFloat);
        return false;
    }

    /// <summary>
    /// Set by MULTI/EXEC and scripts: blocking commands do not block there and answer as on a
    /// timeout (Redis's CLIENT_DENY_BLOCKING).
    /// </summary>
    public bool InTransaction { get; set; }

    /// <summary>Set for commands a Lua script runs through redis.call/pcall (Redis's CLIENT_SCRIPT).</summary>
    public bool InScript { get; init; }

    /// <summary>The connection that can hold a blocked client; null where blocking is impossible.</summary>
    public Blocking.IBlockingHost? BlockingHost { get; set; }

    /// <summary>Set by <see cref="Blocking.BlockingKeys.Block"/>: the command blocked and replied nothing; the connection waits.</summary>
    public Blocking.Waiter? BlockedOn { get; set; }

    /// <summary>Non-null while a blocked command runs again to serve its waiter.</summary>
    public Blocking.Waiter? ServingWaiter { get; set; }

    /// <summary>
    /// While a blocked command runs again for its waiter: the key whose readiness is being served.
    /// Redis 7.0 (serveClientsBlockedOnListKey and the sorted set one) serves a client from that key
    /// only, even when another of its keys became non-empty in the same transaction or script.
    /// </summary>
    public byte[]? ServingKey { get; set; }

    /// <summary>False for a key a blocked command must pass over while its waiter is served from another.</summary>
    public bool MayServeFrom(ReadOnlySpan<byte> key) => ServingKey is null || key.SequenceEqual(ServingKey);

    /// <summary>Set when a command run again for its waiter still found nothing (it stays blocked).</summary>
    public bool Unserved { get; set; }

    /// <summary>
    /// Every write calls this once per key it changes, with Redis's event class and name for the
    /// command: WATCH sees the change, tracking clients are invalidated, and a keyspace
    /// notification goes out when notify-keyspace-events asks for it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Modified(ReadOnlySpan<byte> key, int eventClass, ReadOnlySpan<byte> eventName) => Server.Keyspace.Modified(Db, key, eventClass, eventName);

    /// <summary>As <see cref="Modified(ReadOnlySpan{byte}, int, ReadOnlySpan{byte})"/> for a key of another database (MOVE, COPY … DB, SWAPDB).</summary>
    public void Modified(Database db, ReadOnlySpan<byte> key, int eventClass, ReadOnlySpan<byte> eventName) => Server.Keyspace.Modified(db, key, eventClass, eventName);

    /// <summary>The queued command's arguments while EXEC runs it; EXEC puts its own back after.</summary>
    public (ReadOnlyMemory<byte> Source, ArgRangeList Ranges, int First, int Count) Arguments
    {
        get => (_source, _ranges, _first, ArgCount);
        set => SetArguments(value.Source, value.Ranges, value.First, value.Count);
    }

    /// <summary>Counts one write for persistence and WATCH.</summary>
    public void Dirty(long changes = 1) => Server.Keyspace.Dirty += changes;
}
