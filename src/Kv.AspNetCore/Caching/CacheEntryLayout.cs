using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;

namespace Kv.AspNetCore.Caching;

/// <summary>
/// How an entry is stored: the layout of Microsoft's Redis cache (Microsoft.Extensions.Caching.StackExchangeRedis),
/// so either package reads what the other wrote. One hash per entry, at the instance name followed by
/// the key, with the fields <c>absexp</c> (the absolute expiry in UTC ticks, or -1), <c>sldexp</c>
/// (the sliding window in ticks, or -1) and <c>data</c>; the key's own TTL is the smaller of the two.
/// Unlike that package, the TTL is kept to the millisecond (it truncates to seconds).
/// </summary>
internal static class CacheEntryLayout
{
    public const long NotPresent = -1;

    public static readonly KvValue AbsoluteExpiration = "absexp"u8.ToArray();
    public static readonly KvValue SlidingExpiration = "sldexp"u8.ToArray();
    public static readonly KvValue Data = "data"u8.ToArray();

    /// <summary>
    /// Reads an entry and, when it has a sliding window, pushes its TTL out in the same call:
    /// min(sliding window, time left to the absolute expiry), as <see cref="SlidingTtl"/> computes it.
    /// ARGV[1] is the caller's clock in UTC ticks (the clock the absolute expiry was computed with).
    /// Returns {absexp, sldexp, data}; missing fields are nil. Ticks are 10,000 a millisecond.
    /// Used by GetManyAsync, where one batch of these calls reads and refreshes many entries.
    /// </summary>
    public static readonly KvScript GetAndRefresh = new("""
        local f = redis.call('HMGET', KEYS[1], 'absexp', 'sldexp', 'data')
        local sliding = tonumber(f[2])
        if sliding and sliding > 0 then
          local ttl = sliding
          local absolute = tonumber(f[1])
          if absolute and absolute > 0 then
            local left = absolute - tonumber(ARGV[1])
            if left < ttl then ttl = left end
          end
          ttl = math.floor(ttl / 10000)
          if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
        end
        return f
        """);

    /// <summary>The TTL in milliseconds a read gives a sliding entry: min(window, time left to the absolute expiry); 0 when none is left.</summary>
    public static long SlidingTtl(long absolute, long sliding, long nowTicks)
    {
        long ticks = sliding;
        if (absolute > 0 && absolute - nowTicks < ticks)
        {
            ticks = absolute - nowTicks;
        }

        return ticks <= 0 ? 0 : Math.Max(1, ticks / TimeSpan.TicksPerMillisecond);
    }

    /// <summary>
    /// The entry's absolute expiry (UTC ticks, or <see cref="NotPresent"/>), sliding window (ticks, or
    /// <see cref="NotPresent"/>) and the key's TTL in milliseconds (0: none), as Microsoft's cache computes
    /// them from <paramref name="options"/> at <paramref name="now"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future, or the sliding window is not positive.</exception>
    public static (long Absolute, long Sliding, long TtlMilliseconds) Expiry(DistributedCacheEntryOptions options, DateTimeOffset now)
    {
        DateTimeOffset? absolute = options.AbsoluteExpiration;
        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            if (relative <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(options), relative, "The relative expiration value must be positive.");
            }

            absolute = now + relative;
        }

        if (absolute is { } at && at <= now)
        {
            throw new ArgumentOutOfRangeException(nameof(options), at, "The absolute expiration value must be in the future.");
        }

        if (options.SlidingExpiration is { } window && window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), window, "The sliding expiration value must be positive.");
        }

        long ttlTicks = 0;
        if (options.SlidingExpiration is { } sliding)
        {
            ttlTicks = sliding.Ticks;
            if (absolute is { } limit && (limit - now).Ticks < ttlTicks)
            {
                ttlTicks = (limit - now).Ticks;
            }
        }
        else if (absolute is { } limit)
        {
            ttlTicks = (limit - now).Ticks;
        }

        // Rounded up to the next millisecond: an entry never expires before its time.
        long ttlMs = ttlTicks == 0 ? 0 : Math.Max(1, (ttlTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
        return (absolute?.UtcTicks ?? NotPresent, options.SlidingExpiration?.Ticks ?? NotPresent, ttlMs);
    }
}
