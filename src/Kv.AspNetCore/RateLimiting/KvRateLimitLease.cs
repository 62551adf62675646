using System.Threading.RateLimiting;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// A decision: granted or not, how long until it could be (<see cref="MetadataName.RetryAfter"/>), and
/// per limit the permits remaining and the wait until more are free, as the script answered them.
/// A lease holds nothing on the server: the permits leave the window with time, not with the lease.
/// </summary>
internal sealed class KvRateLimitLease : RateLimitLease
{
    private static readonly string[] DecidedNames = [KvRateLimitMetadata.Remaining.Name, KvRateLimitMetadata.Reset.Name];
    private static readonly string[] RefusedNames = [MetadataName.RetryAfter.Name, KvRateLimitMetadata.Remaining.Name, KvRateLimitMetadata.Reset.Name];
    private static readonly string[] UndecidedNames = [MetadataName.ReasonPhrase.Name];

    private readonly long _retryAfterMs;

    // Per limit: remaining, then the wait in ms until more are free; null when no decision was made.
    private readonly long[]? _limits;
    private readonly int _tightest;
    private readonly string? _reason;

    public KvRateLimitLease(SlidingWindowPolicy policy, bool acquired, long retryAfterMs, long serverTime, long[] limits)
    {
        Policy = policy;
        ServerTime = serverTime;
        IsAcquired = acquired;
        _retryAfterMs = retryAfterMs;
        _limits = limits;
        for (int i = 2; i < limits.Length; i += 2)
        {
            if (limits[i] < limits[2 * _tightest])
            {
                _tightest = i / 2;
            }
        }
    }

    /// <summary>A decision made without the server (it could not be reached, or AttemptAcquire, which cannot wait for it).</summary>
    public KvRateLimitLease(SlidingWindowPolicy policy, bool acquired, string reason)
    {
        Policy = policy;
        IsAcquired = acquired;
        _reason = reason;
    }

    public SlidingWindowPolicy Policy { get; }

    /// <summary>The server's clock when it decided, in microseconds since the Unix epoch (0 when it did not).</summary>
    public long ServerTime { get; }

    public override bool IsAcquired { get; }

    /// <summary>True when the server decided (the <c>RateLimit</c> header has values to report).</summary>
    public bool IsDecided => _limits is not null;

    public override IEnumerable<string> MetadataNames => _limits is null ? UndecidedNames : IsAcquired ? DecidedNames : RefusedNames;

    /// <summary>Permits remaining of the limit with the fewest left.</summary>
    public long Remaining => _limits![2 * _tightest];

    /// <summary>Permits remaining of limit <paramref name="index"/> after this decision.</summary>
    public long RemainingOf(int index) => _limits![2 * index];

    /// <summary>Milliseconds until limit <paramref name="index"/> has more permits free.</summary>
    public long ResetMillisecondsOf(int index) => _limits![(2 * index) + 1];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (_limits is null)
        {
            metadata = _reason;
            return _reason is not null && metadataName == MetadataName.ReasonPhrase.Name;
        }

        if (metadataName == MetadataName.RetryAfter.Name && !IsAcquired)
        {
            metadata = TimeSpan.FromMilliseconds(_retryAfterMs);
            return true;
        }

        if (metadataName == KvRateLimitMetadata.Remaining.Name)
        {
            metadata = _limits[2 * _tightest];
            return true;
        }

        if (metadataName == KvRateLimitMetadata.Reset.Name)
        {
            metadata = TimeSpan.FromMilliseconds(_limits[(2 * _tightest) + 1]);
            return true;
        }

        metadata = null;
        return false;
    }
}
