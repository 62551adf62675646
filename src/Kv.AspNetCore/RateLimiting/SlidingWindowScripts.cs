using Kv.Client;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// The two decisions, each one script run atomically on the server with the server's clock (TIME;
/// Redis 7 replicates a script's effects, so reading the clock is allowed). KEYS: one key per limit.
/// ARGV[1]: the permits asked for; then, per limit, its permit limit and its window in microseconds.
/// Reply: granted (1/0), the wait before the permits could be granted (ms, 0 when granted), the
/// server's clock (µs), then per limit the permits remaining after this decision and the wait until
/// more become free (ms).
/// Nothing is written unless every limit has room, so a refusal consumes nothing. A written key
/// expires (PEXPIREAT, from the same TIME) 10 ms after its data stops counting: a key that expired
/// early would lose permits still in the window, and a server's expiry clock need not be its TIME
/// (kv-server's ran a millisecond ahead before it took both from one clock; a replica or another
/// server may still differ by a little).
/// </summary>
internal static class SlidingWindowScripts
{
    /// <summary>
    /// The exact log: one sorted-set member per permit granted, scored by the microsecond it was
    /// granted. Members that left the window are trimmed first, so a set never holds more than its limit.
    /// </summary>
    public static readonly KvScript Log = new("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local n = tonumber(ARGV[1])
        local count = #KEYS
        local used = {}
        local granted = 1
        local retry = 0
        for i = 1, count do
          local key = KEYS[i]
          local limit = tonumber(ARGV[2 * i])
          local window = tonumber(ARGV[2 * i + 1])
          -- (The ZRANGEs below check their reply: a server that does not hold its clock still for the
          -- length of a script, as Redis does, may expire the key between two calls.)
          redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
          local c = redis.call('ZCARD', key)
          used[i] = c
          if c + n > limit then
            granted = 0
            -- Room comes when the (c + n - limit)-th oldest permit leaves the window.
            local k = c + n - limit - 1
            local e = redis.call('ZRANGE', key, k, k, 'WITHSCORES')
            if e[2] then
              local wait = tonumber(e[2]) + window - now
              if wait > retry then retry = wait end
            end
          end
        end
        local reply = { granted, math.ceil(retry / 1000), now }
        local base = t[1] .. '.' .. t[2] .. '.'
        for i = 1, count do
          local key = KEYS[i]
          local limit = tonumber(ARGV[2 * i])
          local window = tonumber(ARGV[2 * i + 1])
          local c = used[i]
          if granted == 1 and n > 0 then
            for j = 1, n do
              -- Unique members: another decision in the same microsecond gets a longer name.
              local m = base .. j
              while redis.call('ZADD', key, 'NX', now, m) == 0 do m = m .. '+' end
            end
            redis.call('PEXPIREAT', key, math.ceil((now + window) / 1000) + 10)
            c = c + n
          end
          local reset = 0
          if c > 0 then
            local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
            if oldest[2] then reset = math.ceil((tonumber(oldest[2]) + window - now) / 1000) end
          end
          reply[2 * i + 2] = math.max(limit - c, 0)
          reply[2 * i + 3] = reset
        end
        return reply
        """);

    /// <summary>
    /// The counter: per limit one hash holding the current fixed window's number (<c>w</c>), its count
    /// (<c>c</c>) and the previous window's count (<c>p</c>); the sliding count is p weighted by the part
    /// of the previous window still inside the sliding one, plus c. The key lives until the end of the
    /// next window, as long as its count still weighs.
    /// </summary>
    public static readonly KvScript Counter = new("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local n = tonumber(ARGV[1])
        local count = #KEYS
        -- Microseconds from now until `need` more permits fit: first by the previous window's weight
        -- falling; failing that, in the next window, by this window's count (then the previous) falling.
        local function wait(c, p, e, window, limit, need)
          local room = limit - c - need
          if room >= 0 then
            if p <= room then return 0 end
            return (window - e) - room * window / p
          end
          local later = window - (limit - need) * window / c
          if later < 0 then later = 0 end
          return (window - e) + later
        end
        local cur, prev, elapsed, slot = {}, {}, {}, {}
        local granted = 1
        local retry = 0
        for i = 1, count do
          local limit = tonumber(ARGV[2 * i])
          local window = tonumber(ARGV[2 * i + 1])
          local s = math.floor(now / window)
          local e = now - s * window
          local h = redis.call('HMGET', KEYS[i], 'w', 'c', 'p')
          local stored = tonumber(h[1])
          local c, p = 0, 0
          if stored == s then
            c = tonumber(h[2])
            p = tonumber(h[3])
          elseif stored == s - 1 then
            p = tonumber(h[2])
          end
          cur[i], prev[i], elapsed[i], slot[i] = c, p, e, s
          if p * (window - e) / window + c + n > limit then
            granted = 0
            local w = wait(c, p, e, window, limit, n)
            if w > retry then retry = w end
          end
        end
        local reply = { granted, math.ceil(retry / 1000), now }
        for i = 1, count do
          local limit = tonumber(ARGV[2 * i])
          local window = tonumber(ARGV[2 * i + 1])
          local c, p, e, s = cur[i], prev[i], elapsed[i], slot[i]
          if granted == 1 and n > 0 then
            c = c + n
            redis.call('HSET', KEYS[i], 'w', s, 'c', c, 'p', p)
            redis.call('PEXPIREAT', KEYS[i], math.ceil((s + 2) * window / 1000) + 10)
          end
          local remaining = math.floor(limit - (p * (window - e) / window + c))
          if remaining < 0 then remaining = 0 end
          local reset = 0
          if remaining < limit then reset = math.ceil(wait(c, p, e, window, limit, remaining + 1) / 1000) end
          reply[2 * i + 2] = remaining
          reply[2 * i + 3] = reset
        end
        return reply
        """);
}
