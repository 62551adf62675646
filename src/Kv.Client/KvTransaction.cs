using Kv.Client.Internal;

namespace Kv.Client;

/// <summary>
/// MULTI/EXEC, optionally guarded by WATCH. With watched keys the transaction has a connection of
/// its own (WATCH belongs to a connection), so reads made through <see cref="ExecuteAsync"/> see
/// the watched state and other callers cannot disturb it. Commands added with <see cref="Add"/>
/// are sent at <see cref="CommitAsync"/> between MULTI and EXEC and run all together, or not at all.
/// </summary>
public sealed class KvTransaction : IAsyncDisposable
{
    private readonly KvClient _client;
    private readonly DedicatedConnections? _pool;
    private readonly List<(string Command, KvValue[] Args, TaskCompletionSource<KvResult> Reply)> _queued = [];
    private Multiplexer? _connection;
    private bool _committed;

    internal KvTransaction(KvClient client, Multiplexer connection, DedicatedConnections? pool)
    {
        _client = client;
        _connection = connection;
        _pool = pool;
    }

    /// <summary>Runs a command now, outside the transaction, on the transaction's connection (reads of watched keys).</summary>
    /// <exception cref="KvServerException">The server answered an error.</exception>
    public ValueTask<KvResult> ExecuteAsync(string command, params ReadOnlySpan<KvValue> args)
    {
        var connection = _connection ?? throw new InvalidOperationException("The transaction was committed or disposed; start a new one.");
        var op = Operation<KvResult>.Rent(command, Replies.Result);
        op.AddRange(args);
        connection.Send(op, CancellationToken.None);
        return op.Task;
    }

    /// <summary>Queues a command for the transaction; its task completes after <see cref="CommitAsync"/> with the command's own reply.</summary>
    /// <returns>The reply; cancelled when WATCH aborted the transaction; failed with <see cref="KvServerException"/> for this command's error.</returns>
    public Task<KvResult> Add(string command, params ReadOnlySpan<KvValue> args)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        if (_committed)
        {
            throw new InvalidOperationException("The transaction was already committed; start a new one.");
        }

        var reply = new TaskCompletionSource<KvResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queued.Add((command, args.ToArray(), reply));
        return reply.Task;
    }

    /// <summary>Sends MULTI, the queued commands and EXEC.</summary>
    /// <returns>True when the transaction ran; false when a watched key changed (EXEC answered null) and nothing ran.</returns>
    /// <exception cref="KvServerException">EXECABORT: a queued command was refused (wrong arity, unknown command), so nothing ran.</exception>
    public async Task<bool> CommitAsync(CancellationToken cancellationToken = default)
    {
        var connection = _connection ?? throw new InvalidOperationException("The transaction was committed or disposed; start a new one.");
        if (_committed)
        {
            throw new InvalidOperationException("The transaction was already committed; start a new one.");
        }

        _committed = true;
        var multi = Operation<KvResult>.Rent(CommandNames.Multi, Replies.Result);
        var exec = Operation<KvResult>.Rent(CommandNames.Exec, Replies.Result);
        var queuedOps = new List<Operation<KvResult>>(_queued.Count);
        var ops = new List<Operation>(_queued.Count + 2) { multi };
        foreach (var (command, args, _) in _queued)
        {
            var op = Operation<KvResult>.Rent(command, Replies.Result);
            op.AddRange(args);
            queuedOps.Add(op);
            ops.Add(op);
        }

        ops.Add(exec);

        // One enqueue: nothing from other callers lands between MULTI and EXEC on a shared connection.
        connection.SendRange(ops, cancellationToken);
        try
        {
            await multi.Task.ConfigureAwait(false);
            foreach (var op in queuedOps)
            {
                try
                {
                    await op.Task.ConfigureAwait(false);
                }
                catch (KvServerException)
                {
                    // Refused at queue time: EXEC answers EXECABORT, reported below.
                }
            }

            KvResult result;
            try
            {
                result = await exec.Task.ConfigureAwait(false);
            }
            catch (KvServerException ex)
            {
                foreach (var (_, _, reply) in _queued)
                {
                    reply.TrySetException(ex);
                }

                throw;
            }

            if (result.IsNull)
            {
                foreach (var (_, _, reply) in _queued)
                {
                    reply.TrySetCanceled(CancellationToken.None);
                }

                return false;
            }

            var items = result.Items;
            for (int i = 0; i < _queued.Count; i++)
            {
                var reply = _queued[i].Reply;
                if (i >= items.Length)
                {
                    reply.TrySetException(new KvConnectionException($"EXEC returned {items.Length} replies for {_queued.Count} commands."));
                }
                else if (items[i].IsError)
                {
                    reply.TrySetException(new KvServerException(items[i].AsString()!, _queued[i].Command.ToUpperInvariant()));
                }
                else
                {
                    reply.TrySetResult(items[i]);
                }
            }

            return true;
        }
        catch (Exception ex) when (ex is not KvServerException)
        {
            foreach (var (_, _, reply) in _queued)
            {
                reply.TrySetException(ex);
            }

            throw;
        }
        finally
        {
            await ReleaseAsync(reusable: true, unwatch: false).ConfigureAwait(false);
        }
    }

    /// <summary>Releases the transaction's connection; uncommitted commands are dropped and the keys unwatched.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (_, _, reply) in _queued)
        {
            reply.TrySetCanceled();
        }

        await ReleaseAsync(reusable: true, unwatch: !_committed).ConfigureAwait(false);
    }

    private async ValueTask ReleaseAsync(bool reusable, bool unwatch)
    {
        var connection = _connection;
        _connection = null;
        if (connection is null || _pool is null)
        {
            return;
        }

        if (unwatch)
        {
            try
            {
                var op = Operation<KvResult>.Rent(CommandNames.Unwatch, Replies.Result);
                connection.Send(op, CancellationToken.None);
                await op.Task.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KvConnectionException or TimeoutException or KvServerException)
            {
                reusable = false;
            }
        }

        await _pool.ReturnAsync(connection, reusable).ConfigureAwait(false);
    }
}
