using Kv.Client;

namespace Kv.Locks.Internal;

/// <summary>
/// Runs the lock scripts. The one place where a reply that did not come in time becomes a
/// <see cref="KvConnectionException"/>, so a caller never confuses "no answer" with a lock's own timeout.
/// </summary>
internal sealed class LockCommands(KvClient client)
{
    public KvClient Client => client;

    /// <summary>Returns the fencing token (&gt; 0), or minus the milliseconds until the holder's lease ends (0: unknown).</summary>
    public ValueTask<long> AcquireAsync(LockTarget target, string token, long leaseMs, string waiterId, long waiterTtlMs, CancellationToken cancellationToken)
        => target.IsSemaphore
            ? RunAsync(LockScripts.AcquireSemaphore, target, [token, leaseMs, waiterId, waiterTtlMs, target.MaxCount], cancellationToken)
            : RunAsync(LockScripts.AcquireLock, target, [token, leaseMs, waiterId, waiterTtlMs], cancellationToken);

    /// <summary>Returns true when <paramref name="token"/> still held the lease and it was extended.</summary>
    public async ValueTask<bool> ExtendAsync(LockTarget target, string token, long leaseMs, CancellationToken cancellationToken)
        => await RunAsync(target.IsSemaphore ? LockScripts.ExtendSemaphore : LockScripts.ExtendLock, target, [token, leaseMs], cancellationToken).ConfigureAwait(false) == 1;

    /// <summary>Removes <paramref name="token"/>'s lease if it is still there and <paramref name="waiterId"/> from the queue; returns true when a lease was removed.</summary>
    public async ValueTask<bool> ReleaseAsync(LockTarget target, string token, string waiterId, CancellationToken cancellationToken)
        => await (target.IsSemaphore
            ? RunAsync(LockScripts.ReleaseSemaphore, target, [token, waiterId, target.Channel, target.MaxCount], cancellationToken)
            : RunAsync(LockScripts.ReleaseLock, target, [token, waiterId, target.Channel], cancellationToken)).ConfigureAwait(false) == 1;

    private async ValueTask<long> RunAsync(KvScript script, LockTarget target, KvValue[] args, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await client.EvalAsync(script, target.Keys, args, cancellationToken).ConfigureAwait(false);
            return reply.AsInt64();
        }
        catch (TimeoutException ex)
        {
            throw new KvConnectionException($"The server did not answer the {target.Kind} '{target.Name}' script in time: {ex.Message}", ex);
        }
    }
}
