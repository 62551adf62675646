using System.Diagnostics;
using System.Threading.RateLimiting;
using Kv.Client;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// One partition of a Kv sliding-window policy (one user, one API key) as a <see cref="RateLimiter"/>:
/// each <see cref="RateLimiter.AcquireAsync"/> is one decision on the server, shared by every app
/// instance using the same server. Get one from <see cref="IKvRateLimiterFactory"/>.
/// </summary>
/// <remarks>
/// Leases need no disposing to free permits (permits leave the window with time) and carry
/// <see cref="MetadataName.RetryAfter"/> when refused, <see cref="KvRateLimitMetadata.Remaining"/> and
/// <see cref="KvRateLimitMetadata.Reset"/> when the server decided. Nothing is queued: a call that
/// finds no room is refused at once. <see cref="RateLimiter.AttemptAcquire"/> cannot wait for the
/// server, so it always refuses (with a reason phrase); ASP.NET Core's middleware then calls
/// <see cref="RateLimiter.AcquireAsync"/>.
/// </remarks>
public sealed class KvSlidingWindowRateLimiter : RateLimiter
{
    private readonly SlidingWindowPolicy _policy;
    private readonly KvKey[] _keys;
    private long _lastUsed = Stopwatch.GetTimestamp();
    private long _successful;
    private long _failed;
    private long _available;
    private int _disposed;

    internal KvSlidingWindowRateLimiter(SlidingWindowPolicy policy, string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        _policy = policy;
        _keys = policy.KeysOf(partitionKey);
        _available = policy.MinPermitLimit;
        PartitionKey = partitionKey;
    }

    /// <summary>The policy's name.</summary>
    public string PolicyName => _policy.Name;

    /// <summary>Who this limiter counts for (part of its keys).</summary>
    public string PartitionKey { get; }

    /// <summary>How long since the last call; lets a partitioned limiter drop limiters of idle partitions.</summary>
    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastUsed));

    /// <summary>
    /// Counts of this instance's calls; <see cref="RateLimiterStatistics.CurrentAvailablePermits"/> is
    /// the remaining count of the last decision (other instances may have taken permits since).
    /// </summary>
    public override RateLimiterStatistics? GetStatistics()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return new RateLimiterStatistics
        {
            CurrentAvailablePermits = Volatile.Read(ref _available),
            CurrentQueuedCount = 0,
            TotalSuccessfulLeases = Volatile.Read(ref _successful),
            TotalFailedLeases = Volatile.Read(ref _failed),
        };
    }

    /// <summary>Refuses: a decision needs the server, which a synchronous call cannot wait for.</summary>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        CheckPermitCount(permitCount);
        return _policy.UndecidedLease;
    }

    /// <summary>Asks the server for <paramref name="permitCount"/> permits of every limit of the policy, all or nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="permitCount"/> is negative or above a limit of the policy.</exception>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        // Thrown to the caller, not into the task, as the runtime's limiters do.
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        CheckPermitCount(permitCount);
        Volatile.Write(ref _lastUsed, Stopwatch.GetTimestamp());
        return _policy.DecideAsync(this, _keys, permitCount, cancellationToken);
    }

    /// <summary>Counts a decision for <see cref="GetStatistics"/> (called by the policy, which awaits the server: one async step a call, not two).</summary>
    internal void Record(KvRateLimitLease lease)
    {
        Interlocked.Increment(ref lease.IsAcquired ? ref _successful : ref _failed);
        if (lease.IsDecided)
        {
            Volatile.Write(ref _available, lease.Remaining);
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing) => Interlocked.Exchange(ref _disposed, 1);

    private void CheckPermitCount(int permitCount)
    {
        if (permitCount < 0 || permitCount > _policy.MinPermitLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, $"Rate limit policy '{_policy.Name}' grants from 0 to {_policy.MinPermitLimit} permits a call (its smallest limit).");
        }
    }
}
