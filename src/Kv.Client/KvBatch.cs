using Kv.Client.Internal;

namespace Kv.Client;

/// <summary>
/// Commands sent back to back in one write when <see cref="Execute"/> is called, whole or not at all:
/// other callers' commands are never interleaved, and a batch cancelled or timed out before it is
/// written is not sent (so a batch may hold MULTI … EXEC safely). Not atomic on the server by itself:
/// each command runs on its own unless the batch wraps them in MULTI/EXEC (or use <see cref="KvTransaction"/>).
/// </summary>
public sealed class KvBatch
{
    private readonly KvClient _client;
    private readonly List<Operation> _ops = [];

    internal KvBatch(KvClient client) => _client = client;

    /// <summary>The number of commands added and not yet sent.</summary>
    public int Count => _ops.Count;

    /// <summary>Adds a command; its task completes after <see cref="Execute"/> sends it and its reply arrives.</summary>
    /// <returns>The reply; await each returned task once.</returns>
    public ValueTask<KvResult> Add(string command, params ReadOnlySpan<KvValue> args)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var op = Operation<KvResult>.Rent(command, Replies.Result);
        op.AddRange(args);
        _ops.Add(op);
        return op.Task;
    }

    /// <summary>Adds a GET.</summary>
    public ValueTask<KvValue> GetAsync(KvKey key)
    {
        var op = Operation<KvValue>.Rent(CommandNames.Get, Replies.Value);
        op.Add(key);
        _ops.Add(op);
        return op.Task;
    }

    /// <summary>Adds a SET.</summary>
    public ValueTask<bool> SetAsync(KvKey key, KvValue value)
    {
        var op = Operation<bool>.Rent(CommandNames.Set, Replies.Boolean);
        op.Add(key);
        op.Add(value);
        _ops.Add(op);
        return op.Task;
    }

    /// <summary>
    /// Sends every added command together; the batch is empty afterwards and can be reused.
    /// <paramref name="cancellationToken"/> cancels the whole batch while it waits to be written; once
    /// written, it only stops the callers waiting for replies.
    /// </summary>
    public void Execute(CancellationToken cancellationToken = default)
    {
        _client.Main.SendRange(_ops, cancellationToken);
        _ops.Clear();
    }
}
