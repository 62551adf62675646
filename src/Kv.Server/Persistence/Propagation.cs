using System.Buffers;
using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Storage;

namespace Kv.Server.Persistence;

/// <summary>
/// Redis's propagate()/alsoPropagate(): after a write command runs, its effect is written as RESP
/// to the append-only file's buffer, rewritten where Redis rewrites it so that replaying the file
/// gives the same data (relative expiries become absolute, random pops become the members popped,
/// blocking pops their non-blocking forms, keys that expire become DEL).
/// </summary>
/// <remarks>
/// An execution unit is a top-level command, a whole EXEC, a whole script or a blocked command being
/// served. Effects collect in a pending buffer while the unit runs (nested commands of EXEC and scripts
/// add their own effects; EXEC and EVAL/FCALL never propagate themselves, as in Redis 7) and are written
/// out when it ends, wrapped in MULTI … EXEC when there is more than one (Redis 7.0's
/// propagatePendingCommands). A SELECT goes first whenever the database differs from the one the
/// file last selected. Everything here runs under the keyspace lock.
/// </remarks>
internal sealed class Propagation
{
    private readonly ArrayBufferWriter<byte> _pending = new(1024);
    private readonly RespWriter _pendingWriter;
    private readonly ArrayBufferWriter<byte> _replacement = new(256);
    private readonly RespWriter _replacementWriter;
    private readonly ArrayBufferWriter<byte> _unit = new(1024);
    private readonly RespWriter _unitWriter;
    private Dictionary<CommandDefinition, Rewrite>? _rewrites;
    private ServerState? _server;
    private int _depth;
    private int _pendingOps;
    private int _firstDb = -1;
    private int _pendingDb = -1;
    private bool _replaced;
    private bool _prevented;
    private byte[] _capturedKey = new byte[64];
    private int _capturedLength = -1;
    private int _capturedEventClass;

    public Propagation()
    {
        _pendingWriter = new RespWriter(_pending);
        _replacementWriter = new RespWriter(_replacement);
        _unitWriter = new RespWriter(_unit);
    }

    /// <summary>Where whole units go (the append-only file); null while nothing is recorded.</summary>
    public Aof.AppendOnlyFile? Target { get; private set; }

    /// <summary>Units written to the target so far: a connection compares it around its batch to know whether it must wait for the fsync.</summary>
    public long UnitsWritten { get; private set; }

    /// <summary>True while effects are recorded: commands that rewrite their own effect check it first.</summary>
    public bool Active { get; private set; }

    /// <summary>The database the file last selected (Redis's aof_selected_db); -1 makes the next unit SELECT.</summary>
    public int SelectedDb { get; set; } = -1;

    /// <summary>True while a command that pops from one of several keys runs: <see cref="Keyspace.Modified"/> reports the key.</summary>
    public bool CapturingKey { get; private set; }

    /// <summary>The AOF rewrite noting changed keys, or null.</summary>
    public Aof.AofRewrite? Tracker
    {
        get => _tracker;
        set
        {
            _tracker = value;
            Observing = CapturingKey || value is not null;
        }
    }

    private Aof.AofRewrite? _tracker;

    /// <summary>One branch for <see cref="Keyspace.Modified"/>: is anyone here interested in changed keys?</summary>
    public bool Observing { get; private set; }

    /// <summary>A key changed (from <see cref="Keyspace.Modified"/>, while <see cref="Observing"/>).</summary>
    public void Observe(int db, ReadOnlySpan<byte> key, int eventClass)
    {
        if (CapturingKey)
        {
            CaptureKey(key, eventClass);
        }

        _tracker?.Touched(db, key);
    }

    public void Bind(ServerState server)
    {
        _server = server;
        _rewrites = BuildRewrites(server.Commands);
    }

    /// <summary>Starts (or stops, with null) recording into <paramref name="target"/>.</summary>
    public void SetTarget(Aof.AppendOnlyFile? target)
    {
        Target = target;
        Active = target is not null;
        SelectedDb = -1;
    }

    #region Units: called by CommandDispatcher.Call and BlockingKeys

    /// <summary>A command is about to run (one nesting level deeper).</summary>
    public void Enter(CommandDefinition command)
    {
        _depth++;
        if (Active && _rewrites!.TryGetValue(command, out var rewrite) && rewrite is Rewrite.PopFirstOf)
        {
            CapturingKey = true;
            Observing = true;
            _capturedLength = -1;
        }
    }

