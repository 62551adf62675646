namespace Kv.Client.Internal;

/// <summary>
/// The subscriber connection. Subscriptions get a connection of their own, in both protocols:
/// a RESP2 connection in subscribed mode refuses other commands, and on RESP3 a burst of messages
/// (and a slow handler) would otherwise sit in front of every other caller's replies. Handlers run
/// in publish order on this connection's reader. After a reconnect every channel and pattern is
/// subscribed again before anything else is sent.
/// <para>
/// With client tracking it is also where RESP2 invalidations are redirected: each of its connections
/// subscribes to <c>__redis__:invalidate</c> in its handshake and is handed out as the
/// <see cref="RedirectTarget"/>; when one is lost, the main connection redirecting to it is closed
/// (it would get no more notifications) and reconnects to redirect to the next.
/// </para>
/// </summary>
internal sealed class Subscriber : IPushSink, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<KvChannel, List<Action<KvMessage>>> _handlers = [];
    private readonly Dictionary<KvChannel, TaskCompletionSource> _confirmations = [];
    private readonly Multiplexer _connection;
    private readonly KvClientOptions _options;
    private readonly Invalidations? _invalidations;
    private readonly Action? _redirectLost;
    private TaskCompletionSource<(long ClientId, int Epoch)> _redirect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _redirectEpoch;

    /// <param name="options">The client's options.</param>
    /// <param name="handlerFailed">Reports a handler's exception.</param>
    /// <param name="invalidations">With client tracking: where invalidations read on this connection go.</param>
    /// <param name="redirectLost">With client tracking: called when a connection handed out as <see cref="RedirectTarget"/> is lost.</param>
    public Subscriber(KvClientOptions options, Action<Exception> handlerFailed, Invalidations? invalidations = null, Action? redirectLost = null)
    {
        _options = options;
        HandlerFailed = handlerFailed;
        _invalidations = invalidations;
        _redirectLost = redirectLost;
        _connection = new Multiplexer(options, reconnect: true, this)
        {
            Connected = OnConnected,
            Disconnected = OnDisconnected,
            InvalidationTarget = invalidations is not null,
        };
        _connection.Start();
    }

    /// <summary>Completes with the server's id of the current connection, subscribed to invalidations, and its epoch.</summary>
    public Task<(long ClientId, int Epoch)> RedirectTarget
    {
        get
        {
            lock (_lock)
            {
                return _redirect.Task;
            }
        }
    }

    /// <summary>Moves on each time a connection handed out as <see cref="RedirectTarget"/> is lost.</summary>
    public int RedirectEpoch => Volatile.Read(ref _redirectEpoch);

    private Action<Exception> HandlerFailed { get; }

    public async Task<IAsyncDisposable> SubscribeAsync(KvChannel channel, Action<KvMessage> handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Task confirmed;
        lock (_lock)
        {
            if (_handlers.TryGetValue(channel, out var list))
            {
                list.Add(handler);
                confirmed = _confirmations.TryGetValue(channel, out var pending) ? pending.Task : Task.CompletedTask;
            }
            else
            {
                _handlers[channel] = [handler];
                var confirmation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _confirmations[channel] = confirmation;
                confirmed = confirmation.Task;
                Send(channel.IsPattern ? CommandNames.PSubscribe : CommandNames.Subscribe, [channel.Name]);
            }
        }

        var subscription = new Subscription(this, channel, handler);
        try
        {
            var timeout = _options.CommandTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : _options.CommandTimeout + _options.ConnectTimeout;
            await confirmed.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw new KvConnectionException($"The server at {_options.EndPointText} did not confirm the subscription to {channel} within {Describe(_options)} ms; check that the server is up.", ex);
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return subscription;

        static double Describe(KvClientOptions o) => (o.CommandTimeout + o.ConnectTimeout).TotalMilliseconds;
    }

    public void OnPush(in KvResult push)
    {
        if (!push.IsAggregate || push.Count < 2)
        {
            return;
        }

        var kind = push[0].Bytes;
        if (kind is null)
        {
            return;
        }

        var k = kind.AsSpan();
        if (k.SequenceEqual("message"u8) && push.Count >= 3)
        {
            if (_invalidations is not null && push[1].Bytes.AsSpan().SequenceEqual("__redis__:invalidate"u8))
            {
                _invalidations.OnInvalidate(push[2]);
                return;
            }

            Deliver(KvChannel.Literal(push[1].AsString()!), new KvMessage(push[1].AsString()!, push[2].AsValue(), null));
        }
        else if (k.SequenceEqual("pmessage"u8) && push.Count >= 4)
        {
            string pattern = push[1].AsString()!;
            Deliver(KvChannel.Pattern(pattern), new KvMessage(push[2].AsString()!, push[3].AsValue(), pattern));
        }
        else if (k.SequenceEqual("subscribe"u8) || k.SequenceEqual("psubscribe"u8))
        {
            var channel = k[0] == (byte)'p' ? KvChannel.Pattern(push[1].AsString()!) : KvChannel.Literal(push[1].AsString()!);
            TaskCompletionSource? confirmation;
            lock (_lock)
            {
                _confirmations.Remove(channel, out confirmation);
            }

            confirmation?.TrySetResult();
        }
        else if (_invalidations is not null)
        {
            // A RESP3 redirect target gets invalidations as pushes, not as messages.
            _invalidations.OnPush(push);
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private void Deliver(KvChannel channel, KvMessage message)
    {
        Action<KvMessage>[] handlers;
        lock (_lock)
        {
            if (!_handlers.TryGetValue(channel, out var list))
            {
                return;
            }

            handlers = [.. list];
        }

        foreach (var handler in handlers)
        {
            try
            {
                handler(message);
            }
            catch (Exception ex)
            {
                // A failing handler must not end the connection nor starve the other handlers; it is reported instead.
                HandlerFailed(ex);
            }
        }
    }

    private void Unsubscribe(KvChannel channel, Action<KvMessage> handler)
    {
        lock (_lock)
        {
            if (!_handlers.TryGetValue(channel, out var list) || !list.Remove(handler) || list.Count > 0)
            {
                return;
            }

            _handlers.Remove(channel);
            _confirmations.Remove(channel);
            Send(channel.IsPattern ? CommandNames.PUnsubscribe : CommandNames.Unsubscribe, [channel.Name]);
        }
    }

    private void OnConnected(ServerConnection connection)
    {
        Resubscribe();
        if (connection.ClientId != 0)
        {
            lock (_lock)
            {
                _redirect.TrySetResult((connection.ClientId, _redirectEpoch));
            }
        }
    }

    private void OnDisconnected(ServerConnection connection)
    {
        if (connection.ClientId == 0)
        {
            return;
        }

        lock (_lock)
        {
            // A full fence, paired with the one in Multiplexer.RunAsync: either the main connection
            // sees the new epoch after its handshake, or the callback below sees it and closes it.
            Interlocked.Increment(ref _redirectEpoch);
            if (_redirect.Task.IsCompleted)
            {
                _redirect = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }

        _redirectLost?.Invoke();
    }

    private void Resubscribe()
    {
        List<KvValue> channels = [];
        List<KvValue> patterns = [];
        lock (_lock)
        {
            foreach (var channel in _handlers.Keys)
            {
                (channel.IsPattern ? patterns : channels).Add(channel.Name);
            }
        }

        if (channels.Count > 0)
        {
            Send(CommandNames.Subscribe, channels.ToArray());
        }

        if (patterns.Count > 0)
        {
            Send(CommandNames.PSubscribe, patterns.ToArray());
        }
    }

    private void Send(KvValue command, ReadOnlySpan<KvValue> names)
    {
        var op = Operation<bool>.Rent(command, Replies.Ignore);
        op.ExpectsReply = false;
        op.AddRange(names);
        _connection.Send(op, CancellationToken.None);
    }

    private sealed class Subscription(Subscriber owner, KvChannel channel, Action<KvMessage> handler) : IAsyncDisposable
    {
        private int _disposed;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(channel, handler);
            }

            return default;
        }
    }
}
