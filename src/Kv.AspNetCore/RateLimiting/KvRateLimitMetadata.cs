using System.Threading.RateLimiting;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// What a Kv rate limiter's lease carries besides <see cref="MetadataName.RetryAfter"/> (set when
/// refused: when the oldest permits that stand in the way leave the window).
/// </summary>
public static class KvRateLimitMetadata
{
    /// <summary>Permits left after this decision, of the limit with the fewest left (the <c>r</c> of the <c>RateLimit</c> header).</summary>
    public static MetadataName<long> Remaining { get; } = MetadataName.Create<long>("KV_RATELIMIT_REMAINING");

    /// <summary>
    /// How long until that limit has more permits free (the <c>t</c> of the <c>RateLimit</c> header, which
    /// rounds it up to seconds); zero when nothing of it is in use.
    /// </summary>
    public static MetadataName<TimeSpan> Reset { get; } = MetadataName.Create<TimeSpan>("KV_RATELIMIT_RESET");
}
