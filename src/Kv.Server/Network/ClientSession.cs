namespace Kv.Server.Network;

/// <summary>How a client wants replies (CLIENT REPLY).</summary>
internal enum ReplyMode
{
    On,
    Off,
    SkipNext,
}

/// <summary>
/// The per-client state commands read and change: selected database, protocol, authentication,
/// names. CLIENT LIST and CLIENT INFO print it.
/// </summary>
internal sealed class ClientSession
{
    public ClientSession(long id, string address, string localAddress, long createdAtMs)
    {
        Id = id;
        Address = address;
        LocalAddress = localAddress;
        CreatedAt = createdAtMs;
        LastInteraction = createdAtMs;
    }

    public long Id { get; }

    /// <summary>ip:port of the peer.</summary>
    public string Address { get; }

    /// <summary>ip:port of our end.</summary>
    public string LocalAddress { get; }

    public long CreatedAt { get; }

    /// <summary>Unix ms of the last command (CLIENT LIST idle, the timeout option).</summary>
    public long LastInteraction { get; set; }

    public int Db { get; set; }

    /// <summary>2 or 3 (HELLO).</summary>
    public int Protocol { get; set; } = 2;

    public bool Authenticated { get; set; }

    public string User { get; set; } = "default";

    public string? Name { get; set; }

    public string? LibName { get; set; }

    public string? LibVersion { get; set; }

    public ReplyMode ReplyMode { get; set; }

    public bool NoEvict { get; set; }

    /// <summary>The last command run (CLIENT LIST cmd=); set by the dispatcher, a reference so it costs nothing.</summary>
    public Commands.CommandDefinition? LastCommand { get; set; }

    /// <summary>The socket's file descriptor (CLIENT LIST fd=), -1 when unknown.</summary>
    public long Fd { get; set; } = -1;

    /// <summary>Channel subscriptions (CLIENT LIST sub=); pub/sub keeps it current.</summary>
    public int ChannelSubscriptions { get; set; }

    /// <summary>Pattern subscriptions (CLIENT LIST psub=).</summary>
    public int PatternSubscriptions { get; set; }

    /// <summary>Shard channel subscriptions (CLIENT LIST ssub=).</summary>
    public int ShardSubscriptions { get; set; }

    /// <summary>This client's subscriptions and queued pub/sub output; set by its connection.</summary>
    public PubSub.Subscriber? Subscriber { get; set; }

    /// <summary>CLIENT TRACKING state; null until the client first turns tracking on.</summary>
    public Tracking.ClientTracking? Tracking { get; set; }

    /// <summary>Commands queued in MULTI, or -1 outside a transaction (CLIENT LIST multi=).</summary>
    public int MultiQueued { get; set; } = -1;

    /// <summary>MULTI/WATCH state, made on the first MULTI or WATCH (null for clients that never use them).</summary>
    public Transactions.MultiState? Transaction { get; set; }

    /// <summary>True while blocked in BLPOP and friends (CLIENT LIST flags=b).</summary>
    public bool Blocked { get; set; }

    /// <summary>A pub/sub client as CLIENT LIST TYPE and CLIENT KILL TYPE see it.</summary>
    public bool IsPubSub => ChannelSubscriptions + PatternSubscriptions + ShardSubscriptions > 0;

    /// <summary>Set by QUIT and CLIENT KILL: the connection closes after writing pending replies.</summary>
    public bool CloseRequested { get; set; }

    /// <summary>Bytes waiting in the query buffer (CLIENT LIST qbuf=).</summary>
    public long QueryBufferLength { get; set; }

    /// <summary>Closes the transport (CLIENT KILL of another client, timeout, SHUTDOWN).</summary>
    public Action? Abort { get; set; }

    /// <summary>Set once the client is killed (CLIENT KILL): it stops running commands.</summary>
    public bool Killed { get; private set; }

    /// <summary>
    /// Closes this client on behalf of <paramref name="killer"/>. Redis closes another client at
    /// once, and a client that kills itself after its reply is written (CLIENT_CLOSE_AFTER_REPLY).
    /// </summary>
    public void Kill(ClientSession killer)
    {
        Killed = true;
        CloseRequested = true;
        if (!ReferenceEquals(killer, this))
        {
            Abort?.Invoke();
        }
    }

    /// <summary>Resets what RESET resets: database, protocol, name, reply mode, authentication when a password is set.</summary>
    public void Reset(bool requirePassword)
    {
        // Redis's clearClientConnectionState: the transaction is discarded and every key unwatched.
        Transaction?.Discard();
        Db = 0;
        Protocol = 2;
        Name = null;
        ReplyMode = ReplyMode.On;
        NoEvict = false;
        User = "default";
        Authenticated = !requirePassword;
    }
}
