namespace Kv.Server.PubSub;

/// <summary>
/// Channel and pattern subscriptions and message delivery. Called under the keyspace lock
/// (PUBLISH, keyspace notifications, tracking invalidations).
/// </summary>
internal sealed class PubSubHub
{
    /// <summary>Delivers <paramref name="message"/> to the subscribers of <paramref name="channel"/>; returns how many received it.</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message)
    {
        // Subscriptions arrive with the pub/sub commands; until then nobody listens.
        _ = channel;
        _ = message;
        return 0;
    }
}
