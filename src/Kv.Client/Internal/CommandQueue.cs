using System.Threading.Tasks.Sources;

namespace Kv.Client.Internal;

/// <summary>
/// Commands waiting for the writer loop, and the backlog while disconnected. Callers enqueue under
/// a short lock (never held across an await); the single writer takes everything queued at once,
/// so commands issued together are encoded together and flushed once.
/// </summary>
internal sealed class CommandQueue : IValueTaskSource
{
    private readonly Lock _lock = new();
    private Queue<Operation> _items = new(64);
    private bool _writerWaiting;
    private bool _woken;

    // Completing the writer's wait inline lets the caller that finds the writer idle run the
    // encode-and-flush itself: no thread hop for a lone caller, and still one writer at a time.
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = false };

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    public void Enqueue(Operation op)
    {
        bool wake;
        lock (_lock)
        {
            _items.Enqueue(op);
            wake = _writerWaiting;
            _writerWaiting = false;
        }

        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    public void EnqueueRange(List<Operation> ops)
    {
        bool wake;
        lock (_lock)
        {
            foreach (var op in ops)
            {
                _items.Enqueue(op);
            }

            wake = _writerWaiting;
            _writerWaiting = false;
        }

        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>Waits until commands are queued or <see cref="Wake"/> is called. One waiter at a time (the writer loop).</summary>
    public ValueTask WaitAsync()
    {
        lock (_lock)
        {
            if (_items.Count > 0 || _woken)
            {
                _woken = false;
                return default;
            }

            _writerWaiting = true;
            return new ValueTask(this, _signal.Version);
        }
    }

    /// <summary>Releases the writer's wait (the connection is closing).</summary>
    public void Wake()
    {
        bool wake;
        lock (_lock)
        {
            wake = _writerWaiting;
            _writerWaiting = false;
            _woken = !wake;
        }

        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>Hands every queued command to the writer: swaps <paramref name="batch"/> (empty) with the queue.</summary>
    public void TakeAll(ref Queue<Operation> batch)
    {
        lock (_lock)
        {
            (batch, _items) = (_items, batch);
        }
    }

    /// <summary>Fails the queued commands whose deadline has passed and drops the ones already completed (cancelled).</summary>
    public void Expire(long now, Func<Operation, Exception> reason)
    {
        List<Operation>? expired = null;
        lock (_lock)
        {
            int count = _items.Count;
            for (int i = 0; i < count; i++)
            {
                var op = _items.Dequeue();
                if (op.IsCompleted)
                {
                    continue;
                }

                if (op.Deadline <= now)
                {
                    (expired ??= []).Add(op);
                    continue;
                }

                _items.Enqueue(op);
            }
        }

        if (expired is not null)
        {
            foreach (var op in expired)
            {
                op.TryFail(reason(op));
            }
        }
    }

    /// <summary>Fails every queued command (the client is disposed).</summary>
    public void FailAll(Exception exception)
    {
        Operation[] ops;
        lock (_lock)
        {
            ops = _items.ToArray();
            _items.Clear();
        }

        foreach (var op in ops)
        {
            op.TryFail(exception);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        _signal.GetResult(token);
        _signal.Reset();
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _signal.OnCompleted(continuation, state, token, flags);
}