    /// <summary>
    /// A command ran. When it changed data (the dirty counter grew), its effect joins the unit; when
    /// the outermost command of the unit ends, the unit is written out.
    /// </summary>
    public void Exit(CommandContext c, CommandDefinition command, long dirtyBefore)
    {
        if (Active)
        {
            if (c.Keyspace.Dirty > dirtyBefore && !_prevented)
            {
                Effect(c, command);
            }

            CapturingKey = false;
            _prevented = false;
            Observing = _tracker is not null;
            _replaced = false;
            _replacement.ResetWrittenCount();
        }

        if (--_depth == 0 && _pendingOps > 0)
        {
            FlushUnit();
        }
    }

    /// <summary>Runs a blocked command again for its waiter as a unit of its own (Redis serves blocked clients outside call()).</summary>
    public void RunServed(CommandContext c, CommandDefinition command)
    {
        long dirty = c.Keyspace.Dirty;
        Enter(command);
        try
        {
            command.Handler!(c);
        }
        finally
        {
            Exit(c, command, dirty);
        }
    }

    #endregion

    #region Effects commands write themselves (alsoPropagate / rewriteClientCommandVector)

    /// <summary>
    /// The running command propagates what this returns instead of its arguments (Redis's
    /// rewriteClientCommandVector): write <paramref name="argc"/> bulk strings to the writer.
    /// Call only when <see cref="Active"/>.
    /// </summary>
    public RespWriter Replace(int argc)
    {
        _replacement.ResetWrittenCount();
        _replaced = true;
        _replacementWriter.ArrayHeader(argc);
        return _replacementWriter;
    }

    /// <summary>The writer of the replacement started by <see cref="Replace"/>.</summary>
    public RespWriter Replacement => _replacementWriter;

    /// <summary>
    /// Redis's preventCommandPropagation: the running command wrote its effects itself (the stream
    /// consumer-group commands) and is not propagated. Call only when <see cref="Active"/>.
    /// </summary>
    public void Prevent() => _prevented = true;

    #region Stream consumer groups (t_stream.c's streamPropagate* helpers)

    /// <summary>
    /// Redis's streamPropagateXCLAIM: a pending entry as it is now, in a form that replays idempotently:
    /// <c>XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID last-delivered-id</c>.
    /// An entry no longer in the stream (XCLAIM/XAUTOCLAIM dropping it from the PEL) is written the same
    /// way before it is dropped: the replayed XCLAIM drops it too. Call only when <see cref="Active"/>.
    /// </summary>
    public void StreamClaim(int db, ReadOnlySpan<byte> key, ConsumerGroup group, StreamId id, PendingEntry entry)
    {
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        var w = BeginOp(db, 14);
        w.Bulk("XCLAIM"u8);
        w.Bulk(key);
        w.Bulk(group.Name);
        w.Bulk(entry.Consumer!.Name);
        w.Bulk("0"u8);
        w.Bulk(text[..id.Format(text)]);
        w.Bulk("TIME"u8);
        w.BulkInteger(entry.DeliveryTime);
        w.Bulk("RETRYCOUNT"u8);
        w.BulkInteger(entry.DeliveryCount);
        w.Bulk("FORCE"u8);
        w.Bulk("JUSTID"u8);
        w.Bulk("LASTID"u8);
        w.Bulk(text[..group.LastId.Format(text)]);
        EndOp();
    }

    /// <summary>Redis's streamPropagateGroupID: <c>XGROUP SETID key group last-delivered-id ENTRIESREAD n</c>. Call only when <see cref="Active"/>.</summary>
    public void StreamGroupId(int db, ReadOnlySpan<byte> key, ConsumerGroup group)
    {
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        var w = BeginOp(db, 7);
        w.Bulk("XGROUP"u8);
        w.Bulk("SETID"u8);
        w.Bulk(key);
        w.Bulk(group.Name);
        w.Bulk(text[..group.LastId.Format(text)]);
        w.Bulk("ENTRIESREAD"u8);
        w.BulkInteger(group.EntriesRead);
        EndOp();
    }

    /// <summary>Redis's streamPropagateConsumerCreation: <c>XGROUP CREATECONSUMER key group consumer</c>. Call only when <see cref="Active"/>.</summary>
    public void StreamConsumerCreated(int db, ReadOnlySpan<byte> key, ConsumerGroup group, StreamConsumer consumer)
    {
        var w = BeginOp(db, 5);
        w.Bulk("XGROUP"u8);
        w.Bulk("CREATECONSUMER"u8);
        w.Bulk(key);
        w.Bulk(group.Name);
        w.Bulk(consumer.Name);
        EndOp();
    }

