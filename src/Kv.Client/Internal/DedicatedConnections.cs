using System.Collections.Concurrent;

namespace Kv.Client.Internal;

/// <summary>
/// Connections lent to one caller at a time: blocking pops (the server parks the connection until
/// data arrives) and WATCH transactions (WATCH is per connection). Idle ones are kept for reuse; one
/// whose command was cancelled or timed out is closed, since the server may still be blocked on it.
/// </summary>
internal sealed class DedicatedConnections(KvClientOptions options) : IAsyncDisposable
{
    private const int MaxIdle = 16;
    private readonly ConcurrentBag<Multiplexer> _idle = [];
    private int _disposed;

    public async ValueTask<Multiplexer> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, typeof(KvClient));
        while (_idle.TryTake(out var idle))
        {
            if (idle.IsConnected)
            {
                return idle;
            }

            await idle.DisposeAsync().ConfigureAwait(false);
        }

        var connection = new Multiplexer(options, reconnect: false);
        connection.Start();
        try
        {
            await connection.FirstConnection.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return connection;
    }

    public async ValueTask ReturnAsync(Multiplexer connection, bool reusable)
    {
        if (reusable && connection.IsConnected && Volatile.Read(ref _disposed) == 0 && _idle.Count < MaxIdle)
        {
            _idle.Add(connection);
            return;
        }

        await connection.DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _disposed, 1);
        while (_idle.TryTake(out var idle))
        {
            await idle.DisposeAsync().ConfigureAwait(false);
        }
    }
}
