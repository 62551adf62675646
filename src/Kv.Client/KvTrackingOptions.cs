namespace Kv.Client;

/// <summary>
/// Server-assisted client-side caching (Redis <c>CLIENT TRACKING</c>), set in
/// <see cref="KvClientOptions.Tracking"/>: the server remembers the keys the client reads (or, with
/// <see cref="Broadcast"/>, watches key prefixes) and tells the client when they change, through
/// <see cref="KvClient.Invalidated"/>. Tracking is enabled on every connection the client opens for
/// its commands, before any command is sent on it. Needs Redis 6+ (or a server with the same feature).
/// </summary>
public sealed class KvTrackingOptions
{
    /// <summary>
    /// Broadcast mode (<c>BCAST</c>): the server tracks no keys for this client, but notifies it of
    /// every change to a key under one of <see cref="Prefixes"/> (every key when there are none),
    /// whether the client read it or not. Costs the server less memory; sends more notifications.
    /// Default: false, the server tracks the keys this client reads.
    /// </summary>
    public bool Broadcast { get; set; }

    /// <summary>
    /// With <see cref="Broadcast"/>: the key prefixes to be notified about (<c>PREFIX</c>); empty
    /// (default) for all keys. Prefixes must not overlap (neither may start with another), as the
    /// server requires.
    /// </summary>
    public IList<string> Prefixes { get; set; } = [];

    /// <summary>
    /// Do not notify the client of changes it made itself (<c>NOLOOP</c>): a cache that updates its
    /// own copy when it writes has nothing to invalidate. Default: false.
    /// </summary>
    public bool NoLoop { get; set; }

    internal KvTrackingOptions Clone() => new() { Broadcast = Broadcast, Prefixes = [.. Prefixes], NoLoop = NoLoop };

    internal void Validate()
    {
        if (Prefixes is null)
        {
            throw new ArgumentException("KvTrackingOptions.Prefixes is null: leave it empty to be notified about every key.", nameof(Prefixes));
        }

        if (Prefixes.Count > 0 && !Broadcast)
        {
            throw new ArgumentException("KvTrackingOptions.Prefixes needs Broadcast = true: the server only takes prefixes in broadcast mode (CLIENT TRACKING ON BCAST PREFIX …).", nameof(Prefixes));
        }

        for (int i = 0; i < Prefixes.Count; i++)
        {
            if (Prefixes[i] is null)
            {
                throw new ArgumentException($"KvTrackingOptions.Prefixes[{i}] is null.", nameof(Prefixes));
            }

            // The server refuses overlapping prefixes ("ERR Prefix 'a' overlaps with …"); say so before connecting.
            for (int j = 0; j < i; j++)
            {
                if (Prefixes[j] is { } other && (Prefixes[i].StartsWith(other, StringComparison.Ordinal) || other.StartsWith(Prefixes[i], StringComparison.Ordinal)))
                {
                    throw new ArgumentException($"KvTrackingOptions.Prefixes: '{Prefixes[i]}' and '{other}' overlap (one starts with the other); keep only the shorter one.", nameof(Prefixes));
                }
            }
        }
    }
}