    #endregion

    // The first list or sorted set key popped from.
    private void CaptureKey(ReadOnlySpan<byte> key, int eventClass)
    {
        if (_capturedLength >= 0 || (eventClass & (Configuration.KeyspaceEvents.List | Configuration.KeyspaceEvents.SortedSet)) == 0)
        {
            return;
        }

        if (_capturedKey.Length < key.Length)
        {
            _capturedKey = new byte[key.Length];
        }

        key.CopyTo(_capturedKey);
        _capturedLength = key.Length;
        _capturedEventClass = eventClass;
    }

    /// <summary>A key expired (lazily or by the active cycle): propagated as DEL, or UNLINK under lazyfree-lazy-expire (Redis's deleteExpiredKeyAndPropagate).</summary>
    public void Expired(int db, ReadOnlySpan<byte> key)
    {
        if (Active)
        {
            Deleted(db, key, _server!.Config.LazyfreeLazyExpire);
        }
    }

    /// <summary>A key was evicted by maxmemory: DEL, or UNLINK under lazyfree-lazy-eviction.</summary>
    public void Evicted(int db, ReadOnlySpan<byte> key)
    {
        if (Active)
        {
            Deleted(db, key, _server!.Config.LazyfreeLazyEviction);
        }
    }

    private void Deleted(int db, ReadOnlySpan<byte> key, bool unlink)
    {
        var w = BeginOp(db, 2);
        w.Bulk(unlink ? "UNLINK"u8 : "DEL"u8);
        w.Bulk(key);
        EndOp();
    }

    #endregion

    private RespWriter BeginOp(int db, int argc)
    {
        PrepareOp(db);
        _pendingWriter.ArrayHeader(argc);
        return _pendingWriter;
    }

    private void PrepareOp(int db)
    {
        if (_pendingOps == 0)
        {
            _firstDb = db;
            _pendingDb = db;
        }
        else if (db != _pendingDb)
        {
            Select(_pendingWriter, db);
            _pendingDb = db;
        }
    }

    private void EndOp()
    {
        _pendingOps++;
        if (_depth == 0)
        {
            // Outside any command (active expiry, eviction before a command): a unit of its own.
            FlushUnit();
        }
    }

    private void FlushUnit()
    {
        var target = Target;
        if (target is null)
        {
            _pending.ResetWrittenCount();
            _pendingOps = 0;
            return;
        }

        bool wrap = _pendingOps > 1;
        if (_firstDb != SelectedDb)
        {
            Select(_unitWriter, _firstDb);
        }

        if (wrap)
        {
            _unitWriter.ArrayHeader(1);
            _unitWriter.Bulk("MULTI"u8);
        }

        target.Append(_unit.WrittenSpan, _pending.WrittenSpan);
        UnitsWritten++;
        _unit.ResetWrittenCount();
        if (wrap)
        {
            _unitWriter.ArrayHeader(1);
            _unitWriter.Bulk("EXEC"u8);
            target.Append(_unit.WrittenSpan, default);
            _unit.ResetWrittenCount();
        }

        SelectedDb = _pendingDb;
        _pending.ResetWrittenCount();
        _pendingOps = 0;
        if (_pending.Capacity > 1024 * 1024)
        {
            // A huge unit passed (a script writing a lot): do not keep its buffer.
            _pending.Clear();
        }
    }

    private static void Select(RespWriter w, int db)
    {
        w.ArrayHeader(2);
        w.Bulk("SELECT"u8);
        w.BulkInteger(db);
    }

    private void Effect(CommandContext c, CommandDefinition command)
    {
        int db = c.Client.Db;
        if (_replaced)
        {
            PrepareOp(db);
            _pendingWriter.Raw(_replacement.WrittenSpan);
            EndOp();
            return;
        }

        var rewrite = _rewrites!.GetValueOrDefault(command);
        switch (rewrite)
        {
            case Rewrite.None:
                Verbatim(c, db);
                break;
            case Rewrite.Skip:
                break;
            default:
                Rewritten(c, db, rewrite);
                break;
        }
    }

    private void Verbatim(CommandContext c, int db)
    {
        var w = BeginOp(db, c.ArgCount);
        for (int i = 0; i < c.ArgCount; i++)
        {
            w.Bulk(c.Arg(i));
        }

        EndOp();
    }

