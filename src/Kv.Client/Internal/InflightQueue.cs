namespace Kv.Client.Internal;

/// <summary>
/// Commands written to the socket and waiting for their replies, oldest first: RESP answers in
/// order, so the reader completes the head with each reply.
/// </summary>
internal sealed class InflightQueue
{
    private readonly Lock _lock = new();
    private readonly Queue<Operation> _items = new(256);

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

    public void EnqueueRange(List<Operation> ops)
    {
        lock (_lock)
        {
            foreach (var op in ops)
            {
                _items.Enqueue(op);
            }
        }
    }

    /// <summary>The oldest waiting command, left in place (the reader asks whether its reply is to be leased).</summary>
    public bool TryPeek(out Operation op)
    {
        lock (_lock)
        {
            return _items.TryPeek(out op!);
        }
    }

    public bool TryDequeue(out Operation op)
    {
        lock (_lock)
        {
            return _items.TryDequeue(out op!);
        }
    }

    /// <summary>Times out the oldest waiting commands past their deadline (they stay queued: their replies, when they come, are dropped).</summary>
    public void Expire(long now, Func<Operation, Exception> reason)
    {
        List<Operation>? expired = null;
        lock (_lock)
        {
            foreach (var op in _items)
            {
                if (op.IsCompleted)
                {
                    continue;
                }

                if (op.Deadline > now)
                {
                    break;
                }

                (expired ??= []).Add(op);
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

    /// <summary>Fails every waiting command (the connection is gone).</summary>
    public void FailAll(Func<Operation, Exception> reason)
    {
        Operation[] ops;
        lock (_lock)
        {
            ops = _items.ToArray();
            _items.Clear();
        }

        foreach (var op in ops)
        {
            op.TryFail(reason(op));
        }
    }
}
