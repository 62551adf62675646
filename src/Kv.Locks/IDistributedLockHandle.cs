using Kv.Client;

namespace Kv.Locks;

/// <summary>
/// A held lock or semaphore slot. Its lease is extended in the background while it is held; dispose
/// it to release (compare-and-delete: only this holder's own lease is removed, never a later holder's).
/// </summary>
public interface IDistributedLockHandle : IAsyncDisposable
{
    /// <summary>The lock's or semaphore's name.</summary>
    string Name { get; }

    /// <summary>
    /// A number minted on the server in the same atomic step as the acquisition, larger than that of
    /// every earlier acquisition of this lock (or semaphore). Pass it with each write to the protected
    /// resource, and have the resource refuse a write carrying a smaller number than one it has already
    /// seen: a holder that lost its lease without noticing (a long GC pause, a partition) is then
    /// rejected instead of overwriting the next holder's work.
    /// </summary>
    long FencingToken { get; }

    /// <summary>
    /// Fires as soon as the lease is lost (a renewal found another holder, or the key was gone) or can no
    /// longer be confirmed (renewals failed until the lease could have expired, measured by the local
    /// clock from the send time of the last successful renewal; or <see cref="KvLockOptions.MaxHoldTime"/>
    /// ran out). Link it into the work the lock protects. It does not fire when the handle is released.
    /// </summary>
    CancellationToken LostToken { get; }

    /// <summary>
    /// Extends the lease now by <see cref="KvLockOptions.Lease"/> (no further than
    /// <see cref="KvLockOptions.MaxHoldTime"/> allows). Renewal is automatic; this is for holders that
    /// want to confirm they still hold the lock before a step that must not run without it.
    /// </summary>
    /// <returns>True when the lease was extended; false when it was lost (and <see cref="LostToken"/> has fired), released, or at its maximum hold time.</returns>
    /// <exception cref="KvConnectionException">The server could not be reached or did not answer in time.</exception>
    ValueTask<bool> ExtendAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the lock: stops renewals and removes this holder's lease if it is still there, then wakes
    /// the next waiter. <see cref="IAsyncDisposable.DisposeAsync"/> does the same but does not throw
    /// when the server cannot be reached (the lease then expires on its own).
    /// </summary>
    /// <returns>True when this holder's lease was still on the server and was removed; false when it had been lost or was already released.</returns>
    /// <exception cref="KvConnectionException">The server could not be reached or did not answer in time.</exception>
    ValueTask<bool> ReleaseAsync(CancellationToken cancellationToken = default);
}
