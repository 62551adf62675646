using Kv.Server.Configuration;
using Kv.Server.Storage;
using Kv.Server.Text;
using Microsoft.Extensions.Logging;

namespace Kv.Server.PubSub;

/// <summary>
/// Channel and pattern subscriptions and message delivery. Called under the keyspace lock
/// (PUBLISH, keyspace notifications, tracking invalidations).
/// </summary>
/// <remarks>
/// As Redis 7.0: a channel maps to its subscribers in subscription order, a pattern to its
/// subscribers; shard channels are a separate space that patterns never see. A published message is
/// encoded once and copied into each subscriber's output.
/// </remarks>
internal sealed class PubSubHub
{
    private readonly ServerConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<byte[], List<Subscriber>> _channels = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], List<Subscriber>> _patterns = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], List<Subscriber>> _shardChannels = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], List<Subscriber>>.AlternateLookup<ReadOnlySpan<byte>> _channelLookup;
    private readonly Dictionary<byte[], List<Subscriber>>.AlternateLookup<ReadOnlySpan<byte>> _shardLookup;

    // The frame body being delivered (everything after the aggregate header); reused under the lock.
    private byte[] _frame = new byte[256];

    // Subscribers to wake when the running batch ends: a pipeline of PUBLISHes wakes each once.
    private readonly List<Subscriber> _toWake = [];
    private bool _deferWakes;

    public PubSubHub(ServerConfig config, TimeProvider time, ILogger logger)
    {
        _config = config;
        _time = time;
        _logger = logger;
        _channelLookup = _channels.GetAlternateLookup<ReadOnlySpan<byte>>();
        _shardLookup = _shardChannels.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Channels with at least one subscriber (INFO pubsub_channels).</summary>
    public int ChannelCount => _channels.Count;

    /// <summary>Patterns with at least one subscriber (PUBSUB NUMPAT, INFO pubsub_patterns).</summary>
    public int PatternCount => _patterns.Count;

    /// <summary>Shard channels with at least one subscriber (INFO pubsubshard_channels).</summary>
    public int ShardChannelCount => _shardChannels.Count;

    /// <summary>Delivers <paramref name="message"/> to the subscribers of <paramref name="channel"/>; returns how many received it.</summary>
    public int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message) => Publish(channel, message, shard: false);

    /// <summary>SPUBLISH: delivers to the subscribers of a shard channel (patterns do not see it).</summary>
    public int PublishShard(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message) => Publish(channel, message, shard: true);

    /// <summary>
    /// Called by a connection under the keyspace lock before its batch: subscribers that messages
    /// are queued for are woken once, at <see cref="EndBatch"/>, not once per message. Like Redis,
    /// which writes to clients once per event-loop turn.
    /// </summary>
    public void BeginBatch() => _deferWakes = true;

    /// <summary>Wakes the subscribers the batch queued messages for (still under the keyspace lock).</summary>
    public void EndBatch()
    {
        _deferWakes = false;
        if (_toWake.Count == 0)
        {
            return;
        }

        foreach (var subscriber in _toWake)
        {
            subscriber.Wake();
        }

        _toWake.Clear();
    }

    /// <summary>
    /// Queues a frame other than a published message for one client (client tracking's invalidations),
    /// under the same output-buffer limits and batched wake-ups as messages.
    /// </summary>
    public void Push(Subscriber subscriber, int count, ReadOnlySpan<byte> body) => Deliver(subscriber, count, body, _config.OutputBufferLimits);

    /// <summary>Adds a subscription; returns false when the client already had it.</summary>
    public bool Subscribe(Subscriber subscriber, SubscriptionKind kind, ReadOnlySpan<byte> name)
    {
        var set = subscriber.GetOrCreate(kind);
        if (set.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(name))
        {
            return false;
        }

        var key = name.ToArray();
        set.Add(key);
        var map = Map(kind);
        var lookup = map.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (!lookup.TryGetValue(name, out var list))
        {
            list = new List<Subscriber>(4);
            map.Add(key, list);
        }

        list.Add(subscriber);
        subscriber.UpdateCounts();
        return true;
    }

    /// <summary>Removes a subscription; returns false when the client did not have it.</summary>
    public bool Unsubscribe(Subscriber subscriber, SubscriptionKind kind, ReadOnlySpan<byte> name)
    {
        var set = subscriber.Get(kind);
        if (set is null || !set.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(name))
        {
            return false;
        }

        var map = Map(kind);
        var lookup = map.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(name, out var list))
        {
            list.Remove(subscriber);
            if (list.Count == 0)
            {
                // Redis frees an unsubscribed channel's entry so PUBSUB cannot be used to grow memory.
                lookup.Remove(name);
            }
        }

        subscriber.UpdateCounts();
        return true;
    }

    /// <summary>
    /// Removes every subscription of the client without notifying it (RESET, disconnect). Its
    /// buffered messages are dropped with it.
    /// </summary>
    public void RemoveAll(Subscriber subscriber)
    {
        foreach (var kind in (ReadOnlySpan<SubscriptionKind>)[SubscriptionKind.Channel, SubscriptionKind.Pattern, SubscriptionKind.Shard])
        {
            if (subscriber.Get(kind) is not { Count: > 0 } set)
            {
                continue;
            }

            foreach (var name in set.ToArray())
            {
                Unsubscribe(subscriber, kind, name);
            }
        }
    }

    /// <summary>The channels (or shard channels) with subscribers, matching <paramref name="pattern"/> when given.</summary>
    public List<byte[]> ActiveChannels(bool shard, ReadOnlySpan<byte> pattern, bool hasPattern)
    {
        var result = new List<byte[]>();
        foreach (var name in (shard ? _shardChannels : _channels).Keys)
        {
            if (!hasPattern || GlobMatcher.IsMatch(pattern, name))
            {
                result.Add(name);
            }
        }

        return result;
    }

    /// <summary>Subscribers of one channel, patterns not counted (PUBSUB NUMSUB / SHARDNUMSUB).</summary>
    public int SubscriberCount(bool shard, ReadOnlySpan<byte> channel)
        => (shard ? _shardLookup : _channelLookup).TryGetValue(channel, out var list) ? list.Count : 0;

    private Dictionary<byte[], List<Subscriber>> Map(SubscriptionKind kind) => kind switch
    {
        SubscriptionKind.Channel => _channels,
        SubscriptionKind.Pattern => _patterns,
        _ => _shardChannels,
    };

    private int Publish(ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, bool shard)
    {
        int receivers = 0;
        var limits = _config.OutputBufferLimits;
        if ((shard ? _shardLookup : _channelLookup).TryGetValue(channel, out var subscribers))
        {
            // message / smessage, channel, payload: the same bytes for every subscriber.
            int length = BeginFrame(shard ? "smessage"u8 : "message"u8, channel, message, default);
            var body = _frame.AsSpan(0, length);
            foreach (var subscriber in subscribers)
            {
                Deliver(subscriber, 3, body, limits);
                receivers++;
            }
        }

        if (shard || _patterns.Count == 0)
        {
            return receivers;
        }

        foreach (var (pattern, patternSubscribers) in _patterns)
        {
            if (!GlobMatcher.IsMatch(pattern, channel))
            {
                continue;
            }

            int length = BeginFrame("pmessage"u8, channel, message, pattern);
            var body = _frame.AsSpan(0, length);
            foreach (var subscriber in patternSubscribers)
            {
                Deliver(subscriber, 4, body, limits);
                receivers++;
            }
        }

        return receivers;
    }

    private void Deliver(Subscriber subscriber, int count, ReadOnlySpan<byte> body, OutputBufferLimits limits)
    {
        switch (subscriber.Deliver(count, body, limits, _time))
        {
            case Delivery.NeedsWake when _deferWakes:
                _toWake.Add(subscriber);
                break;
            case Delivery.NeedsWake:
                subscriber.Wake();
                break;
            case Delivery.Closed:
                var session = subscriber.Session;
                _logger.LogWarning("Client id={Id} addr={Address} closed for overcoming of output buffer limits.", session.Id, session.Address);
                break;
        }
    }

    // Writes "$<kind>", ["$<pattern>",] "$<channel>", "$<message>" into _frame; returns its length.
    private int BeginFrame(ReadOnlySpan<byte> kind, ReadOnlySpan<byte> channel, ReadOnlySpan<byte> message, ReadOnlySpan<byte> pattern)
    {
        int needed = 4 * 24 + kind.Length + channel.Length + message.Length + pattern.Length;
        if (needed > _frame.Length)
        {
            _frame = new byte[Math.Max(needed, _frame.Length * 2)];
        }
        else if (_frame.Length > 1024 * 1024 && needed < 64 * 1024)
        {
            // A large message passed through: do not keep its buffer for good.
            _frame = new byte[256];
        }

        int position = 0;
        Bulk(kind, ref position);
        if (kind[0] == (byte)'p')
        {
            Bulk(pattern, ref position);
        }

        Bulk(channel, ref position);
        Bulk(message, ref position);
        return position;
    }

    private void Bulk(ReadOnlySpan<byte> value, ref int position)
    {
        var span = _frame.AsSpan(position);
        span[0] = (byte)'$';
        value.Length.TryFormat(span[1..], out int digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        int at = 1 + digits;
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        value.CopyTo(span[at..]);
        at += value.Length;
        span[at++] = (byte)'\r';
        span[at++] = (byte)'\n';
        position += at;
    }
}
