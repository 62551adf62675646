namespace Kv.Server.Tracking;

/// <summary>
/// One client's CLIENT TRACKING state: Redis's CLIENT_TRACKING* flags, client_tracking_redirection and
/// client_tracking_prefixes. Made the first time the client turns tracking on; changed under the keyspace lock.
/// </summary>
internal sealed class ClientTracking
{
    /// <summary>CLIENT_TRACKING: tracking is on (CLIENT LIST flag <c>t</c>).</summary>
    public bool Enabled { get; set; }

    /// <summary>CLIENT_TRACKING_BCAST (flag <c>B</c>): invalidations by prefix, nothing remembered per key.</summary>
    public bool Broadcast { get; set; }

    public bool OptIn { get; set; }

    public bool OptOut { get; set; }

    /// <summary>CLIENT_TRACKING_NOLOOP: no invalidations for keys this client changed itself.</summary>
    public bool NoLoop { get; set; }

    /// <summary>
    /// CLIENT_TRACKING_CACHING: CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given for the next command
    /// (or the next transaction); cleared after it as Redis's resetClient does.
    /// </summary>
    public bool Caching { get; set; }

    /// <summary>CLIENT_TRACKING_BROKEN_REDIR (flag <c>R</c>): the redirect target was gone when an invalidation was due.</summary>
    public bool BrokenRedirect { get; set; }

    /// <summary>The client invalidations go to; 0 for the client itself.</summary>
    public long Redirect { get; set; }

    /// <summary>The BCAST prefixes of this client, in byte order (as Redis's rax iterates them); null when none.</summary>
    public List<byte[]>? Prefixes { get; set; }

    /// <summary>True when the keys read by the running command must be remembered (Redis's trackingRememberKeys checks).</summary>
    public bool RemembersReads => Enabled && !Broadcast && (OptIn ? Caching : !(OptOut && Caching));
}
