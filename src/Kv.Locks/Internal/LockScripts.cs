using Kv.Client;

namespace Kv.Locks.Internal;

/// <summary>
/// The Lua scripts, one round trip each. Every script takes the same four keys, which share a hash tag:
/// KEYS[1] the holder (a string holding the holder's token for a lock; a sorted set of tokens scored by
/// lease expiry for a semaphore), KEYS[2] the fencing counter, KEYS[3] the queue of waiters (a sorted
/// set scored by arrival time) and KEYS[4] the waiters' registration deadlines (a hash).
/// <para>
/// An acquisition returns the new fencing token (&gt; 0), or minus how many milliseconds until the
/// holder's lease ends (0 when unknown): the waiter's fallback poll is bounded by it.
/// </para>
/// </summary>
internal static class LockScripts
{
    // Shared by every script. Times are the server's (TIME), in milliseconds, so clients' clocks never
    // have to agree. A waiter that stops asking (crashed) is dropped once its registration lapses.
    private const string Prelude = """
        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function keep_for(key, ms)
          if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
        end
        -- the first n waiters whose registration has not lapsed; lapsed ones met on the way are dropped
        local function live_waiters(now, n)
          local live = {}
          while #live < n do
            local ids = redis.call('ZRANGE', KEYS[3], #live, n - 1)
            if #ids == 0 then break end
            for _, id in ipairs(ids) do
              local deadline = tonumber(redis.call('HGET', KEYS[4], id))
              if deadline and deadline > now then
                live[#live + 1] = id
              else
                redis.call('ZREM', KEYS[3], id)
                redis.call('HDEL', KEYS[4], id)
              end
            end
          end
          return live
        end
        local function enqueue(now, id, ttl)
          redis.call('ZADD', KEYS[3], 'NX', now, id)
          redis.call('HSET', KEYS[4], id, now + ttl)
          keep_for(KEYS[3], ttl)
          keep_for(KEYS[4], ttl)
        end
        local function dequeue(id)
          if id ~= '' then
            redis.call('ZREM', KEYS[3], id)
            redis.call('HDEL', KEYS[4], id)
          end
        end
        -- A counter that was missing (first use, or lost in a restart without persistence) starts from
        -- the server clock in microseconds, above every token minted before; built as a string, as
        -- Lua 5.1 prints large numbers in exponent form.
        local function mint_fence()
          local fence = redis.call('INCR', KEYS[2])
          if fence == 1 then
            local t = redis.call('TIME')
            local seed = t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
            redis.call('SET', KEYS[2], seed)
            return tonumber(seed)
          end
          return fence
        end

        """;

    /// <summary>ARGV: token, lease ms, waiter id ('' to try without queueing), waiter registration ms.</summary>
    public static readonly KvScript AcquireLock = new(Prelude + """
        local waiter = ARGV[3]
        if redis.call('EXISTS', KEYS[3]) == 0 then
          -- Nobody waits: the uncontended case, three calls.
          if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return mint_fence() end
        elseif redis.call('EXISTS', KEYS[1]) == 0 then
          local now = now_ms()
          local head = live_waiters(now, 1)[1]
          if head and head ~= waiter then
            if waiter ~= '' then enqueue(now, waiter, tonumber(ARGV[4])) end
            return 0
          end
          dequeue(waiter)
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return mint_fence()
        end
        if waiter ~= '' then enqueue(now_ms(), waiter, tonumber(ARGV[4])) end
        local pttl = redis.call('PTTL', KEYS[1])
        if pttl < 1 then return 0 end
        return -pttl
        """);

    /// <summary>ARGV: token, lease ms. Returns 1 when extended, 0 when the token no longer holds the lock.</summary>
    public static readonly KvScript ExtendLock = new("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """);

    /// <summary>
    /// Compare-and-delete, also run to abandon a wait: ARGV token, waiter id (or ''), channel. Removes the
    /// holder only if it is this token and the waiter from the queue, then, if the lock is free, tells
    /// the first live waiter. Returns 1 when this token's lease was removed.
    /// </summary>
    public static readonly KvScript ReleaseLock = new(Prelude + """
        local released = 0
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
          released = 1
        end
        dequeue(ARGV[2])
        if redis.call('EXISTS', KEYS[3]) == 1 and (released == 1 or redis.call('EXISTS', KEYS[1]) == 0) then
          local head = live_waiters(now_ms(), 1)[1]
          if head then redis.call('PUBLISH', ARGV[3], head) end
        end
        return released
        """);

    /// <summary>ARGV: token, lease ms, waiter id ('' to try without queueing), waiter registration ms, max count.</summary>
    public static readonly KvScript AcquireSemaphore = new(Prelude + """
        local waiter = ARGV[3]
        local lease = tonumber(ARGV[2])
        local now = now_ms()
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local free = tonumber(ARGV[5]) - redis.call('ZCARD', KEYS[1])
        if free > 0 then
          local admitted = true
          if redis.call('EXISTS', KEYS[3]) == 1 then
            local live = live_waiters(now, free)
            if #live >= free then
              admitted = false
              for i = 1, #live do
                if live[i] == waiter then admitted = true end
              end
            end
          end
          if admitted then
            dequeue(waiter)
            redis.call('ZADD', KEYS[1], now + lease, ARGV[1])
            keep_for(KEYS[1], lease)
            return mint_fence()
          end
        end
        if waiter ~= '' then enqueue(now, waiter, tonumber(ARGV[4])) end
        if free > 0 then return 0 end
        local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return -math.max(tonumber(first[2]) - now, 1)
        """);

    /// <summary>ARGV: token, lease ms. Returns 1 when extended, 0 when the token's lease had expired or was removed.</summary>
    public static readonly KvScript ExtendSemaphore = new(Prelude + """
        local now = now_ms()
        local lease = tonumber(ARGV[2])
        local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if expires and tonumber(expires) > now then
          redis.call('ZADD', KEYS[1], 'XX', now + lease, ARGV[1])
          keep_for(KEYS[1], lease)
          return 1
        end
        redis.call('ZREM', KEYS[1], ARGV[1])
        return 0
        """);

    /// <summary>ARGV: token, waiter id (or ''), channel, max count. As <see cref="ReleaseLock"/>, telling as many waiters as there are free slots.</summary>
    public static readonly KvScript ReleaseSemaphore = new(Prelude + """
        local now = now_ms()
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
        local released = redis.call('ZREM', KEYS[1], ARGV[1])
        dequeue(ARGV[2])
        if redis.call('EXISTS', KEYS[3]) == 1 then
          local free = tonumber(ARGV[4]) - redis.call('ZCARD', KEYS[1])
          if free > 0 then
            for _, id in ipairs(live_waiters(now, free)) do redis.call('PUBLISH', ARGV[3], id) end
          end
        end
        return released
        """);
}