    private enum Rewrite
    {
        None,
        Skip,
        Set,
        SetEx,
        Expire,
        GetEx,
        Restore,
        IncrByFloat,
        HIncrByFloat,
        GetDel,
        PopFirstOf,
        LMove,
        RPopLPush,
        HashFieldExpire,
        XAdd,
        XTrim,
    }

    private static Dictionary<CommandDefinition, Rewrite> BuildRewrites(CommandTable table)
    {
        var map = new Dictionary<CommandDefinition, Rewrite>(ReferenceEqualityComparer.Instance);
        void Add(string name, Rewrite rewrite)
        {
            if (table.Find(System.Text.Encoding.ASCII.GetBytes(name)) is { } command)
            {
                map[command] = rewrite;
            }
        }

        // Scripts and transactions propagate their effects, never themselves (Redis 7).
        foreach (var name in (string[])["exec", "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"])
        {
            Add(name, Rewrite.Skip);
        }

        Add("set", Rewrite.Set);
        Add("setex", Rewrite.SetEx);
        Add("psetex", Rewrite.SetEx);
        foreach (var name in (string[])["expire", "pexpire", "expireat", "pexpireat"])
        {
            Add(name, Rewrite.Expire);
        }

        Add("getex", Rewrite.GetEx);
        Add("restore", Rewrite.Restore);
        Add("incrbyfloat", Rewrite.IncrByFloat);
        Add("hincrbyfloat", Rewrite.HIncrByFloat);
        Add("getdel", Rewrite.GetDel);
        foreach (var name in (string[])["blpop", "brpop", "lmpop", "blmpop", "bzpopmin", "bzpopmax", "zmpop", "bzmpop"])
        {
            Add(name, Rewrite.PopFirstOf);
        }

        Add("blmove", Rewrite.LMove);
        Add("brpoplpush", Rewrite.RPopLPush);
        foreach (var name in (string[])["hexpire", "hpexpire", "hexpireat"])
        {
            Add(name, Rewrite.HashFieldExpire);
        }

        Add("xadd", Rewrite.XAdd);
        Add("xtrim", Rewrite.XTrim);
        return map;
    }

