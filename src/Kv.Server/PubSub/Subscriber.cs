using System.Buffers;
using Kv.Server.Configuration;
using Kv.Server.Network;
using Kv.Server.Storage;

namespace Kv.Server.PubSub;

/// <summary>
/// One client's side of pub/sub: the channels, patterns and shard channels it listens to, and the
/// output other clients' publishes queue for it until its own connection loop sends them.
/// </summary>
/// <remarks>
/// A connection's output pipe may only be written by its own loop, but messages are published on the
/// publisher's thread (under the keyspace lock). So a message for another client is appended to this
/// pending buffer and the client's loop is woken (the wake action cancels its pending read, as the
/// blocking code does); the loop then moves the bytes to its transport and flushes. While a client's
/// own batch runs under the keyspace lock, messages for it go straight to its output instead
/// (<see cref="BeginDirect"/>), after what was queued before, so it sees them in Redis's order.
/// A slow reader only grows its own buffer, which the pubsub output-buffer limit bounds.
/// </remarks>
internal sealed class Subscriber
{
    // A buffer that grew past this for a burst is dropped once drained, so idle subscribers stay small.
    private const int KeepCapacity = 64 * 1024;

    private readonly object _gate = new();
    private readonly Action? _wake;
    private byte[] _pending = [];
    private int _pendingLength;
    private bool _wakeSent;

    // Bytes moved to the transport whose flush has not completed: they still count against the limit.
    private long _inFlight;

    // Unix seconds when the soft limit was first seen exceeded; 0 when under it (Redis's obuf_soft_limit_reached_time).
    private long _softLimitSince;

    // The client's own output while its batch runs under the keyspace lock.
    private IBufferWriter<byte>? _direct;

    public Subscriber(ClientSession session, Action? wake)
    {
        Session = session;
        _wake = wake;
    }

    public ClientSession Session { get; }

    /// <summary>Subscribed channels (SUBSCRIBE); made on first use.</summary>
    public HashSet<byte[]>? Channels { get; private set; }

    /// <summary>Subscribed patterns (PSUBSCRIBE).</summary>
    public HashSet<byte[]>? Patterns { get; private set; }

    /// <summary>Subscribed shard channels (SSUBSCRIBE).</summary>
    public HashSet<byte[]>? ShardChannels { get; private set; }

    /// <summary>Set once the client passed its output-buffer limit: nothing more is queued, the connection is closing.</summary>
    public bool Closed { get; private set; }

    /// <summary>Channel and pattern subscriptions: the count Redis's (P)SUBSCRIBE replies carry.</summary>
    public int ChannelAndPatternCount => (Channels?.Count ?? 0) + (Patterns?.Count ?? 0);

    public int ShardCount => ShardChannels?.Count ?? 0;

    public static HashSet<byte[]> NewSet() => new(ByteKeyComparer.Instance);

    public HashSet<byte[]> GetOrCreate(SubscriptionKind kind) => kind switch
    {
        SubscriptionKind.Channel => Channels ??= NewSet(),
        SubscriptionKind.Pattern => Patterns ??= NewSet(),
        _ => ShardChannels ??= NewSet(),
    };

    public HashSet<byte[]>? Get(SubscriptionKind kind) => kind switch
    {
        SubscriptionKind.Channel => Channels,
        SubscriptionKind.Pattern => Patterns,
        _ => ShardChannels,
    };

    /// <summary>Keeps CLIENT LIST's sub=/psub=/ssub= (and the P flag) in step with the sets.</summary>
    public void UpdateCounts()
    {
        Session.ChannelSubscriptions = Channels?.Count ?? 0;
        Session.PatternSubscriptions = Patterns?.Count ?? 0;
        Session.ShardSubscriptions = ShardChannels?.Count ?? 0;
    }

    /// <summary>
    /// Queues one push frame: an aggregate header of <paramref name="count"/> elements (a push in RESP3,
    /// an array in RESP2, as the client speaks now) followed by <paramref name="body"/>. Runs under the
    /// keyspace lock; <paramref name="limits"/> and <paramref name="time"/> decide a slow client's fate.
    /// The caller wakes the client (<see cref="Wake"/>) when told to, now or at the end of its batch.
    /// </summary>
    public Delivery Deliver(int count, ReadOnlySpan<byte> body, OutputBufferLimits limits, TimeProvider time)
    {
        Span<byte> header = [Session.Protocol == 3 ? (byte)'>' : (byte)'*', (byte)('0' + count), (byte)'\r', (byte)'\n'];
        if (_direct is { } direct)
        {
            var span = direct.GetSpan(header.Length + body.Length);
            header.CopyTo(span);
            body.CopyTo(span[header.Length..]);
            direct.Advance(header.Length + body.Length);
            return Delivery.Written;
        }

        if (Closed)
        {
            return Delivery.Written;
        }

        lock (_gate)
        {
            long total = (long)_pendingLength + header.Length + body.Length;
            if (total > Array.MaxLength)
            {
                // Even with the limits switched off (0), one buffer cannot grow past 2 GB: close as at a hard limit.
                Close();
                return Delivery.Closed;
            }

            int needed = (int)total;
            if (needed > _pending.Length)
            {
                Grow(needed);
            }

            header.CopyTo(_pending.AsSpan(_pendingLength));
            body.CopyTo(_pending.AsSpan(_pendingLength + header.Length));
            _pendingLength = needed;
            if (OverLimit(needed + Volatile.Read(ref _inFlight), limits, time))
            {
                Close();
                return Delivery.Closed;
            }

            if (_wakeSent)
            {
                return Delivery.Written;
            }

            _wakeSent = true;
            return Delivery.NeedsWake;
        }
    }

