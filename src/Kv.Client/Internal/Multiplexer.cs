namespace Kv.Client.Internal;

/// <summary>
/// One logical connection: the command queue callers enqueue to, the current
/// <see cref="ServerConnection"/>, and the loop that reconnects with exponential backoff and
/// jitter when it is lost. Commands issued while disconnected wait in the queue until a
/// connection takes them or their deadline passes; a timer enforces the deadlines.
/// </summary>
internal sealed class Multiplexer : IAsyncDisposable
{
    private readonly KvClientOptions _options;
    private readonly bool _reconnect;
    private readonly IPushSink? _sink;
    private readonly Tracking? _tracking;
    private readonly CommandQueue _queue = new();
    private readonly CancellationTokenSource _disposing = new();
    private readonly TaskCompletionSource _firstConnection = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Timer _timer;
    private readonly long _timeoutMs;
    private ServerConnection? _current;
    private Exception? _lastError;
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public Multiplexer(KvClientOptions options, bool reconnect, IPushSink? sink = null, Tracking? tracking = null)
    {
        _options = options;
        _reconnect = reconnect;
        _sink = sink;
        _tracking = tracking;
        _timeoutMs = options.CommandTimeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)options.CommandTimeout.TotalMilliseconds;

        // Deadlines are checked a few times per timeout period, so a command fails within about a tenth of its timeout late.
        long period = Math.Clamp(_timeoutMs == long.MaxValue ? 1000 : _timeoutMs / 10, 10, 1000);
        _timer = new Timer(static s => ((Multiplexer)s!).CheckDeadlines(), this, period, period);

        // A client made by the constructor (DI) never awaits its first connection: its failure is
        // reported through the commands that wait, not as an unobserved task exception.
        _firstConnection.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Raised (on the thread pool) when an established connection is lost.</summary>
    public Action<Exception>? ConnectionFailed { get; set; }

    /// <summary>Raised (on the thread pool) when a connection is established again after a loss.</summary>
    public Action? ConnectionRestored { get; set; }

    /// <summary>Runs on each new connection before queued commands are written (subscriptions re-established).</summary>
    public Action<ServerConnection>? Connected { get; set; }

    /// <summary>Runs on the reconnecting loop when an established connection was lost, before the next one is opened.</summary>
    public Action<ServerConnection>? Disconnected { get; set; }

    /// <summary>Connections are the subscriber connection of a tracking client: see <see cref="ServerConnection.OpenAsync"/>.</summary>
    public bool InvalidationTarget { get; init; }

    public bool IsConnected => Volatile.Read(ref _current) is not null;

    public int Protocol => Volatile.Read(ref _current)?.Protocol ?? _options.Protocol;

    public KvClientOptions Options => _options;

    /// <summary>Completes when the first connection is up; faults when it failed and no reconnection is tried.</summary>
    public Task FirstConnection => _firstConnection.Task;

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Queues a command with the default timeout.</summary>
    public void Send(Operation op, CancellationToken cancellationToken)
    {
        op.Deadline = _timeoutMs == long.MaxValue ? long.MaxValue : Environment.TickCount64 + _timeoutMs;
        Submit(op, cancellationToken);
    }

    /// <summary>Queues a command with its own deadline (blocking commands).</summary>
    public void Submit(Operation op, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            op.TryFail(new ObjectDisposedException(nameof(KvClient), "The KvClient was disposed; create a new one."));
            return;
        }