    private void Rewritten(CommandContext c, int db, Rewrite rewrite)
    {
        var database = c.Keyspace.Databases[db];
        var table = database.Table;
        switch (rewrite)
        {
            case Rewrite.Set:
            case Rewrite.SetEx:
            {
                // Redis's setGenericCommand: "SET key value PXAT <ms>" whenever a relative or second-based expiry was given.
                var key = c.Arg(1);
                int index = table.Find(key);
                long expiresAt = index >= 0 ? table.ExpiresAt(index) : 0;
                if (expiresAt == 0)
                {
                    Verbatim(c, db);
                    return;
                }

                var w = BeginOp(db, 5);
                w.Bulk("SET"u8);
                w.Bulk(key);
                w.Bulk(c.Arg(rewrite == Rewrite.Set ? 2 : 3));
                w.Bulk("PXAT"u8);
                w.BulkInteger(expiresAt);
                EndOp();
                return;
            }

            case Rewrite.Expire:
            case Rewrite.GetEx:
            {
                // Redis's expireGenericCommand / getexCommand: PEXPIREAT with the absolute time; a time in
                // the past deleted the key (DEL, or UNLINK under lazyfree-lazy-expire); GETEX PERSIST is PERSIST.
                var key = c.Arg(1);
                int index = table.Find(key);
                if (index < 0)
                {
                    Deleted(db, key, c.Server.Config.LazyfreeLazyExpire);
                    return;
                }

                long expiresAt = table.ExpiresAt(index);
                var w = BeginOp(db, expiresAt == 0 ? 2 : 3);
                if (expiresAt == 0)
                {
                    w.Bulk("PERSIST"u8);
                    w.Bulk(key);
                }
                else
                {
                    w.Bulk("PEXPIREAT"u8);
                    w.Bulk(key);
                    w.BulkInteger(expiresAt);
                }

                EndOp();
                return;
            }

            case Rewrite.Restore:
            {
                // Redis's restoreCommand: the TTL is propagated as an absolute time with ABSTTL.
                var key = c.Arg(1);
                int index = table.Find(key);
                if (index < 0)
                {
                    Deleted(db, key, false);
                    return;
                }

                long expiresAt = table.ExpiresAt(index);
                if (expiresAt == 0)
                {
                    Verbatim(c, db);
                    return;
                }

                bool hasAbs = false;
                for (int i = 4; i < c.ArgCount; i++)
                {
                    hasAbs |= c.ArgIs(i, "absttl"u8);
                }

                var w = BeginOp(db, c.ArgCount + (hasAbs ? 0 : 1));
                for (int i = 0; i < c.ArgCount; i++)
                {
                    if (i == 2)
                    {
                        w.BulkInteger(expiresAt);
                    }
                    else
                    {
                        w.Bulk(c.Arg(i));
                    }
                }

                if (!hasAbs)
                {
                    w.Bulk("ABSTTL"u8);
                }

                EndOp();
                return;
            }

            case Rewrite.IncrByFloat:
            {
                // Redis: "SET key <new value> KEEPTTL", so float formatting differences never drift on replay.
                var key = c.Arg(1);
                int index = table.Find(key);
                if (index < 0 || !table.TryGetString(index, out var value))
                {
                    Verbatim(c, db);
                    return;
                }

                var w = BeginOp(db, 4);
                w.Bulk("SET"u8);
                w.Bulk(key);
                w.Bulk(value);
                w.Bulk("KEEPTTL"u8);
                EndOp();
                return;
            }

            case Rewrite.HIncrByFloat:
            {
                // Redis: "HSET key field <new value>".
                var key = c.Arg(1);
                int index = table.Find(key);
                if (index < 0 || table.RawValueAt(index) is not HashValue hash || hash.Find(c.Arg(2)) is var field && field < 0)
                {
                    Verbatim(c, db);
                    return;
                }

                var w = BeginOp(db, 4);
                w.Bulk("HSET"u8);
                w.Bulk(key);
                w.Bulk(c.Arg(2));
                w.Bulk(hash.ValueAt(field));
                EndOp();
                return;
            }

            case Rewrite.GetDel:
                Deleted(db, c.Arg(1), false);
                return;

            case Rewrite.PopFirstOf:
                PopFirstOf(c, db);
                return;

            case Rewrite.LMove:
            {
                // BLMOVE source destination from to timeout → LMOVE source destination from to.
                var w = BeginOp(db, 5);
                w.Bulk("LMOVE"u8);
                for (int i = 1; i <= 4; i++)
                {
                    w.Bulk(c.Arg(i));
                }

                EndOp();
                return;
            }

            case Rewrite.RPopLPush:
            {
                var w = BeginOp(db, 3);
                w.Bulk("RPOPLPUSH"u8);
                w.Bulk(c.Arg(1));
                w.Bulk(c.Arg(2));
                EndOp();
                return;
            }

            case Rewrite.HashFieldExpire:
            {
                // HEXPIRE/HPEXPIRE/HEXPIREAT key time … → HPEXPIREAT key <absolute ms> … (Redis 7.4).
                if (!RespNumber.TryParseInt64(c.Arg(2), out long time))
                {
                    Verbatim(c, db);
                    return;
                }

                long at = c.ArgIs(0, "hexpire"u8) ? c.Now + (time * 1000) : c.ArgIs(0, "hpexpire"u8) ? c.Now + time : time * 1000;
                var w = BeginOp(db, c.ArgCount);
                w.Bulk("HPEXPIREAT"u8);
                w.Bulk(c.Arg(1));
                w.BulkInteger(at);
                for (int i = 3; i < c.ArgCount; i++)
                {
                    w.Bulk(c.Arg(i));
                }

                EndOp();
                return;
            }

            case Rewrite.XAdd:
            case Rewrite.XTrim:
                Stream(c, db, table, rewrite == Rewrite.XAdd);
                return;
        }
    }

