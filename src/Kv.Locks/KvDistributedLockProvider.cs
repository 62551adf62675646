using Kv.Client;
using Kv.Locks.Internal;

namespace Kv.Locks;

/// <summary>
/// The <see cref="IDistributedLockProvider"/> on a <see cref="KvClient"/>: one script call to acquire a
/// free lock and one to release it, waiters queued on the server in arrival order and woken by a
/// release notification (pub/sub), with a jittered poll only as a fallback. Create one per client and
/// share it (<c>services.AddKvLocks()</c> does); it does not own the client.
/// </summary>
public sealed class KvDistributedLockProvider : IDistributedLockProvider, IAsyncDisposable
{
    private readonly LockCommands _commands;
    private readonly KvLockOptions _options;
    private readonly TimeProvider _time;
    private readonly ReleaseNotifications _notifications;

    /// <summary>Creates a provider on <paramref name="client"/>.</summary>
    /// <param name="client">The client the locks are kept through; the provider does not dispose it.</param>
    /// <param name="options">Lease, renewal, key prefix; null for the defaults. Copied: later changes have no effect.</param>
    /// <param name="timeProvider">The clock for leases, renewals, timeouts and polls; null for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public KvDistributedLockProvider(KvClient client, KvLockOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = (options ?? new KvLockOptions()).Clone();
        _options.Validate();
        _commands = new LockCommands(client);
        _time = timeProvider ?? TimeProvider.System;
        _notifications = new ReleaseNotifications(client);
    }

    /// <inheritdoc/>
    public async ValueTask<IDistributedLockHandle> AcquireAsync(string name, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => await AcquireCoreAsync(Lock(name), CheckTimeout(timeout), cancellationToken).ConfigureAwait(false)
            ?? throw TimedOut(name, "lock", timeout);

    /// <inheritdoc/>
    public async ValueTask<IDistributedLockHandle?> TryAcquireAsync(string name, CancellationToken cancellationToken = default)
        => await AcquireCoreAsync(Lock(name), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<IDistributedLockHandle?> TryAcquireAsync(string name, TimeSpan timeout, CancellationToken cancellationToken = default)
        => await AcquireCoreAsync(Lock(name), CheckTimeout(timeout), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async ValueTask<IDistributedLockHandle> AcquireSemaphoreAsync(string name, int maxCount, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
        => await AcquireCoreAsync(Semaphore(name, maxCount), CheckTimeout(timeout), cancellationToken).ConfigureAwait(false)
            ?? throw TimedOut(name, "semaphore", timeout);

    /// <inheritdoc/>
    public async ValueTask<IDistributedLockHandle?> TryAcquireSemaphoreAsync(string name, int maxCount, CancellationToken cancellationToken = default)
        => await AcquireCoreAsync(Semaphore(name, maxCount), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);

    /// <summary>Unsubscribes from release channels. Handles already given out keep working until released.</summary>
    public ValueTask DisposeAsync() => _notifications.DisposeAsync();

    /// <summary>Acquires, or returns null when <paramref name="timeout"/> passed with the lock still held.</summary>
    private async ValueTask<LockHandle?> AcquireCoreAsync(LockTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var lease = _options.MaxHoldTime is { } max && max < _options.Lease ? max : _options.Lease;
        long leaseMs = (long)Math.Ceiling(lease.TotalMilliseconds);
        string token = Guid.NewGuid().ToString("N");

        // The uncontended case: one round trip, not queued.
        long sent = _time.GetTimestamp();
        long reply = await AttemptAsync(target, token, leaseMs, waiterId: "", cancellationToken).ConfigureAwait(false);
        if (reply > 0)
        {
            return new LockHandle(_commands, target, token, reply, _options, _time, sent, lease);
        }

        if (timeout == TimeSpan.Zero)
        {
            return null;
        }

        // Subscribed before queueing, so the release that names this waiter cannot come before the
        // subscription; the token doubles as the waiter's id.
        using var deadline = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _time);
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var stop = linked?.Token ?? cancellationToken;
        var waiter = new Waiter(token, target.Channel);
        long registrationMs = 3 * (long)Math.Ceiling(_options.WaitPollInterval.TotalMilliseconds);
        try
        {
            await _notifications.JoinAsync(waiter, stop).ConfigureAwait(false);
            while (true)
            {
                waiter.Rearm();
                sent = _time.GetTimestamp();
                reply = await AttemptAsync(target, token, leaseMs, waiter.Id, stop, registrationMs).ConfigureAwait(false);
                if (reply > 0)
                {
                    return new LockHandle(_commands, target, token, reply, _options, _time, sent, lease);
                }

                await WaitAsync(waiter, PollDelay(-reply), stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Abandon(target, token);
            cancellationToken.ThrowIfCancellationRequested();
            return null; // The deadline passed.
        }
        catch (KvConnectionException)
        {
            Abandon(target, token);
            throw;
        }
        finally
        {
            _notifications.Leave(waiter);
        }
    }

    /// <summary>One acquisition attempt. A cancelled attempt may still have run on the server, so its lease is released.</summary>
    private async ValueTask<long> AttemptAsync(LockTarget target, string token, long leaseMs, string waiterId, CancellationToken cancellationToken, long registrationMs = 0)
    {
        try
        {
            return await _commands.AcquireAsync(target, token, leaseMs, waiterId, registrationMs, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (waiterId.Length == 0 && ex is OperationCanceledException or KvConnectionException)
        {
            // The attempt may have run without its reply reaching us. Queued attempts are abandoned by
            // the caller; the unqueued first one here.
            Abandon(target, token);
            throw;
        }
    }

    /// <summary>
    /// Undoes whatever an interrupted wait may have left on the server: a lease won by an attempt whose
    /// reply was not awaited, and the waiter's place in the queue. Sent on the same connection after the
    /// attempt, so the server runs it after the attempt; not awaited, as the caller already has its answer.
    /// If it cannot be sent, the lease runs out and the queue entry lapses on their own.
    /// </summary>
    private void Abandon(LockTarget target, string token)
    {
        _ = AbandonAsync(target, token);

        async Task AbandonAsync(LockTarget target, string token)
        {
            try
            {
                await _commands.ReleaseAsync(target, token, token, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KvConnectionException or KvServerException or ObjectDisposedException)
            {
                // Nothing to report to: the lease and the registration expire by themselves.
            }
        }
    }

    /// <summary>Waits until the waiter is named by a release, the poll delay passes, or <paramref name="stop"/>.</summary>
    private async Task WaitAsync(Waiter waiter, TimeSpan delay, CancellationToken stop)
    {
        if (waiter.Signalled.IsCompleted)
        {
            return;
        }

        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var timer = Task.Delay(delay, _time, poll.Token);
        await Task.WhenAny(waiter.Signalled, timer).ConfigureAwait(false);
        await poll.CancelAsync().ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
    }

    /// <summary>The fallback poll: within <see cref="KvLockOptions.WaitPollInterval"/>, no later than the holder's lease ends, jittered ±20% so waiters do not ask in step.</summary>
    private TimeSpan PollDelay(long leaseLeftMs)
    {
        double cap = _options.WaitPollInterval.TotalMilliseconds;
        double ms = leaseLeftMs > 0 && leaseLeftMs < cap ? leaseLeftMs + 1 : cap;
        ms *= 0.8 + (0.4 * Random.Shared.NextDouble());
        return TimeSpan.FromMilliseconds(Math.Clamp(ms, 1, 1.2 * cap));
    }

    private LockTarget Lock(string name) => new(_options.KeyPrefix, name, maxCount: 0);

    private LockTarget Semaphore(string name, int maxCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        return new LockTarget(_options.KeyPrefix, name, maxCount);
    }

    private static TimeSpan CheckTimeout(TimeSpan? timeout)
    {
        var value = timeout ?? Timeout.InfiniteTimeSpan;
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), value, "The timeout must be zero or positive, or Timeout.InfiniteTimeSpan (null) to wait until acquired.");
        }

        return value;
    }

    private static KvLockTimeoutException TimedOut(string name, string kind, TimeSpan? timeout)
        => new($"The {kind} '{name}' was still held by someone else after {timeout?.TotalMilliseconds:0} ms.");
}
