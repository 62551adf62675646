using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>Raised on the connection's reader when a message handler (or an <see cref="Invalidated"/> handler) throws; the other handlers still run.</summary>
    public event EventHandler<KvConnectionEventArgs>? MessageHandlerFailed;

    /// <summary>PUBLISH: sends a message; returns how many subscribers received it.</summary>
    public ValueTask<long> PublishAsync(string channel, KvValue message, CancellationToken cancellationToken = default)
    {
        var op = Operation<long>.Rent(CommandNames.Publish, Replies.Int64);
        op.Add(channel);
        op.Add(message);
        return Send(op, cancellationToken);
    }

    /// <summary>
    /// SUBSCRIBE (or PSUBSCRIBE for <see cref="KvChannel.Pattern"/>): calls <paramref name="handler"/>
    /// for each message, in publish order, until the returned subscription is disposed. Subscriptions
    /// share one dedicated connection and are restored after a reconnect (messages published while
    /// disconnected are lost, as pub/sub delivers at most once).
    /// </summary>
    /// <returns>Completes once the server confirmed the subscription.</returns>
    public Task<IAsyncDisposable> SubscribeAsync(KvChannel channel, Action<KvMessage> handler, CancellationToken cancellationToken = default)
        => _subscriber.Value.SubscribeAsync(channel, handler, cancellationToken);
}
