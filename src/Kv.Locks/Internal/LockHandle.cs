using Kv.Client;

namespace Kv.Locks.Internal;

/// <summary>
/// A held lease: renewed every <see cref="KvLockOptions.RenewalInterval"/> by compare-and-extend, and
/// watched by a timer set to when the lease could have run out by the local clock (from the send time
/// of the acquisition or of the last successful renewal, less a margin for clock drift). The timer
/// firing, or a renewal that finds another holder, fires <see cref="LostToken"/>.
/// </summary>
internal sealed class LockHandle : IDistributedLockHandle
{
    private const int Held = 0;
    private const int Lost = 1;
    private const int Released = 2;

    private readonly LockCommands _commands;
    private readonly LockTarget _target;
    private readonly string _token;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _renewalInterval;
    private readonly TimeProvider _time;
    private readonly long _holdDeadline;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _expiry;
    private readonly Task _renewals;
    private int _state;

    /// <param name="commands">The scripts.</param>
    /// <param name="target">The lock or semaphore.</param>
    /// <param name="token">This holder's token (the value compared on extend and release).</param>
    /// <param name="fencingToken">The token minted with the acquisition.</param>
    /// <param name="options">Lease, renewal interval, maximum hold time.</param>
    /// <param name="time">The clock.</param>
    /// <param name="sentAt">The timestamp (<paramref name="time"/>) at which the acquiring script was sent.</param>
    /// <param name="lease">The lease the acquisition asked for.</param>
    public LockHandle(LockCommands commands, LockTarget target, string token, long fencingToken, KvLockOptions options, TimeProvider time, long sentAt, TimeSpan lease)
    {
        _commands = commands;
        _target = target;
        _token = token;
        _lease = options.Lease;
        _renewalInterval = options.EffectiveRenewalInterval;
        _time = time;
        FencingToken = fencingToken;
        _holdDeadline = options.MaxHoldTime is { } max ? After(sentAt, max) : long.MaxValue;
        _expiry = time.CreateTimer(static state => ((LockHandle)state!).MarkLost(), this, DueIn(After(sentAt, WithDriftMargin(lease))), Timeout.InfiniteTimeSpan);
        _renewals = RenewAsync();
    }

    public string Name => _target.Name;

    public long FencingToken { get; }

    public CancellationToken LostToken => _lost.Token;

    /// <summary>This holder's token, as stored on the server (for tests).</summary>
    internal string Token => _token;

    public async ValueTask<bool> ExtendAsync(CancellationToken cancellationToken = default)
        => await ExtendCoreAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask<bool> ReleaseAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_state == Released)
            {
                return false;
            }

            _state = Released;
            _expiry.Dispose();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            // Also after a loss: the lease may still be this holder's (renewals failed but the server kept
            // it), and compare-and-delete never touches a later holder's.
            return await _commands.ReleaseAsync(_target, _token, waiterId: "", cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await _renewals.ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KvConnectionException or ObjectDisposedException)
        {
            // The server cannot be reached (or the client is gone): the lease is no longer renewed and
            // runs out on its own within KvLockOptions.Lease. ReleaseAsync reports this to callers who ask.
        }
    }

    private async Task RenewAsync()
    {
        while (true)
        {
            try
            {
                await Task.Delay(_renewalInterval, _time, _stop.Token).ConfigureAwait(false);
                if (!await ExtendCoreAsync(_stop.Token).ConfigureAwait(false))
                {
                    return; // Lost, released, or at its maximum hold time: the expiry timer ends it.
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return; // The client was disposed: nothing can renew any more; the expiry timer fires.
            }
            catch (Exception ex) when (ex is KvConnectionException or KvServerException)
            {
                // Not confirmed either way: try again at the next interval; if none succeeds before the
                // lease could have run out, the expiry timer fires LostToken.
            }
        }
    }

    private async ValueTask<bool> ExtendCoreAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _state) != Held)
        {
            return false;
        }

        long sent = _time.GetTimestamp();
        var lease = _lease;
        if (_holdDeadline != long.MaxValue)
        {
            var left = DueIn(_holdDeadline);
            if (left < lease)
            {
                lease = left;
            }

            if (lease < TimeSpan.FromMilliseconds(1))
            {
                return false;
            }
        }

        if (!await _commands.ExtendAsync(_target, _token, (long)Math.Ceiling(lease.TotalMilliseconds), cancellationToken).ConfigureAwait(false))
        {
            MarkLost();
            return false;
        }

        lock (_gate)
        {
            if (_state != Held)
            {
                return false;
            }

            _expiry.Change(DueIn(After(sent, WithDriftMargin(lease))), Timeout.InfiniteTimeSpan);
        }

        return true;
    }

    private void MarkLost()
    {
        lock (_gate)
        {
            if (_state != Held)
            {
                return;
            }

            _state = Lost;
            _expiry.Dispose();
        }

        _stop.Cancel();
        _lost.Cancel();
    }

    // Clocks drift: end the lease locally a little before the server could (1% and 2 ms, as Redlock does).
    private static TimeSpan WithDriftMargin(TimeSpan lease) => lease - (lease / 100) - TimeSpan.FromMilliseconds(2);

    private long After(long timestamp, TimeSpan duration) => timestamp + (long)(duration.Ticks * (_time.TimestampFrequency / (double)TimeSpan.TicksPerSecond));

    private TimeSpan DueIn(long deadline)
    {
        var left = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
