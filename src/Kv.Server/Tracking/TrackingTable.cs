using System.Buffers.Text;
using System.Text;
using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Configuration;
using Kv.Server.Network;
using Kv.Server.PubSub;
using Kv.Server.Storage;

namespace Kv.Server.Tracking;

/// <summary>
/// Client-side caching (Redis's tracking.c): which clients may hold which keys, the BCAST prefixes,
/// and the invalidation messages sent when keys change. Everything runs under the keyspace lock.
/// </summary>
/// <remarks>
/// As Redis 7.0: in the default mode a key read by a tracking client maps to the ids of the clients
/// that read it (the TrackingTable rax); a change sends each of them one invalidation and forgets the
/// key. The table is global, not per database, and stale ids (clients gone or no longer tracking)
/// are dropped lazily when their key is invalidated. In BCAST mode nothing is remembered per read:
/// keys changed during one batch are collected per matching prefix and announced at its end
/// (trackingBroadcastInvalidationMessages, run by Redis in beforeSleep). Invalidations for the client
/// whose command is running wait until its reply is written (tracking_pending_keys).
/// A server without tracking clients pays one test per command.
/// </remarks>
internal sealed class TrackingTable
{
    private static readonly byte[] InvalidateHeader = "$10\r\ninvalidate\r\n"u8.ToArray();
    private static readonly byte[] MessageHeader = "$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"u8.ToArray();

    private readonly ServerConfig _config;
    private readonly ClientRegistry _clients;
    private readonly PubSubHub _pubsub;
    private readonly Random _random = new();

