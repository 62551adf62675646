namespace Kv.Client.Internal;

/// <summary>
/// Client tracking for the main connection: the <c>CLIENT TRACKING ON …</c> its handshake sends, and
/// with RESP2 the subscriber connection the notifications are redirected to. A connection that
/// redirects remembers which subscriber connection it redirected to (its epoch); when that one is
/// lost, the main connection is closed so that its successor redirects to the new one.
/// </summary>
internal sealed class Tracking(KvTrackingOptions options, Invalidations invalidations, Func<Subscriber> subscriber)
{
    /// <summary>The epoch of a connection that does not redirect (RESP3: notifications come as pushes on it).</summary>
    public const int NoRedirect = -1;

    public Invalidations Invalidations => invalidations;

    /// <summary>
    /// The tracking command for a new connection speaking <paramref name="protocol"/>. With RESP2 it
    /// waits for the subscriber connection (opening it if needed) to be subscribed to
    /// <c>__redis__:invalidate</c>, and redirects to it: RESP2 has no pushes on a command connection.
    /// </summary>
    public async ValueTask<(List<KvValue> Command, int Epoch)> HandshakeCommandAsync(int protocol, CancellationToken cancellationToken)
    {
        var command = new List<KvValue> { "CLIENT", "TRACKING", "ON" };
        int epoch = NoRedirect;
        if (protocol == 2)
        {
            var target = await subscriber().RedirectTarget.WaitAsync(cancellationToken).ConfigureAwait(false);
            command.Add("REDIRECT");
            command.Add(target.ClientId);
            epoch = target.Epoch;
        }

        if (options.Broadcast)
        {
            command.Add("BCAST");
            foreach (string prefix in options.Prefixes)
            {
                command.Add("PREFIX");
                command.Add(prefix);
            }
        }

        if (options.NoLoop)
        {
            command.Add("NOLOOP");
        }

        return (command, epoch);
    }

    /// <summary>False when the subscriber connection a connection redirected to has been lost since.</summary>
    public bool IsCurrent(int epoch) => epoch == NoRedirect || subscriber().RedirectEpoch == epoch;
}
