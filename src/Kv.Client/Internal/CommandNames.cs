using System.Text;

namespace Kv.Client.Internal;

/// <summary>Command names and keywords as byte arrays made once, so typed methods encode no text.</summary>
internal static class CommandNames
{
    public static readonly KvValue Append = N("APPEND");

    public static readonly KvValue BLMove = N("BLMOVE");

    public static readonly KvValue BLPop = N("BLPOP");

    public static readonly KvValue BRPop = N("BRPOP");

    public static readonly KvValue BZPopMax = N("BZPOPMAX");

    public static readonly KvValue BZPopMin = N("BZPOPMIN");

    public static readonly KvValue ByLex = N("BYLEX");

    public static readonly KvValue ByScore = N("BYSCORE");

    public static readonly KvValue Count = N("COUNT");

    public static readonly KvValue DbSize = N("DBSIZE");

    public static readonly KvValue Decr = N("DECR");

    public static readonly KvValue DecrBy = N("DECRBY");

    public static readonly KvValue Del = N("DEL");

    public static readonly KvValue Eval = N("EVAL");

    public static readonly KvValue EvalSha = N("EVALSHA");

    public static readonly KvValue Exec = N("EXEC");

    public static readonly KvValue Exists = N("EXISTS");

    public static readonly KvValue Fields = N("FIELDS");

    public static readonly KvValue FlushDb = N("FLUSHDB");

    public static readonly KvValue Get = N("GET");

    public static readonly KvValue GetDel = N("GETDEL");

    public static readonly KvValue GetEx = N("GETEX");

    public static readonly KvValue GetRange = N("GETRANGE");

    public static readonly KvValue HDel = N("HDEL");

    public static readonly KvValue HExists = N("HEXISTS");

    public static readonly KvValue HGet = N("HGET");

    public static readonly KvValue HGetAll = N("HGETALL");

    public static readonly KvValue HIncrBy = N("HINCRBY");

    public static readonly KvValue HIncrByFloat = N("HINCRBYFLOAT");

    public static readonly KvValue HKeys = N("HKEYS");

    public static readonly KvValue HLen = N("HLEN");

    public static readonly KvValue HMGet = N("HMGET");

    public static readonly KvValue HPExpire = N("HPEXPIRE");

    public static readonly KvValue HPExpireAt = N("HPEXPIREAT");

    public static readonly KvValue HPTtl = N("HPTTL");

    public static readonly KvValue HPersist = N("HPERSIST");

    public static readonly KvValue HScan = N("HSCAN");

    public static readonly KvValue HSet = N("HSET");

    public static readonly KvValue HSetNx = N("HSETNX");

    public static readonly KvValue HStrLen = N("HSTRLEN");

    public static readonly KvValue HVals = N("HVALS");

    public static readonly KvValue Incr = N("INCR");

    public static readonly KvValue IncrBy = N("INCRBY");

    public static readonly KvValue IncrByFloat = N("INCRBYFLOAT");

    public static readonly KvValue LIndex = N("LINDEX");

    public static readonly KvValue LLen = N("LLEN");

    public static readonly KvValue LMove = N("LMOVE");

    public static readonly KvValue LPop = N("LPOP");

    public static readonly KvValue LPush = N("LPUSH");

    public static readonly KvValue LRange = N("LRANGE");

    public static readonly KvValue LRem = N("LREM");

    public static readonly KvValue LSet = N("LSET");

    public static readonly KvValue LTrim = N("LTRIM");

    public static readonly KvValue Left = N("LEFT");

    public static readonly KvValue Limit = N("LIMIT");

    public static readonly KvValue MGet = N("MGET");

    public static readonly KvValue MSet = N("MSET");

    public static readonly KvValue Match = N("MATCH");

    public static readonly KvValue Multi = N("MULTI");

    public static readonly KvValue Nx = N("NX");

    public static readonly KvValue PExpire = N("PEXPIRE");

    public static readonly KvValue PExpireAt = N("PEXPIREAT");

    public static readonly KvValue PSubscribe = N("PSUBSCRIBE");

    public static readonly KvValue PTtl = N("PTTL");

    public static readonly KvValue PUnsubscribe = N("PUNSUBSCRIBE");

    public static readonly KvValue Persist = N("PERSIST");

    public static readonly KvValue Ping = N("PING");

    public static readonly KvValue Publish = N("PUBLISH");

    public static readonly KvValue Px = N("PX");

    public static readonly KvValue RPop = N("RPOP");

    public static readonly KvValue RPush = N("RPUSH");

    public static readonly KvValue Rename = N("RENAME");

    public static readonly KvValue RenameNx = N("RENAMENX");

    public static readonly KvValue Rev = N("REV");

    public static readonly KvValue Right = N("RIGHT");

    public static readonly KvValue SAdd = N("SADD");

    public static readonly KvValue SCard = N("SCARD");

    public static readonly KvValue SDiff = N("SDIFF");

    public static readonly KvValue SInter = N("SINTER");

    public static readonly KvValue SIsMember = N("SISMEMBER");

    public static readonly KvValue SMIsMember = N("SMISMEMBER");

    public static readonly KvValue SMembers = N("SMEMBERS");

    public static readonly KvValue SMove = N("SMOVE");

    public static readonly KvValue SPop = N("SPOP");

    public static readonly KvValue SRandMember = N("SRANDMEMBER");

    public static readonly KvValue SRem = N("SREM");

    public static readonly KvValue SScan = N("SSCAN");

    public static readonly KvValue SUnion = N("SUNION");

    public static readonly KvValue Scan = N("SCAN");

    public static readonly KvValue Set = N("SET");

    public static readonly KvValue SetRange = N("SETRANGE");

    public static readonly KvValue StrLen = N("STRLEN");

    public static readonly KvValue Subscribe = N("SUBSCRIBE");

    public static readonly KvValue Type = N("TYPE");

    public static readonly KvValue TypeOption = N("TYPE");

    public static readonly KvValue Unlink = N("UNLINK");

    public static readonly KvValue Unsubscribe = N("UNSUBSCRIBE");

    public static readonly KvValue Unwatch = N("UNWATCH");

    public static readonly KvValue Watch = N("WATCH");

    public static readonly KvValue WithScores = N("WITHSCORES");

    public static readonly KvValue Xx = N("XX");

    public static readonly KvValue ZAdd = N("ZADD");

    public static readonly KvValue ZCard = N("ZCARD");

    public static readonly KvValue ZCount = N("ZCOUNT");

    public static readonly KvValue ZIncrBy = N("ZINCRBY");

    public static readonly KvValue ZMScore = N("ZMSCORE");

    public static readonly KvValue ZPopMax = N("ZPOPMAX");

    public static readonly KvValue ZPopMin = N("ZPOPMIN");

    public static readonly KvValue ZRange = N("ZRANGE");

    public static readonly KvValue ZRangeStore = N("ZRANGESTORE");

    public static readonly KvValue ZRank = N("ZRANK");

    public static readonly KvValue ZRem = N("ZREM");

    public static readonly KvValue ZRemRangeByScore = N("ZREMRANGEBYSCORE");

    public static readonly KvValue ZRevRank = N("ZREVRANK");

    public static readonly KvValue ZScan = N("ZSCAN");

    public static readonly KvValue ZScore = N("ZSCORE");

    private static KvValue N(string name) => Encoding.ASCII.GetBytes(name);
}
