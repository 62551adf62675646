using Kv.Client;

namespace Kv.Locks;

/// <summary>
/// Hands out distributed locks (one holder at a time) and semaphores (up to a count of holders) kept on
/// kv-server, Redis, Valkey or Garnet. Every method tells three outcomes apart: acquired (a handle),
/// held by someone else (null from the <c>Try</c> methods, <see cref="KvLockTimeoutException"/> from the
/// others once the timeout passed), and the server could not be reached or did not answer
/// (<see cref="KvConnectionException"/>). A lock is not reentrant: a second acquisition by the same
/// caller waits like any other.
/// </summary>
public interface IDistributedLockProvider
{
    /// <summary>Acquires the lock <paramref name="name"/>, waiting (in arrival order) while someone else holds it.</summary>
    /// <param name="name">The lock's name; locks with the same name exclude each other across processes.</param>
    /// <param name="timeout">How long to wait; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until acquired; <see cref="TimeSpan.Zero"/> tries once.</param>
    /// <param name="cancellationToken">Stops waiting; an acquisition in flight is undone on the server.</param>
    /// <returns>The handle; dispose it to release the lock.</returns>
    /// <exception cref="KvLockTimeoutException">The lock was still held by someone else when <paramref name="timeout"/> passed.</exception>
    /// <exception cref="KvConnectionException">The server could not be reached or did not answer in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IDistributedLockHandle> AcquireAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Acquires the lock <paramref name="name"/> if it is free and nobody is waiting for it; never waits.</summary>
    /// <returns>The handle, or null when someone else holds the lock (or waits for it ahead of this caller).</returns>
    /// <exception cref="KvConnectionException">The server could not be reached or did not answer in time.</exception>
    ValueTask<IDistributedLockHandle?> TryAcquireAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Acquires the lock <paramref name="name"/>, waiting up to <paramref name="timeout"/>.</summary>
    /// <returns>The handle, or null when the lock was still held by someone else when <paramref name="timeout"/> passed.</returns>
    /// <exception cref="KvConnectionException">The server could not be reached or did not answer in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IDistributedLockHandle?> TryAcquireAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Takes one of <paramref name="maxCount"/> slots of the semaphore <paramref name="name"/>, waiting (in arrival order) while all are taken.</summary>
    /// <param name="name">The semaphore's name (semaphores and locks have separate names).</param>
    /// <param name="maxCount">How many holders at once; every caller of one semaphore should pass the same count.</param>
    /// <param name="timeout">How long to wait; null or <see cref="Timeout.InfiniteTimeSpan"/> waits until acquired.</param>
    /// <param name="cancellationToken">Stops waiting; an acquisition in flight is undone on the server.</param>
    /// <exception cref="KvLockTimeoutException">Every slot was still taken when <paramref name="timeout"/> passed.</exception>
    /// <exception cref="KvConnectionException">The server could not be reached or did not answer in time.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<IDistributedLockHandle> AcquireSemaphoreAsync(string name, int maxCount, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Takes a slot of the semaphore <paramref name="name"/> if one is free and nobody waits ahead; never waits.</summary>
    /// <returns>The handle, or null when every slot is taken.</returns>
    /// <exception cref="KvConnectionException">The server could not be reached or did not answer in time.</exception>
    ValueTask<IDistributedLockHandle?> TryAcquireSemaphoreAsync(string name, int maxCount, CancellationToken cancellationToken = default);
}
