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

    /// <summary>Name of the last command run (CLIENT LIST cmd=).</summary>
    public string LastCommand { get; set; } = "NULL";

    /// <summary>Set by QUIT and CLIENT KILL: the connection closes after writing pending replies.</summary>
    public bool CloseRequested { get; set; }

    /// <summary>Bytes waiting in the query buffer (CLIENT LIST qbuf=).</summary>
    public long QueryBufferLength { get; set; }

    /// <summary>Closes the transport (CLIENT KILL of another client, timeout, SHUTDOWN).</summary>
    public Action? Abort { get; set; }

    /// <summary>Resets what RESET resets: database, protocol, name, reply mode, authentication when a password is set.</summary>
    public void Reset(bool requirePassword)
    {
        Db = 0;
        Protocol = 2;
        Name = null;
        ReplyMode = ReplyMode.On;
        NoEvict = false;
        User = "default";
        Authenticated = !requirePassword;
    }
}
