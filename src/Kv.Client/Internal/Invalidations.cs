namespace Kv.Client.Internal;

/// <summary>
/// The <see cref="KvClient.Invalidated"/> handlers, and the reading of the server's invalidation
/// messages into <see cref="KvInvalidation"/>s: RESP3 pushes (<c>&gt;2 invalidate [keys]</c>,
/// <c>tracking-redir-broken</c>) on the main connection, and RESP2 <c>__redis__:invalidate</c>
/// messages on the subscriber connection. Handlers run synchronously on the thread that read the
/// message, so a near cache sees them in order with the replies of that connection.
/// </summary>
internal sealed class Invalidations(Action<Exception> handlerFailed)
{
    private readonly Lock _lock = new();

    // Copied on change, read without a lock on every notification.
    private Action<KvInvalidation>[] _handlers = [];

    public void Add(Action<KvInvalidation> handler)
    {
        lock (_lock)
        {
            _handlers = [.. _handlers, handler];
        }
    }

    public void Remove(Action<KvInvalidation> handler)
    {
        lock (_lock)
        {
            // The last registration goes first, as with a multicast delegate.
            int index = Array.LastIndexOf(_handlers, handler);
            if (index >= 0)
            {
                var handlers = new Action<KvInvalidation>[_handlers.Length - 1];
                _handlers.AsSpan(0, index).CopyTo(handlers);
                _handlers.AsSpan(index + 1).CopyTo(handlers.AsSpan(index));
                _handlers = handlers;
            }
        }
    }

    /// <summary>Tells every handler to drop everything.</summary>
    public void RaiseAll(KvInvalidationReason reason) => Raise(new KvInvalidation(reason, null));

    /// <summary>An out-of-band push on the main connection (RESP3); pushes other than tracking ones are ignored.</summary>
    public void OnPush(in KvResult push)
    {
        if (push.Count < 2 || push[0].Bytes is not { } kind)
        {
            return;
        }

        if (kind.AsSpan().SequenceEqual("invalidate"u8))
        {
            OnInvalidate(push[1]);
        }
        else if (kind.AsSpan().SequenceEqual("tracking-redir-broken"u8))
        {
            // The connection notifications were redirected to is gone: changes are no longer reported.
            RaiseAll(KvInvalidationReason.ConnectionLost);
        }
    }

    /// <summary>The body of an invalidation: an array of keys, or a null for a flush.</summary>
    public void OnInvalidate(in KvResult body)
    {
        if (body.IsNull)
        {
            Raise(new KvInvalidation(KvInvalidationReason.Flushed, null));
            return;
        }

        KvKey[] keys;
        if (body.IsAggregate)
        {
            var items = body.Items;
            keys = new KvKey[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                keys[i] = items[i].Bytes ?? [];
            }
        }
        else
        {
            // Not a shape Redis sends, but a lone key is still a key to drop.
            keys = [body.Bytes ?? []];
        }

        Raise(new KvInvalidation(KvInvalidationReason.KeysChanged, keys));
    }

    private void Raise(KvInvalidation invalidation)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            try
            {
                handler(invalidation);
            }
            catch (Exception ex)
            {
                // A failing handler must not end the connection nor keep the others from dropping stale entries.
                handlerFailed(ex);
            }
        }
    }
}