    // BLPOP/BRPOP → LPOP/RPOP key; LMPOP/BLMPOP → LPOP/RPOP key count; BZPOPMIN/MAX → ZPOPMIN/MAX key;
    // ZMPOP/BZMPOP → ZPOPMIN/MAX key count (Redis's serveClientBlockedOnList and the *mpop rewrites).
    private void PopFirstOf(CommandContext c, int db)
    {
        ReadOnlySpan<byte> key = c.ServingKey is { } serving ? serving : _capturedLength >= 0 ? _capturedKey.AsSpan(0, _capturedLength) : default;
        if (_capturedLength < 0 && c.ServingKey is null)
        {
            Verbatim(c, db);
            return;
        }

        bool list = c.ServingKey is null ? _capturedEventClass == Configuration.KeyspaceEvents.List : c.ArgIs(0, "blpop"u8) || c.ArgIs(0, "brpop"u8) || c.ArgIs(0, "lmpop"u8) || c.ArgIs(0, "blmpop"u8);
        bool head;
        long count = -1;
        if (c.ArgIs(0, "blpop"u8) || c.ArgIs(0, "brpop"u8) || c.ArgIs(0, "bzpopmin"u8) || c.ArgIs(0, "bzpopmax"u8))
        {
            head = c.ArgIs(0, "blpop"u8) || c.ArgIs(0, "bzpopmin"u8);
        }
        else
        {
            // [B]LMPOP [timeout] numkeys key… LEFT|RIGHT [COUNT n]; [B]ZMPOP [timeout] numkeys key… MIN|MAX [COUNT n].
            int numKeysAt = c.ArgIs(0, "blmpop"u8) || c.ArgIs(0, "bzmpop"u8) ? 2 : 1;
            RespNumber.TryParseInt64(c.Arg(numKeysAt), out long numKeys);
            int whereAt = numKeysAt + 1 + (int)numKeys;
            head = c.ArgIs(whereAt, "left"u8) || c.ArgIs(whereAt, "min"u8);
            count = 1;
            if (whereAt + 2 < c.ArgCount && c.ArgIs(whereAt + 1, "count"u8))
            {
                RespNumber.TryParseInt64(c.Arg(whereAt + 2), out count);
            }
        }

        var w = BeginOp(db, count < 0 ? 2 : 3);
        w.Bulk(list ? (head ? "LPOP"u8 : "RPOP"u8) : (head ? "ZPOPMIN"u8 : "ZPOPMAX"u8));
        w.Bulk(key);
        if (count >= 0)
        {
            w.BulkInteger(count);
        }

        EndOp();
    }

    // XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value …: the ID the
    // entry got replaces "*" (or "ms-*"), and an approximate trim becomes an exact one to what it left
    // (Redis's streamRewriteApproxSpecifier and streamRewriteTrimArgument), so a replay trims the same.
    private void Stream(CommandContext c, int db, KeyTable table, bool xadd)
    {
        var key = c.Arg(1);
        int index = table.Find(key);
        if (index < 0 || table.RawValueAt(index) is not StreamValue stream)
        {
            Verbatim(c, db);
            return;
        }

        int i = 2;
        int approxAt = -1;
        int thresholdAt = -1;
        int limitAt = -1;
        bool byMinId = false;
        while (i < c.ArgCount)
        {
            if (xadd && c.ArgIs(i, "nomkstream"u8))
            {
                i++;
            }
            else if (c.ArgIs(i, "maxlen"u8) || c.ArgIs(i, "minid"u8))
            {
                byMinId = c.ArgIs(i, "minid"u8);
                i++;
                if (c.ArgIs(i, "~"u8) || c.ArgIs(i, "="u8))
                {
                    if (c.ArgIs(i, "~"u8))
                    {
                        approxAt = i;
                    }

                    i++;
                }

                thresholdAt = i;
                i++;
            }
            else if (c.ArgIs(i, "limit"u8))
            {
                limitAt = i;
                i += 2;
            }
            else
            {
                break;
            }
        }

        int idAt = xadd ? i : -1;
        Span<byte> id = stackalloc byte[StreamId.MaxTextLength];
        // An exact trim takes no LIMIT (Redis refuses "LIMIT cannot be used without the special ~ option").
        bool dropLimit = approxAt >= 0 && limitAt >= 0;
        var w = BeginOp(db, c.ArgCount - (dropLimit ? 2 : 0));
        for (int a = 0; a < c.ArgCount; a++)
        {
            if (dropLimit && (a == limitAt || a == limitAt + 1))
            {
                continue;
            }

            if (a == approxAt)
            {
                w.Bulk("="u8);
            }
            else if (a == thresholdAt && approxAt >= 0)
            {
                if (byMinId)
                {
                    int n = stream.FirstId.Format(id);
                    w.Bulk(id[..n]);
                }
                else
                {
                    w.BulkInteger(stream.Length);
                }
            }
            else if (a == idAt && c.Arg(a).IndexOf((byte)'*') >= 0)
            {
                int n = stream.LastId.Format(id);
                w.Bulk(id[..n]);
            }
            else
            {
                w.Bulk(c.Arg(a));
            }
        }

        EndOp();
    }
}
