using Kv.Client;

namespace Kv.AspNetCore.Leaderboards;

/// <summary>
/// The board's scripts. Numbers go to commands as strings made with <c>%.17g</c> (Lua's own conversion keeps 14
/// digits), and stored scores come back as the server's strings, so encoded scores stay exact.
/// </summary>
internal static class LeaderboardScripts
{
    /// <summary>
    /// Sets, adds to or keeps the best of members' scores, keeping the distinct scores (dense) or the
    /// arrival numbers (first to reach) in step, and the period's expiry.
    /// </summary>
    /// <remarks>
    /// KEYS[1] scores, KEYS[2] distinct scores, KEYS[3] arrival counter.
    /// ARGV[1] 's' set, 'i' increment, 'b' keep the best; ARGV[2] 'c' competition, 'd' dense, 'f' first to reach;
    /// ARGV[3] span (2^k); ARGV[4] max score; ARGV[5] expire at (Unix ms; '0' never); ARGV[6…] member, value pairs.
    /// Returns per pair the score after the write (as set, not encoded) and 1 when it changed; {'range', score} when
    /// an increment would leave ±max (before it writes anything); {'full'} when the arrival numbers ran out.
    /// Dense: a score leaves the distinct set when no member has it any more; the board itself is the
    /// reference count (ZCOUNT score score, O(log n)), so no second count can drift from it.
    /// </remarks>
    public static readonly KvScript Write = new("""
        local board, op, policy = KEYS[1], ARGV[1], ARGV[2]
        local out = {}
        for i = 6, #ARGV, 2 do
          local member, value = ARGV[i], ARGV[i + 1]
          local before = redis.call('ZSCORE', board, member)
          if policy == 'f' then
            local span, max = tonumber(ARGV[3]), tonumber(ARGV[4])
            local old = before and math.floor(tonumber(before) / span)
            local new = tonumber(value)
            if op == 'i' then
              new = (old or 0) + new
            elseif op == 'b' and old and old >= new then
              new = old
            end
            if new ~= old then
              if new > max or new < -max then return {'range', string.format('%.17g', new)} end
              local n = redis.call('INCR', KEYS[3])
              if n > span then return {'full'} end
              redis.call('ZADD', board, string.format('%.17g', new * span + (span - n)), member)
            end
            out[#out + 1] = string.format('%.17g', new)
            out[#out + 1] = (new ~= old) and 1 or 0
          else
            local after
            if op == 'i' then
              after = redis.call('ZINCRBY', board, value, member)
            else
              if op == 'b' then redis.call('ZADD', board, 'GT', value, member) else redis.call('ZADD', board, value, member) end
              after = redis.call('ZSCORE', board, member)
            end
            if policy == 'd' and after ~= before then
              if before and redis.call('ZCOUNT', board, before, before) == 0 then redis.call('ZREM', KEYS[2], before) end
              redis.call('ZADD', KEYS[2], after, after)
            end
            out[#out + 1] = after
            out[#out + 1] = (after ~= before) and 1 or 0
          end
        end
        if ARGV[5] ~= '0' then
          redis.call('PEXPIREAT', board, ARGV[5])
          if policy == 'd' then redis.call('PEXPIREAT', KEYS[2], ARGV[5]) end
          if policy == 'f' then redis.call('PEXPIREAT', KEYS[3], ARGV[5]) end
        end
        return out
        """);

    /// <summary>
    /// Removes a member. KEYS[1] scores, KEYS[2] distinct scores, KEYS[3] member data; ARGV[1] member,
    /// ARGV[2] '1' dense, ARGV[3] '1' drop the member's data. Returns 1 when the member was on the board.
    /// </summary>
    public static readonly KvScript Remove = new("""
        local before = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if ARGV[3] == '1' then redis.call('HDEL', KEYS[3], ARGV[1]) end
        if not before then return 0 end
        redis.call('ZREM', KEYS[1], ARGV[1])
        if ARGV[2] == '1' and redis.call('ZCOUNT', KEYS[1], before, before) == 0 then redis.call('ZREM', KEYS[2], before) end
        return 1
        """);

    /// <summary>
    /// A page, the members around one member, one member, or the count, with what the ranks need, in one call.
    /// </summary>
    /// <remarks>
    /// KEYS[1] scores (or a roll-up's cached board), KEYS[2] distinct scores, KEYS[3] member data, KEYS[4…] a roll-up's
    /// period boards. ARGV[1] 'p' page, 'a' around, 'e' entry, 'n' count; ARGV[2] ranks 'o' ordinal, 'c' competition,
    /// 'd' dense; ARGV[3] span; ARGV[4] '1' with member data; ARGV[5] offset or member; ARGV[6] count or distance;
    /// ARGV[7] roll-up aggregate ('' when not a roll-up); ARGV[8] roll-up cache time (ms).
    /// Returns {0-based position of the first entry, members above it (distinct scores above it, dense), member, score, …,
    /// data…}; {} when the member is not on the board; the count for 'n'.
    /// Competition ranks on an encoded board (a roll-up of a first-to-reach board) count the stored scores at or
    /// above (score + 1) × span: everyone whose score is strictly higher, whatever their arrival.
    /// </remarks>
    public static readonly KvScript Read = new("""
        local board = KEYS[1]
        if ARGV[7] ~= '' and redis.call('EXISTS', board) == 0 then
          local args = {board, #KEYS - 3}
          for i = 4, #KEYS do args[#args + 1] = KEYS[i] end
          args[#args + 1] = 'AGGREGATE'
          args[#args + 1] = ARGV[7]
          redis.call('ZUNIONSTORE', unpack(args))
          redis.call('PEXPIRE', board, ARGV[8])
        end
        if ARGV[1] == 'n' then return redis.call('ZCARD', board) end
        local first, last
        if ARGV[1] == 'p' then
          first = tonumber(ARGV[5])
          last = first + tonumber(ARGV[6]) - 1
        else
          local at = redis.call('ZREVRANK', board, ARGV[5])
          if not at then return {} end
          local distance = ARGV[1] == 'a' and tonumber(ARGV[6]) or 0
          first = math.max(at - distance, 0)
          last = at + distance
        end
        local range = redis.call('ZREVRANGE', board, first, last, 'WITHSCORES')
        local above = 0
        if first > 0 and #range > 0 and ARGV[2] ~= 'o' then
          local top, span = range[2], tonumber(ARGV[3])
          if ARGV[2] == 'd' then
            above = redis.call('ZCOUNT', KEYS[2], '(' .. top, '+inf')
          elseif span == 1 then
            above = redis.call('ZCOUNT', board, '(' .. top, '+inf')
          else
            above = redis.call('ZCOUNT', board, string.format('%.17g', (math.floor(tonumber(top) / span) + 1) * span), '+inf')
          end
        end
        local reply = {first, above}
        for i = 1, #range do reply[#reply + 1] = range[i] end
        if ARGV[4] == '1' and #range > 0 then
          local members = {}
          for i = 1, #range, 2 do members[#members + 1] = range[i] end
          local data = redis.call('HMGET', KEYS[3], unpack(members))
          for i = 1, #data do reply[#reply + 1] = data[i] end
        end
        return reply
        """);
}