        op.RegisterCancellation(cancellationToken);
        _queue.Enqueue(op);
    }

    /// <summary>Queues commands that are sent together, whole or not at all (<see cref="OperationGroup"/>).</summary>
    public void SendRange(List<Operation> ops, CancellationToken cancellationToken)
    {
        long deadline = _timeoutMs == long.MaxValue ? long.MaxValue : Environment.TickCount64 + _timeoutMs;
        foreach (var op in ops)
        {
            op.Deadline = deadline;
            op.RegisterCancellation(cancellationToken);
        }

        if (ops.Count == 1)
        {
            Submit(ops[0], CancellationToken.None);
            return;
        }

        if (ops.Count > 0)
        {
            Submit(new OperationGroup(ops) { Deadline = deadline }, CancellationToken.None);
        }
    }

    /// <summary>Closes the current connection as if the network failed (tests and health checks use it).</summary>
    public void Abort(Exception reason) => Volatile.Read(ref _current)?.Close(reason);

    /// <summary>
    /// The subscriber connection that RESP2 invalidations were redirected to was lost (its epoch
    /// already moved on): a connection redirecting to it gets no more notifications, so it is closed
    /// and the next one redirects to the new subscriber connection. A connection still in its
    /// handshake is caught by the epoch check in <see cref="RunAsync"/>.
    /// </summary>
    public void OnRedirectLost()
    {
        var current = Volatile.Read(ref _current);
        if (current is not null && current.TrackingEpoch != Tracking.NoRedirect)
        {
            _tracking!.Invalidations.RaiseAll(KvInvalidationReason.ConnectionLost);
            current.Close(new KvConnectionException($"The subscriber connection to {_options.EndPointText} that received client tracking invalidations was lost; reconnecting to enable tracking again."));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        _disposing.Cancel();
        var disposed = new ObjectDisposedException(nameof(KvClient), "The KvClient was disposed while the command waited.");
        Volatile.Read(ref _current)?.Close(disposed);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _queue.FailAll(disposed);
        _firstConnection.TrySetException(disposed);
        _disposing.Dispose();
    }

    private async Task RunAsync()
    {
        int attempt = 0;
        bool lost = false;
        var token = _disposing.Token;
        while (!token.IsCancellationRequested)
        {
            ServerConnection connection;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
                timeout.CancelAfter(_options.ConnectTimeout);
                try
                {
                    connection = await ServerConnection.OpenAsync(_options, _tracking, InvalidationTarget, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (timeout.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    throw new KvConnectionException($"Could not connect to {_options.EndPointText} within {_options.ConnectTimeout.TotalMilliseconds:0} ms (KvClientOptions.ConnectTimeout). Check that the server is running and reachable.", ex);
                }
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                _lastError = ex is KvServerException or KvConnectionException
                    ? ex
                    : new KvConnectionException($"Could not connect to {_options.EndPointText}: {ex.Message}. Check that the server is running and the host and port are right.", ex);
                if (!_reconnect)
                {
                    _firstConnection.TrySetException(_lastError);
                    _queue.FailAll(_lastError);
                    return;
                }

                _firstConnection.TrySetException(_lastError);
                await DelayAsync(attempt++, token).ConfigureAwait(false);
                continue;
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                // Disposed while connecting: whatever the attempt ended with (refused, cancelled) no longer matters.
                return;
            }

            attempt = 0;

            // A full fence, paired with the one in Subscriber's loss of its connection: either this
            // sees the new epoch, or OnRedirectLost sees this connection and closes it.
            Interlocked.Exchange(ref _current, connection);
            if (_tracking is not null && !_tracking.IsCurrent(connection.TrackingEpoch))
            {
                connection.Close(new KvConnectionException($"The subscriber connection to {_options.EndPointText} that client tracking redirected to was lost during the handshake; reconnecting."));
            }

            Connected?.Invoke(connection);
            _firstConnection.TrySetResult();
            if (lost)
            {
                Raise(ConnectionRestored);
            }

            var fault = await connection.RunAsync(_queue, _sink).ConfigureAwait(false);
            Volatile.Write(ref _current, null);
            _lastError = fault;

            // Commands already sent cannot be told apart from ones the server ran: they fail now, not at their timeout.
            connection.Inflight.FailAll(op => new KvConnectionException(
                $"The connection to {_options.EndPointText} was lost while {op.CommandName} waited for its reply ({fault.Message}); the command may or may not have run. Retry it if it is safe to run twice.",
                fault));
            await connection.DisposeAsync().ConfigureAwait(false);
            if (token.IsCancellationRequested)
            {
                return;
            }

            lost = true;

            // Changes made while disconnected were not reported: a near cache drops everything before
            // any command is sent on the next connection.
            _tracking?.Invalidations.RaiseAll(KvInvalidationReason.ConnectionLost);
            Disconnected?.Invoke(connection);
            var failed = ConnectionFailed;
            if (failed is not null)
            {
                ThreadPool.QueueUserWorkItem(static state => state.failed(state.fault), (failed, fault), preferLocal: false);
            }

            if (!_reconnect)
            {
                _queue.FailAll(fault);
                return;
            }
        }
    }

    private async Task DelayAsync(int attempt, CancellationToken token)
    {
        double min = Math.Max(1, _options.ReconnectMinDelay.TotalMilliseconds);
        double max = Math.Max(min, _options.ReconnectMaxDelay.TotalMilliseconds);
        double delay = Math.Min(max, min * Math.Pow(2, Math.Min(attempt, 30)));

        // Full jitter over the upper half: clients that lost the same server do not return in lockstep.
        delay = (delay / 2) + (Random.Shared.NextDouble() * delay / 2);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(delay), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Raise(Action? handler)
    {
        if (handler is not null)
        {
            ThreadPool.QueueUserWorkItem(static h => h(), handler, preferLocal: false);
        }
    }

    private void CheckDeadlines()
    {
        long now = Environment.TickCount64;
        var current = Volatile.Read(ref _current);
        if (current is null)
        {
            _queue.Expire(now, op => new KvConnectionException(
                $"{op.CommandName} could not be sent within {_options.CommandTimeout.TotalMilliseconds:0} ms (KvClientOptions.CommandTimeout): there is no connection to {_options.EndPointText} ({_lastError?.Message ?? "connecting"}). The client keeps reconnecting; check that the server is up.",
                _lastError));
            return;
        }

        current.Inflight.Expire(now, op => new TimeoutException(
            $"{op.CommandName} got no reply from {_options.EndPointText} within {_options.CommandTimeout.TotalMilliseconds:0} ms (KvClientOptions.CommandTimeout). The server may be busy with a slow command (check SLOWLOG GET) or the network may be slow; raise CommandTimeout if this is expected."));
        _queue.Expire(now, op => new TimeoutException(
            $"{op.CommandName} could not be written to {_options.EndPointText} within {_options.CommandTimeout.TotalMilliseconds:0} ms (KvClientOptions.CommandTimeout): the connection is saturated."));
    }
}
