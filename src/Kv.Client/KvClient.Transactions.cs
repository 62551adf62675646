using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>
    /// Starts a MULTI/EXEC transaction. With <paramref name="watch"/> keys it takes a connection of
    /// its own and sends WATCH first: <see cref="KvTransaction.CommitAsync"/> then returns false if
    /// any of them changed. Dispose the transaction to release its connection.
    /// </summary>
    public async Task<KvTransaction> BeginTransactionAsync(KvKey[]? watch = null, CancellationToken cancellationToken = default)
    {
        if (watch is null || watch.Length == 0)
        {
            return new KvTransaction(this, _main, null);
        }

        var connection = await _dedicated.RentAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var op = Operation<KvResult>.Rent(CommandNames.Watch, Replies.Result);
            op.AddRange(watch);
            connection.Send(op, cancellationToken);
            await op.Task.ConfigureAwait(false);
        }
        catch
        {
            await _dedicated.ReturnAsync(connection, reusable: false).ConfigureAwait(false);
            throw;
        }

        return new KvTransaction(this, connection, _dedicated);
    }
}