    /// <summary>Wakes the client's connection loop so it sends what is queued.</summary>
    public void Wake() => _wake?.Invoke();

    /// <summary>
    /// Called by the client's connection under the keyspace lock before its batch: what was queued goes
    /// to <paramref name="output"/> first, then messages for this client are written there directly.
    /// </summary>
    public void BeginDirect(IBufferWriter<byte> output)
    {
        // Publishers hold the keyspace lock too, so nothing is appended while we look.
        if (_pendingLength > 0)
        {
            DrainTo(output);
        }

        _direct = output;
    }

    /// <summary>Ends <see cref="BeginDirect"/>, still under the keyspace lock.</summary>
    public void EndDirect() => _direct = null;

    /// <summary>True when messages wait to be moved to the transport.</summary>
    public bool HasPending => Volatile.Read(ref _pendingLength) > 0;

    /// <summary>Moves the queued messages to <paramref name="output"/> (the client's own loop, any time); returns the bytes moved.</summary>
    public int DrainTo(IBufferWriter<byte> output)
    {
        // Most flushes find nothing queued: skip the lock. A publish racing with this check sees
        // no wake-up sent and sends one, so nothing is left behind.
        if (Volatile.Read(ref _pendingLength) == 0 && !Volatile.Read(ref _wakeSent))
        {
            return 0;
        }

        lock (_gate)
        {
            _wakeSent = false;
            int length = _pendingLength;
            if (length == 0)
            {
                return 0;
            }

            output.Write(_pending.AsSpan(0, length));
            _pendingLength = 0;
            Volatile.Write(ref _inFlight, _inFlight + length);
            if (_pending.Length > KeepCapacity)
            {
                _pending = [];
            }

            return length;
        }
    }

    /// <summary>The connection flushed its output: the moved bytes left our accounting.</summary>
    public void Flushed()
    {
        if (Volatile.Read(ref _inFlight) != 0)
        {
            Volatile.Write(ref _inFlight, 0);
        }
    }

    /// <summary>Bytes waiting for this client (CLIENT LIST omem=).</summary>
    public long PendingBytes => Volatile.Read(ref _pendingLength) + Volatile.Read(ref _inFlight);

    private void Grow(int needed)
    {
        var bigger = new byte[Math.Max(needed, (int)Math.Min(Array.MaxLength, Math.Max(4096L, _pending.Length * 2L)))];
        _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
        _pending = bigger;
    }

    // Redis's checkClientOutputBufferLimits: past the hard limit the client is closed at once; past
    // the soft limit it is closed once it stayed there longer than the soft seconds. A pub/sub
    // client is held to the pubsub class, any other (a tracking client's redirect target) to normal.
    private bool OverLimit(long used, OutputBufferLimits limits, TimeProvider time)
    {
        var limit = Session.IsPubSub ? limits.PubSub : limits.Normal;
        if (limit.HardBytes > 0 && used >= limit.HardBytes)
        {
            return true;
        }

        if (limit.SoftBytes > 0 && used >= limit.SoftBytes)
        {
            long now = time.GetUtcNow().ToUnixTimeSeconds();
            if (_softLimitSince == 0)
            {
                _softLimitSince = now;
                return false;
            }

            return now - _softLimitSince > limit.SoftSeconds;
        }

        _softLimitSince = 0;
        return false;
    }

    // Redis frees such a client asynchronously ("scheduled to be closed ASAP for overcoming of output
    // buffer limits") without sending what is queued: drop the buffer and abort the connection.
    private void Close()
    {
        Closed = true;
        _pending = [];
        _pendingLength = 0;
        Session.CloseRequested = true;
        if (Session.Abort is { } abort)
        {
            // Not under our locks: aborting a socket is a system call.
            ThreadPool.UnsafeQueueUserWorkItem(static a => a(), abort, preferLocal: false);
        }
    }
}

/// <summary>What <see cref="Subscriber.Deliver"/> did.</summary>
internal enum Delivery
{
    /// <summary>Written or queued; the client's loop is already woken (or it is closed).</summary>
    Written,

    /// <summary>Queued first since the client last drained: wake it.</summary>
    NeedsWake,

    /// <summary>The frame pushed the client over its output-buffer limit: it is being closed.</summary>
    Closed,
}

/// <summary>The three subscription spaces: channels, patterns and shard channels.</summary>
internal enum SubscriptionKind
{
    Channel,
    Pattern,
    Shard,
}
