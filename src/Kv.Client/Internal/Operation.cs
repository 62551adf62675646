using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace Kv.Client.Internal;

/// <summary>Turns a reply into what a typed method returns; runs on the reader loop, so it must be quick.</summary>
internal delegate T ReplyConverter<T>(in KvResult reply);

/// <summary>
/// One command on its way: its arguments (encoded by the writer loop straight into the socket
/// buffer), its deadline and its completion. Completed exactly once: by its reply, by a timeout,
/// by cancellation or by the loss of the connection, whichever comes first.
/// </summary>
internal abstract class Operation
{
    // Grown on first use: an OperationGroup, which has no arguments of its own, allocates none.
    private KvValue[] _args = [];
    private int _argCount;
    private int _state;
    private CancellationTokenRegistration _cancellation;

    /// <summary>The command name (a static byte array for typed methods).</summary>
    public KvValue Command { get; private set; }

    /// <summary>When the operation times out (<see cref="Environment.TickCount64"/>); <see cref="long.MaxValue"/> for never.</summary>
    public long Deadline { get; set; }

    /// <summary>False for commands whose replies arrive as pushes (SUBSCRIBE): completed once written.</summary>
    public bool ExpectsReply { get; set; } = true;

    /// <summary>True for commands whose bulk-string reply is read straight into a pooled buffer (<see cref="KvLease"/>).</summary>
    public bool LeasesReply { get; set; }

    /// <summary>True once the outcome is decided.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) != 0;

    public int ArgumentCount => _argCount;

    public string CommandName => Command.ToString().ToUpperInvariant();

    public void Add(KvValue value)
    {
        if (_argCount == _args.Length)
        {
            Array.Resize(ref _args, Math.Max(4, _args.Length * 2));
        }

        _args[_argCount++] = value;
    }

    public void AddRange(ReadOnlySpan<KvValue> values)
    {
        foreach (var value in values)
        {
            Add(value);
        }
    }

    public void AddRange(ReadOnlySpan<KvKey> keys)
    {
        foreach (var key in keys)
        {
            Add(key.Value);
        }
    }

    /// <summary>Encodes the command as a RESP array of bulk strings.</summary>
    public void Write(IBufferWriter<byte> output)
    {
        KvValue.WriteHeader(output, (byte)'*', _argCount + 1);
        Command.WriteBulk(output);
        for (int i = 0; i < _argCount; i++)
        {
            _args[i].WriteBulk(output);
        }
    }

    /// <summary>Completes with the server's reply; false when the operation had already been completed (timed out, cancelled).</summary>
    public bool TryComplete(in KvResult reply)
    {
        if (Interlocked.Exchange(ref _state, 1) != 0)
        {
            return false;
        }

        _cancellation.Unregister();
        OnReply(reply);
        return true;
    }

    /// <summary>Fails the operation unless it already has an outcome.</summary>
    public bool TryFail(Exception exception)
    {
        if (Interlocked.Exchange(ref _state, 1) != 0)
        {
            return false;
        }

        _cancellation.Unregister();
        OnFailed(exception);
        return true;
    }

    public void RegisterCancellation(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var op = (Operation)state!;
                    op.TryFail(new OperationCanceledException($"{op.CommandName} was cancelled before its reply arrived.", token));
                },
                this);
        }
    }

    protected void Initialize(KvValue command)
    {
        Command = command;
        Deadline = long.MaxValue;
        ExpectsReply = true;
        LeasesReply = false;
        _state = 0;
    }

    protected void Clear()
    {
        Array.Clear(_args, 0, _argCount);
        _argCount = 0;
        Command = default;
        _cancellation = default;
    }

    protected abstract void OnReply(in KvResult reply);

    protected abstract void OnFailed(Exception exception);
}

/// <summary>An operation whose caller awaits a <typeparamref name="T"/>; pooled, so a command allocates nothing of its own.</summary>
internal sealed class Operation<T> : Operation, IValueTaskSource<T>
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<Operation<T>> Pool = new();
    private static int _pooled;

    [ThreadStatic]
    private static Operation<T>? _cached;

    private ManualResetValueTaskSourceCore<T> _core = new() { RunContinuationsAsynchronously = true };
    private ReplyConverter<T> _converter = null!;

    // Completed by something other than its reply: a queue may still hold it, so it is not reused.
    private bool _abandoned;

    public ValueTask<T> Task => new(this, _core.Version);

    public static Operation<T> Rent(KvValue command, ReplyConverter<T> converter)
    {
        var op = _cached;
        if (op is not null)
        {
            _cached = null;
        }
        else if (Pool.TryDequeue(out op))
        {
            Interlocked.Decrement(ref _pooled);
        }
        else
        {
            op = new Operation<T>();
        }

        op.Initialize(command);
        op._converter = converter;
        return op;
    }

    public T GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            if (!_abandoned)
            {
                Return();
            }
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    protected override void OnReply(in KvResult reply)
    {
        if (reply.Type == KvResultType.Error)
        {
            _core.SetException(new KvServerException(reply.AsString()!, CommandName));
            return;
        }

        T value;
        try
        {
            value = _converter(reply);
        }
        catch (Exception ex)
        {
            _core.SetException(ex);
            return;
        }

        _core.SetResult(value);
    }

    protected override void OnFailed(Exception exception)
    {
        _abandoned = true;
        _core.SetException(exception);
    }

    private void Return()
    {
        Clear();
        _converter = null!;
        _core.Reset();
        if (_cached is null)
        {
            _cached = this;
        }
        else if (Interlocked.Increment(ref _pooled) <= MaxPooled)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }
    }
}