    private readonly Dictionary<byte[], TrackedKey> _keys = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], TrackedKey>.AlternateLookup<ReadOnlySpan<byte>> _keyLookup;

    // The same keys in a dense list, so the tracking-table-max-keys limit can evict random ones.
    private readonly List<TrackedKey> _dense = [];

    private readonly Dictionary<byte[], BroadcastPrefix> _prefixes = new(ByteKeyComparer.Instance);

    // _prefixes in byte order (Redis walks its PrefixTable rax in order); rebuilt when a prefix comes or goes.
    private BroadcastPrefix[] _prefixOrder = [];

    // Invalidations for the client whose command is running, sent after its reply (null: a flush).
    private readonly List<byte[]?> _pending = [];

    private bool _broadcastPending;

    // Redis's timeout_counter of trackingLimitUsedSlots: more effort each time the limit stays exceeded.
    private int _limitRounds;

    private byte[] _frame = new byte[256];

    public TrackingTable(ServerConfig config, ClientRegistry clients, PubSubHub pubsub)
    {
        _config = config;
        _clients = clients;
        _pubsub = pubsub;
        _keyLookup = _keys.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Clients with tracking on (INFO tracking_clients).</summary>
    public int ClientCount { get; private set; }

    /// <summary>Keys in the tracking table (INFO tracking_total_keys).</summary>
    public int KeyCount => _keys.Count;

    /// <summary>Client ids stored across all keys (INFO tracking_total_items).</summary>
    public long ItemCount { get; private set; }

    /// <summary>BCAST prefixes with at least one client (INFO tracking_total_prefixes).</summary>
    public int PrefixCount => _prefixes.Count;

    /// <summary>
    /// The client whose batch is running (Redis's server.current_client): NOLOOP compares with it, and
    /// invalidations for it wait for its reply. Null while the cron runs.
    /// </summary>
    public ClientSession? Current { get; set; }

    /// <summary>True when a change to a key can concern someone: the one test a write pays.</summary>
    public bool HasEntries => _keys.Count != 0 || _prefixes.Count != 0;

    /// <summary>Redis's enableTracking, after CLIENT TRACKING ON checked its options.</summary>
    public void Enable(ClientSession client, long redirect, bool broadcast, bool optIn, bool optOut, bool noLoop, List<byte[]> prefixes)
    {
        var state = client.Tracking ??= new ClientTracking();
        if (!state.Enabled)
        {
            ClientCount++;
        }

        // CACHING survives a second CLIENT TRACKING ON, as in Redis (only these flags are cleared).
        state.Enabled = true;
        state.BrokenRedirect = false;
        state.Redirect = redirect;
        state.Broadcast = broadcast;
        state.OptIn = optIn;
        state.OptOut = optOut;
        state.NoLoop = noLoop;
        if (!broadcast)
        {
            return;
        }

        if (prefixes.Count == 0)
        {
            AddPrefix(client, []);
        }

        foreach (var prefix in prefixes)
        {
            AddPrefix(client, prefix);
        }
    }

    /// <summary>Redis's disableTracking (CLIENT TRACKING OFF, RESET, disconnect). Remembered keys are dropped lazily.</summary>
    public void Disable(ClientSession client)
    {
        var state = client.Tracking;
        if (state is null)
        {
            return;
        }

        if (state.Broadcast && state.Prefixes is { } prefixes)
        {
            foreach (var prefix in prefixes)
            {
                if (_prefixes.TryGetValue(prefix, out var entry))
                {
                    entry.Clients.Remove(client);
                    if (entry.Clients.Count == 0)
                    {
                        _prefixes.Remove(prefix);
                        RebuildPrefixOrder();
                    }
                }
            }

            state.Prefixes = null;
        }

        if (state.Enabled)
        {
            ClientCount--;
            state.Enabled = false;
            state.Broadcast = state.OptIn = state.OptOut = state.NoLoop = state.Caching = state.BrokenRedirect = false;
        }
    }

    /// <summary>
    /// Redis's checkPrefixCollisionsOrReply: null when the new prefixes overlap neither each other nor
    /// the client's, else the error to reply.
    /// </summary>
    public static byte[]? PrefixCollision(ClientSession client, List<byte[]> prefixes)
    {
        for (int i = 0; i < prefixes.Count; i++)
        {
            if (client.Tracking?.Prefixes is { } existing)
            {
                foreach (var other in existing)
                {
                    if (Overlap(other, prefixes[i]))
                    {
                        return CollisionError(prefixes[i], "' overlaps with an existing prefix '", other);
                    }
                }
            }

            for (int j = i + 1; j < prefixes.Count; j++)
            {
                if (Overlap(prefixes[i], prefixes[j]))
                {
                    // Redis 7.0 replies this error and then enables tracking and replies +OK too when the
                    // pair is not the first prefix; kv-server stops at the error so the connection stays in step.
                    return CollisionError(prefixes[i], "' overlaps with another provided prefix '", prefixes[j]);
                }
            }
        }

        return null;
    }

    /// <summary>
    /// After any command while some client tracks: a read-only command's keys are remembered
    /// unless the client is in BCAST mode or OPTIN/OPTOUT says otherwise. EVAL_RO, EVALSHA_RO and
    /// FCALL_RO are left to the commands their script runs, as in Redis.
    /// </summary>
    public void AfterRead(CommandContext c, CommandDefinition command)
    {
        if (!command.Has(CommandFlags.ReadOnly) || command.Group == "scripting")
        {
            return;
        }

        // A read-only command a script runs makes Redis remember the keys the script declared (the caller's
        // EVAL/FCALL keys), not the command's own: call() → trackingRememberKeys(server.script_caller).
        var caller = c.InScript ? c.Server.Scripting.Caller : c;
        if (caller?.Client.Tracking is { } state && state.RemembersReads)
        {
            RememberKeys(caller, caller.Command, caller.Client);
        }
    }

    /// <summary>
    /// After a read-only command of a client that remembers reads (Redis's trackingRememberKeys, called
    /// by call()): each key the command's key specs name is remembered for the client. A key already
    /// remembered for it costs a lookup, nothing more.
    /// </summary>
    public void RememberKeys(CommandContext c, CommandDefinition command, ClientSession client)
    {
        // Shard channels are keys for cluster routing only; they are not cached.
        if (command.Has(CommandFlags.PubSub))
        {
            return;
        }

        var specs = command.KeySpecs;
        int argc = c.ArgCount;
        if (specs.Length == 0)
        {
            if (command.FirstKey <= 0)
            {
                return;
            }

            int last = command.LastKey >= 0 ? command.LastKey : argc + command.LastKey;
            for (int i = command.FirstKey; i <= last && i < argc; i += Math.Max(1, command.Step))
            {
                Remember(c.Arg(i), client.Id);
            }
        }
        else
        {
            foreach (var spec in specs)
            {
                RememberSpecKeys(c, spec, argc, client.Id);
            }
        }

    }

    /// <summary>
    /// A key changed (Redis's signalModifiedKey → trackingInvalidateKey): clients that may cache it are
    /// told and forgotten for it; BCAST prefixes it matches note it for the end of the batch. The
    /// database does not matter: the tracking table is global, as in Redis. An expired key was changed
    /// by nobody, so it reaches NOLOOP broadcast clients too.
    /// </summary>
    public void Invalidate(int db, ReadOnlySpan<byte> key, bool expired = false)
    {
        _ = db;
        if (_prefixes.Count != 0)
        {
            RememberForBroadcast(key, expired ? null : Current);
        }

        if (_keys.Count != 0 && _keyLookup.TryGetValue(key, out var entry))
        {
            InvalidateEntry(entry);
        }
    }

    /// <summary>
    /// FLUSHDB/FLUSHALL (Redis's trackingInvalidateKeysOnFlush): every tracking client gets a null
    /// invalidation ("all keys"), and the whole table is dropped.
    /// </summary>
    public void InvalidateAll()
    {
        if (ClientCount != 0)
        {
            foreach (var client in _clients.Snapshot())
            {
                if (client.Tracking is not { Enabled: true })
                {
                    continue;
                }

                if (ReferenceEquals(client, Current))
                {
                    _pending.Add(null);
                }
                else
                {
                    Send(client, NullFor(client));
                }
            }
        }

        _keys.Clear();
        _dense.Clear();
        ItemCount = 0;
    }

    /// <summary>
    /// After each command of a client with tracking state: invalidations that waited for its reply go
    /// out now, and CLIENT CACHING's one-command effect ends (Redis's resetClient keeps it across CLIENT
    /// subcommands and inside MULTI).
    /// </summary>
    public void AfterCommand(CommandContext c)
    {
        var client = c.Client;
        if (_pending.Count != 0)
        {
            SendPending(client);
        }

        if (client.Tracking is { Caching: true } state && client.MultiQueued < 0 && !c.ArgIs(0, "client"u8))
        {
            state.Caching = false;
        }
    }

    /// <summary>
    /// A blocked client's command is served (Redis's serveClientsBlockedOn…: current_client is the
    /// receiver, then afterCommand(receiver)): its own writes' invalidations follow its reply. Returns
    /// what <see cref="EndServing"/> restores.
    /// </summary>
    public (ClientSession? Outer, int Mark) BeginServing(ClientSession client)
    {
        var outer = Current;
        Current = client;
        return (outer, _pending.Count);
    }

    /// <summary>
    /// After the served command's reply (in <paramref name="reply"/>, which its connection writes when it
    /// wakes): its invalidations go to it, into the same output so they follow the reply; the outer
    /// client's stay pending.
    /// </summary>
    public void EndServing(ClientSession client, (ClientSession? Outer, int Mark) saved, RespWriter reply)
    {
        for (int i = saved.Mark; i < _pending.Count; i++)
        {
            var key = _pending[i];
            var value = key is null ? NullFor(client) : KeyArray(key);
            if (client.Tracking!.Redirect == 0 && client.Protocol == 3)
            {
                reply.PushHeader(2);
                reply.Raw(InvalidateHeader);
                reply.Raw(value);
            }
            else
            {
                Send(client, value);
            }
        }

        if (_pending.Count > saved.Mark)
        {
            _pending.RemoveRange(saved.Mark, _pending.Count - saved.Mark);
        }

        Current = saved.Outer;
    }

    /// <summary>
    /// Keys evicted before a command runs (Redis's processCommand → performEvictions, outside call(), so
    /// without CLIENT_EXECUTING_COMMAND) are invalidated for the client at once: ahead of its reply.
    /// </summary>
    public void AfterEvictionsBeforeCommand(ClientSession client)
    {
        if (_pending.Count != 0 && client.Tracking is not null)
        {
            SendPending(client);
        }
    }

    /// <summary>True when <see cref="EndBatch"/> has work: BCAST keys to announce, or more keys than tracking-table-max-keys.</summary>
    public bool EndBatchPending => _broadcastPending || (_config.TrackingTableMaxKeys > 0 && _keys.Count > _config.TrackingTableMaxKeys);

    /// <summary>
    /// What Redis does between commands and in beforeSleep, run at the end of each batch (still under the
    /// keyspace lock) and after the cron's expiry slices: keys past tracking-table-max-keys are evicted
    /// with invalidations (trackingLimitUsedSlots), then BCAST keys are announced.
    /// </summary>
    public void EndBatch()
    {
        if (_config.TrackingTableMaxKeys > 0 && _keys.Count > _config.TrackingTableMaxKeys)
        {
            // As Redis's serverCron (and its beforeSleep-time checks) with no current client: the
            // invalidations go out at once, to NOLOOP clients too (the suite waits for them otherwise).
            var current = Current;
            Current = null;
            try
            {
                LimitUsedSlots();
            }
            finally
            {
                Current = current;
            }
        }

        if (_broadcastPending)
        {
            Broadcast();
        }
    }

    // Redis's trackingBroadcastInvalidationMessages: for each prefix, the keys changed since the last
    // call go to its clients as one invalidation (without the keys a NOLOOP client changed itself).
    private void Broadcast()
    {
        _broadcastPending = false;
        foreach (var prefix in _prefixOrder)
        {
            if (prefix.Keys.Count == 0)
            {
                continue;
            }

            var keys = new List<KeyValuePair<byte[], ClientSession?>>(prefix.Keys);
            keys.Sort(static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
            byte[] all = BroadcastArray(keys, null)!;
            foreach (var client in prefix.Clients.ToArray())
            {
                if (client.Tracking is { NoLoop: true })
                {
                    if (BroadcastArray(keys, client) is { } own)
                    {
                        Send(client, own);
                    }
                }
                else
                {
                    Send(client, all);
                }
            }

            prefix.Keys.Clear();
        }
    }

    private void SendPending(ClientSession client)
    {
        foreach (var key in _pending)
        {
            Send(client, key is null ? NullFor(client) : KeyArray(key));
        }

        _pending.Clear();
    }

    private static bool Overlap(byte[] a, byte[] b)
    {
        int length = Math.Min(a.Length, b.Length);
        return a.AsSpan(0, length).SequenceEqual(b.AsSpan(0, length));
    }

    // addReplyErrorFormat prints the prefixes with %s (stopping at a NUL byte) and turns CR/LF into spaces.
    private static byte[] CollisionError(byte[] prefix, string middle, byte[] other)
    {
        var text = new List<byte>(128);
        text.AddRange("ERR Prefix '"u8);
        AppendPrintable(text, prefix);
        text.AddRange(Encoding.ASCII.GetBytes(middle));
        AppendPrintable(text, other);
        text.AddRange("'. Prefixes for a single client must not overlap."u8);
        return text.ToArray();
    }

    private static void AppendPrintable(List<byte> text, byte[] value)
    {
        foreach (byte b in value)
        {
            if (b == 0)
            {
                break;
            }

            text.Add(b is (byte)'\r' or (byte)'\n' ? (byte)' ' : b);
        }
    }

    private static byte[] NullFor(ClientSession client) => client.Protocol == 3 ? "_\r\n"u8.ToArray() : "$-1\r\n"u8.ToArray();

    private void AddPrefix(ClientSession client, byte[] prefix)
    {
        if (!_prefixes.TryGetValue(prefix, out var entry))
        {
            entry = new BroadcastPrefix(prefix);
            _prefixes.Add(prefix, entry);
            RebuildPrefixOrder();
        }

        if (!entry.Clients.Contains(client))
        {
            entry.Clients.Add(client);
            var list = client.Tracking!.Prefixes ??= [];
            int at = list.BinarySearch(prefix, Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b)));
            list.Insert(at < 0 ? ~at : at, prefix);
        }
    }

    private void RebuildPrefixOrder()
    {
        var order = new BroadcastPrefix[_prefixes.Count];
        _prefixes.Values.CopyTo(order, 0);
        Array.Sort(order, static (a, b) => a.Prefix.AsSpan().SequenceCompareTo(b.Prefix));
        _prefixOrder = order;
    }

    private void RememberSpecKeys(CommandContext c, KeySpec spec, int argc, long id)
    {
        if (Array.IndexOf(spec.Flags, "not_key") >= 0)
        {
            return;
        }

        int first;
        if (spec.Begin == KeySpec.BeginSearchKind.Index)
        {
            first = spec.Index;
        }
        else if (spec.Begin == KeySpec.BeginSearchKind.Keyword)
        {
            first = 0;
            int start = spec.Index > 0 ? spec.Index : argc + spec.Index;
            int end = spec.Index > 0 ? argc - 1 : 1;
            for (int i = start; i != end; i = start <= end ? i + 1 : i - 1)
            {
                if (i >= argc || i < 1)
                {
                    break;
                }

                if (Ascii.EqualsIgnoreCase(c.Arg(i), spec.Keyword!))
                {
                    first = i + 1;
                    break;
                }
            }

            if (first == 0)
            {
                return;
            }
        }
        else
        {
            return;
        }

        int last, step;
        if (spec.Find == KeySpec.FindKeysKind.Range)
        {
            step = spec.KeyStepOrFirstKey;
            int lastKey = spec.LastKeyOrKeyNumIndex, limit = spec.LimitOrKeyStep;
            last = lastKey >= 0 ? first + lastKey : limit == 0 ? argc + lastKey : first + ((argc - first) / limit) + lastKey;
        }
        else if (spec.Find == KeySpec.FindKeysKind.KeyNum)
        {
            step = spec.LimitOrKeyStep;
            if (spec.LastKeyOrKeyNumIndex >= argc - first
                || !Kv.Protocol.RespNumber.TryParseInt64(c.Arg(first + spec.LastKeyOrKeyNumIndex), out long numKeys) || numKeys < 0)
            {
                return;
            }

            first += spec.KeyStepOrFirstKey;
            last = first + (int)numKeys - 1;
        }
        else
        {
            return;
        }

        if (last >= argc || last < first || first >= argc || step <= 0)
        {
            return;
        }

        for (int i = first; i <= last; i += step)
        {
            Remember(c.Arg(i), id);
        }
    }

    private void Remember(ReadOnlySpan<byte> key, long id)
    {
        if (!_keyLookup.TryGetValue(key, out var entry))
        {
            entry = new TrackedKey(key.ToArray(), _dense.Count);
            _keys.Add(entry.Key, entry);
            _dense.Add(entry);
        }

        if (entry.Add(id))
        {
            ItemCount++;
        }
    }

    private void InvalidateEntry(TrackedKey entry)
    {
        entry.ForEach(this, static (table, id, key) => table.InvalidateFor(id, key), entry.Key);
        ItemCount -= entry.Count;
        Forget(entry);
    }

    private void InvalidateFor(long id, byte[] key)
    {
        if (!_clients.TryGet(id, out var target) || target.Tracking is not { Enabled: true, Broadcast: false } state)
        {
            return;
        }

        if (ReferenceEquals(target, Current))
        {
            if (state.NoLoop)
            {
                return;
            }

            // The running command's reply comes first (Redis's tracking_pending_keys).
            _pending.Add(key);
            return;
        }

        Send(target, KeyArray(key));
    }

    private void Forget(TrackedKey entry)
    {
        _keys.Remove(entry.Key);
        int last = _dense.Count - 1;
        if (entry.Index != last)
        {
            var moved = _dense[last];
            _dense[entry.Index] = moved;
            moved.Index = entry.Index;
        }

        _dense.RemoveAt(last);
    }

    // Redis's trackingLimitUsedSlots: past tracking-table-max-keys, random keys are invalidated (their
    // clients told, as if the key changed) until the table fits, with more effort each round it does not.
    private void LimitUsedSlots()
    {
        int max = _config.TrackingTableMaxKeys;
        int effort = 100 * (_limitRounds + 1);
        while (effort-- > 0 && _dense.Count > 0)
        {
            InvalidateEntry(_dense[_random.Next(_dense.Count)]);
            if (_keys.Count <= max)
            {
                _limitRounds = 0;
                return;
            }
        }

        _limitRounds++;
    }

    private void RememberForBroadcast(ReadOnlySpan<byte> key, ClientSession? modifier)
    {
        foreach (var prefix in _prefixOrder)
        {
            if (!key.StartsWith(prefix.Prefix))
            {
                continue;
            }

            // The last client to change the key is kept, so NOLOOP can leave it out.
            prefix.KeyLookup[key] = modifier;
            _broadcastPending = true;
        }
    }

    // Redis's trackingBuildBroadcastReply: the keys as a RESP array, without those last changed by
    // `skip` (a NOLOOP client); null when that leaves none.
    private static byte[]? BroadcastArray(List<KeyValuePair<byte[], ClientSession?>> keys, ClientSession? skip)
    {
        int count = 0;
        int size = 16;
        foreach (var (key, modifier) in keys)
        {
            if (skip is null || !ReferenceEquals(modifier, skip))
            {
                count++;
                size += key.Length + 16;
            }
        }

        if (count == 0)
        {
            return null;
        }

        var buffer = new byte[size];
        int at = Header(buffer, (byte)'*', count);
        foreach (var (key, modifier) in keys)
        {
            if (skip is null || !ReferenceEquals(modifier, skip))
            {
                at += Bulk(buffer.AsSpan(at), key);
            }
        }

        return buffer.AsSpan(0, at).ToArray();
    }

    private static byte[] KeyArray(byte[] key)
    {
        var buffer = new byte[key.Length + 24];
        int at = Header(buffer, (byte)'*', 1);
        at += Bulk(buffer.AsSpan(at), key);
        return buffer.AsSpan(0, at).ToArray();
    }

    private static int Header(Span<byte> span, byte kind, long count)
    {
        span[0] = kind;
        Utf8Formatter.TryFormat(count, span[1..], out int digits);
        span[1 + digits] = (byte)'\r';
        span[2 + digits] = (byte)'\n';
        return 3 + digits;
    }

    private static int Bulk(Span<byte> span, ReadOnlySpan<byte> value)
    {
        int at = Header(span, (byte)'$', value.Length);
        value.CopyTo(span[at..]);
        at += value.Length;
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        return at;
    }

    /// <summary>
    /// Redis's sendTrackingMessage: <paramref name="value"/> (a RESP array of keys, or a null for a
    /// flush) goes to the client or its redirect target: a push in RESP3, a message on
    /// __redis__:invalidate to a RESP2 redirect target in pub/sub mode, nothing to a RESP2 client
    /// itself. A redirect target that is gone marks the redirect broken and tells a RESP3 client.
    /// </summary>
    private void Send(ClientSession client, ReadOnlySpan<byte> value)
    {
        var state = client.Tracking!;
        var target = client;
        bool redirected = false;
        if (state.Redirect != 0)
        {
            if (!_clients.TryGet(state.Redirect, out var redirect))
            {
                state.BrokenRedirect = true;
                if (client.Protocol == 3)
                {
                    Span<byte> body = stackalloc byte[64];
                    "$21\r\ntracking-redir-broken\r\n"u8.CopyTo(body);
                    int at = 28;
                    at += Header(body[at..], (byte)':', state.Redirect);
                    Push(client, 2, body[..at]);
                }

                return;
            }

            target = redirect;
            redirected = true;
        }

        ReadOnlySpan<byte> header;
        int count;
        if (target.Protocol == 3)
        {
            header = InvalidateHeader;
            count = 2;
        }
        else if (redirected && target.IsPubSub)
        {
            header = MessageHeader;
            count = 3;
        }
        else
        {
            // RESP2 has no pushes on a normal connection: nothing to send.
            return;
        }

        int length = header.Length + value.Length;
        if (_frame.Length < length)
        {
            _frame = new byte[Math.Max(length, _frame.Length * 2)];
        }

        header.CopyTo(_frame);
        value.CopyTo(_frame.AsSpan(header.Length));
        Push(target, count, _frame.AsSpan(0, length));
    }

    private void Push(ClientSession target, int count, ReadOnlySpan<byte> body)
    {
        if (target.Subscriber is { } subscriber)
        {
            _pubsub.Push(subscriber, count, body);
        }
    }

    /// <summary>One remembered key and the ids of the clients that read it (most keys have one).</summary>
    private sealed class TrackedKey(byte[] key, int index)
    {
        private long _first;
        private HashSet<long>? _more;

        public byte[] Key { get; } = key;

        public int Index { get; set; } = index;

        public int Count => (_first != 0 ? 1 : 0) + (_more?.Count ?? 0);

        public bool Add(long id)
        {
            if (_first == id)
            {
                return false;
            }

            if (_first == 0 && (_more is null || !_more.Contains(id)))
            {
                _first = id;
                return true;
            }

            return (_more ??= []).Add(id);
        }

        public void ForEach<TState>(TState state, Action<TState, long, byte[]> action, byte[] key)
        {
            if (_first != 0)
            {
                action(state, _first, key);
            }

            if (_more is not null)
            {
                foreach (long id in _more)
                {
                    action(state, id, key);
                }
            }
        }
    }

    /// <summary>Redis's bcastState: a prefix's clients and the keys matching it changed since the last broadcast.</summary>
    private sealed class BroadcastPrefix
    {
        public BroadcastPrefix(byte[] prefix)
        {
            Prefix = prefix;
            Keys = new(ByteKeyComparer.Instance);
            KeyLookup = Keys.GetAlternateLookup<ReadOnlySpan<byte>>();
        }

        public byte[] Prefix { get; }

        public List<ClientSession> Clients { get; } = [];

        public Dictionary<byte[], ClientSession?> Keys { get; }

        public readonly Dictionary<byte[], ClientSession?>.AlternateLookup<ReadOnlySpan<byte>> KeyLookup;
    }
}
