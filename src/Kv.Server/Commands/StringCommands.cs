using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>String commands: GET, SET and its variants, counters, multi-key get and set.</summary>
internal static class StringCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("get", 2, "readonly fast", 1, 1, 1, "@string", Get, "string", "Get the value of a key")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("set", -3, "write denyoom", 1, 1, 1, "@string", Set, "string", "Set the string value of a key")
            .WithKeys("RW access update variable_flags | index 1 | range 0 1 0 | RW and ACCESS due to the optional `GET` argument")
            .WithKeyFlags(SetKeyFlags)
            .WithArgs("key:key#0 value:string condition:oneof@2.6.12?(nx:pure-token=NX xx:pure-token=XX) get:pure-token=GET@6.2.0? expiration:oneof?(seconds:integer=EX@2.6.12 milliseconds:integer=PX@2.6.12 unix-time-seconds:unix-time=EXAT@6.2.0 unix-time-milliseconds:unix-time=PXAT@6.2.0 keepttl:pure-token=KEEPTTL@6.0.0)")
            .WithHistory(("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."), ("6.0.0", "Added the `KEEPTTL` option."), ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."), ("7.0.0", "Allowed the `NX` and `GET` options to be used together."));
        table.Add("setnx", 3, "write denyoom fast", 1, 1, 1, "@string", SetNx, "string", "Set the value of a key, only if the key does not exist")
            .WithKeys("OW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 value:string");
        table.Add("setex", 4, "write denyoom", 1, 1, 1, "@string", SetEx, "string", "Set the value and expiration of a key", "2.0.0")
            .WithKeys("OW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 seconds:integer value:string");
        table.Add("psetex", 4, "write denyoom", 1, 1, 1, "@string", PSetEx, "string", "Set the value and expiration in milliseconds of a key", "2.6.0")
            .WithKeys("OW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 milliseconds:integer value:string");
        table.Add("mget", -2, "readonly fast", 1, -1, 1, "@string", MGet, "string", "Get the values of all the given keys", "1.0.0", "O(N) where N is the number of keys to retrieve.")
            .WithKeys("RO access | index 1 | range -1 1 0")
            .WithTips("request_policy:multi_shard")
            .WithArgs("key:key#0*");
        table.Add("mset", -3, "write denyoom", 1, -1, 2, "@string", MSet, "string", "Set multiple keys to multiple values", "1.0.1", "O(N) where N is the number of keys to set.")
            .WithKeys("OW update | index 1 | range -1 2 0")
            .WithTips("request_policy:multi_shard", "response_policy:all_succeeded")
            .WithArgs("key_value:block*(key:key#0 value:string)");
        table.Add("incr", 2, "write denyoom fast", 1, 1, 1, "@string", Incr, "string", "Increment the integer value of a key by one")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("decr", 2, "write denyoom fast", 1, 1, 1, "@string", Decr, "string", "Decrement the integer value of a key by one")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("incrby", 3, "write denyoom fast", 1, 1, 1, "@string", IncrBy, "string", "Increment the integer value of a key by the given amount")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 increment:integer");
        table.Add("decrby", 3, "write denyoom fast", 1, 1, 1, "@string", DecrBy, "string", "Decrement the integer value of a key by the given number")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 decrement:integer");
        table.Add("getset", 3, "write denyoom fast", 1, 1, 1, "@string", GetSet, "string", "Set the string value of a key and return its old value")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 value:string")
            .Deprecated("6.2.0", "`SET` with the `!GET` argument");
        table.Add("getdel", 2, "write fast", 1, 1, 1, "@string", GetDel, "string", "Get the value of a key and delete the key", "6.2.0")
            .WithKeys("RW access delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("getex", -2, "write fast", 1, 1, 1, "@string", GetEx, "string", "Get the value of a key and optionally set its expiration", "6.2.0")
            .WithKeys("RW access update | index 1 | range 0 1 0 | RW and UPDATE because it changes the TTL")
            .WithArgs("key:key#0 expiration:oneof?(seconds:integer=EX milliseconds:integer=PX unix-time-seconds:unix-time=EXAT unix-time-milliseconds:unix-time=PXAT persist:pure-token=PERSIST)");
        table.Add("msetnx", -3, "write denyoom", 1, -1, 2, "@string", MSetNx, "string", "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1", "O(N) where N is the number of keys to set.")
            .WithKeys("OW insert | index 1 | range -1 2 0")
            .WithTips("request_policy:multi_shard", "response_policy:agg_min")
            .WithArgs("key_value:block*(key:key#0 value:string)");
        table.Add("append", 3, "write denyoom fast", 1, 1, 1, "@string", Append, "string", "Append a value to a key", "2.0.0", "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 value:string");
        table.Add("strlen", 2, "readonly fast", 1, 1, 1, "@string", StrLen, "string", "Get the length of the value stored in a key", "2.2.0")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "@string", IncrByFloat, "string", "Increment the float value of a key by the given amount", "2.6.0")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 increment:double");
        table.Add("getrange", 4, "readonly", 1, 1, 1, "@string", GetRange, "string", "Get a substring of the string stored at a key", "2.4.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:integer end:integer");
        table.Add("substr", 4, "readonly", 1, 1, 1, "@string", GetRange, "string", "Get a substring of the string stored at a key", "1.0.0", "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:integer end:integer")
            .Deprecated("2.0.0", "`GETRANGE`");
        table.Add("setrange", 4, "write denyoom", 1, 1, 1, "@string", SetRange, "string", "Overwrite part of a string at key starting at the specified offset", "2.2.0", "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 offset:integer value:string");
        table.Add("lcs", -3, "readonly", 1, 2, 1, "@string", Lcs, "string", "Find longest common substring", "7.0.0", "O(N*M) where N and M are the lengths of s1 and s2, respectively")
            .WithKeys("RO access | index 1 | range 1 1 0")
            .WithArgs("key1:key#0 key2:key#0 len:pure-token=LEN? idx:pure-token=IDX? len:integer=MINMATCHLEN? withmatchlen:pure-token=WITHMATCHLEN?");
    }

    private static readonly string[] SetWithGetKeyFlags = ["RW", "access", "update"];
    private static readonly string[] SetKeyFlagsWithoutGet = ["OW", "update"];

    // Redis's setGetKeys: with GET the old value is read (RW access update), otherwise only overwritten.
    private static string[] SetKeyFlags(CommandContext c, int first)
    {
        for (int i = first + 3; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "get"u8))
            {
                return SetWithGetKeyFlags;
            }
        }

        return SetKeyFlagsWithoutGet;
    }

    private static ReadOnlySpan<byte> OffsetOutOfRange => "ERR offset is out of range"u8;

    private static ReadOnlySpan<byte> DecrementOverflow => "ERR decrement would overflow"u8;

    private static ReadOnlySpan<byte> FloatNaNOrInfinity => "ERR increment would produce NaN or Infinity"u8;

    private static ReadOnlySpan<byte> LcsWrongType => "ERR The specified keys must contain string values"u8;

    private static ReadOnlySpan<byte> LcsIdxAndLen => "ERR If you want both the length and indexes, please just use IDX."u8;

    private static ReadOnlySpan<byte> LcsTooBig => "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"u8;

    private static ReadOnlySpan<byte> LcsAllocationFailed => "ERR Insufficient memory, failed allocating transient memory for LCS"u8;

    /// <summary>
    /// Redis's lookupKeyRead: the value of a live key or null, counted as a keyspace hit or miss.
    /// A string comes back as a byte[] copy: string commands read through <see cref="ReadIndex"/> and
    /// <see cref="Database.TryGetString"/> instead.
    /// </summary>
    internal static object? Read(CommandContext c, ReadOnlySpan<byte> key)
    {
        int index = ReadIndex(c, key);
        return index < 0 ? null : c.Db.Table.ValueAt(index);
    }

    /// <summary>Redis's lookupKeyRead: the index of a live key or -1, counted as a keyspace hit or miss.</summary>
    internal static int ReadIndex(CommandContext c, ReadOnlySpan<byte> key)
    {
        int index = c.Db.Find(key, c.Now);
        if (index < 0)
        {
            c.Keyspace.Stats.KeyspaceMisses++;
        }
        else
        {
            c.Keyspace.Stats.KeyspaceHits++;
        }

        return index;
    }

    private static void Get(CommandContext c) => WriteString(c, ReadIndex(c, c.Arg(1)));

    /// <summary>Replies the string at <paramref name="index"/>, nil for -1 (missing), WRONGTYPE for another type; false on WRONGTYPE.</summary>
    internal static bool WriteString(CommandContext c, int index)
    {
        if (index < 0)
        {
            c.Reply.NullBulk();
            return true;
        }

        if (!c.Db.TryGetString(index, out var bytes))
        {
            c.Reply.Error(Errors.WrongType);
            return false;
        }

        c.Reply.Bulk(bytes);
        return true;
    }

    [Flags]
    private enum SetFlags
    {
        None = 0,
        Nx = 1,
        Xx = 2,
        Get = 4,
        KeepTtl = 8,
        Ex = 16,
        Px = 32,
        ExAt = 64,
        PxAt = 128,
        Persist = 256,
        AnyExpire = Ex | Px | ExAt | PxAt,
    }

    // Redis's parseExtendedStringArgumentsOrReply for SET (NX|XX, GET, EX|PX|EXAT|PXAT|KEEPTTL) and
    // GETEX (EX|PX|EXAT|PXAT|PERSIST): a conflicting or unknown option is a syntax error. The
    // expiry's number is only validated later, after the key lookup, as Redis does.
    private static bool TryParseExtended(CommandContext c, bool getEx, out SetFlags flags, out int expireArg)
    {
        flags = SetFlags.None;
        expireArg = -1;
        for (int i = getEx ? 2 : 3; i < c.ArgCount; i++)
        {
            var opt = c.Arg(i);
            bool hasNext = i + 1 < c.ArgCount;
            if (!getEx && Is(opt, "nx"u8) && (flags & SetFlags.Xx) == 0)
            {
                flags |= SetFlags.Nx;
            }
            else if (!getEx && Is(opt, "xx"u8) && (flags & SetFlags.Nx) == 0)
            {
                flags |= SetFlags.Xx;
            }
            else if (!getEx && Is(opt, "get"u8))
            {
                flags |= SetFlags.Get;
            }
            else if (!getEx && Is(opt, "keepttl"u8) && (flags & (SetFlags.AnyExpire | SetFlags.Persist)) == 0)
            {
                flags |= SetFlags.KeepTtl;
            }
            else if (getEx && Is(opt, "persist"u8) && (flags & (SetFlags.AnyExpire | SetFlags.KeepTtl)) == 0)
            {
                flags |= SetFlags.Persist;
            }
            else if (TryExpireOption(opt, hasNext, flags, out var unit))
            {
                flags |= unit;
                expireArg = ++i;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return false;
            }
        }

        return true;
    }

    // SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]
    private static void Set(CommandContext c)
    {
        if (!TryParseExtended(c, getEx: false, out var flags, out int expireArg))
        {
            return;
        }

        long expiresAt = 0;
        if (expireArg > 0 && !TryAbsoluteExpiry(c, expireArg, flags, out expiresAt))
        {
            return;
        }

        var db = c.Db;
        var key = c.Arg(1);
        int index = db.Find(key, c.Now);
        if ((flags & SetFlags.Get) != 0)
        {
            CountLookup(c, index);
            if (!WriteString(c, index))
            {
                return;
            }
        }

        bool found = index >= 0;
        if (((flags & SetFlags.Nx) != 0 && found) || ((flags & SetFlags.Xx) != 0 && !found))
        {
            if ((flags & SetFlags.Get) == 0)
            {
                c.Reply.NullBulk();
            }

            return;
        }

        Store(c, index, key, c.Arg(2), expiresAt, keepTtl: (flags & SetFlags.KeepTtl) != 0);
        if ((flags & SetFlags.Get) == 0)
        {
            c.Reply.Ok();
        }
    }

    private static bool TryExpireOption(ReadOnlySpan<byte> opt, bool hasNext, SetFlags flags, out SetFlags unit)
    {
        unit = Is(opt, "ex"u8) ? SetFlags.Ex
            : Is(opt, "px"u8) ? SetFlags.Px
            : Is(opt, "exat"u8) ? SetFlags.ExAt
            : Is(opt, "pxat"u8) ? SetFlags.PxAt
            : SetFlags.None;

        // Redis lets the same unit repeat (the last wins) but refuses mixing units, KEEPTTL or PERSIST.
        var others = (SetFlags.AnyExpire | SetFlags.KeepTtl | SetFlags.Persist) & ~unit;
        return unit != SetFlags.None && hasNext && (flags & others) == 0;
    }

    // Redis's getExpireMillisecondsOrReply: positive, no overflow once made absolute.
    private static bool TryAbsoluteExpiry(CommandContext c, int arg, SetFlags flags, out long expiresAt)
    {
        expiresAt = 0;
        if (!c.TryArgLong(arg, out long value))
        {
            return false;
        }

        bool seconds = (flags & (SetFlags.Ex | SetFlags.ExAt)) != 0;
        if (value <= 0 || (seconds && value > long.MaxValue / 1000))
        {
            c.Reply.Error(Errors.InvalidExpireTime(c.Command.FullName));
            return false;
        }

        if (seconds)
        {
            value *= 1000;
        }

        if ((flags & (SetFlags.Ex | SetFlags.Px)) != 0)
        {
            value = unchecked(value + c.CurrentTime);
            if (value <= 0)
            {
                c.Reply.Error(Errors.InvalidExpireTime(c.Command.FullName));
                return false;
            }
        }

        expiresAt = value;
        return true;
    }

    /// <summary>Writes a string under a key found at <paramref name="index"/> (or -1), setting or clearing its TTL.</summary>
    internal static void Store(CommandContext c, int index, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long expiresAt, bool keepTtl = false)
    {
        var db = c.Db;
        var table = db.Table;
        if (index >= 0)
        {
            db.SignalIfStream(index);
            table.SetString(index, value);
            if (!keepTtl)
            {
                table.SetExpiry(index, expiresAt);
            }
        }
        else
        {
            index = db.AddString(key, value);
            if (expiresAt != 0)
            {
                table.SetExpiry(index, expiresAt);
            }
        }

        c.Dirty();
        c.Modified(key, KeyspaceEvents.String, "set"u8);
        if (expiresAt != 0)
        {
            c.Modified(key, KeyspaceEvents.Generic, "expire"u8);
        }
    }

    private static void SetNx(CommandContext c)
    {
        var db = c.Db;
        var key = c.Arg(1);
        if (db.Find(key, c.Now) >= 0)
        {
            c.Reply.Integer(0);
            return;
        }

        Store(c, -1, key, c.Arg(2), 0);
        c.Reply.Integer(1);
    }

    private static void SetEx(CommandContext c) => SetWithExpiry(c, seconds: true);

    private static void PSetEx(CommandContext c) => SetWithExpiry(c, seconds: false);

    private static void SetWithExpiry(CommandContext c, bool seconds)
    {
        if (!TryAbsoluteExpiry(c, 2, seconds ? SetFlags.Ex : SetFlags.Px, out long expiresAt))
        {
            return;
        }

        var key = c.Arg(1);
        Store(c, c.Db.Find(key, c.Now), key, c.Arg(3), expiresAt);
        c.Reply.Ok();
    }

    private static void MGet(CommandContext c)
    {
        c.Reply.ArrayHeader(c.ArgCount - 1);
        for (int i = 1; i < c.ArgCount; i++)
        {
            int index = ReadIndex(c, c.Arg(i));
            if (index >= 0 && c.Db.TryGetString(index, out var bytes))
            {
                c.Reply.Bulk(bytes);
            }
            else
            {
                c.Reply.NullBulk();
            }
        }
    }

    private static void MSet(CommandContext c)
    {
        if (c.ArgCount % 2 == 0)
        {
            c.Reply.Error(Errors.WrongArgCount(c.Command.FullName));
            return;
        }

        var db = c.Db;
        for (int i = 1; i < c.ArgCount; i += 2)
        {
            var key = c.Arg(i);
            Store(c, db.Find(key, c.Now), key, c.Arg(i + 1), 0);
        }

        c.Reply.Ok();
    }

    private static void Incr(CommandContext c) => IncrementBy(c, 1);

    private static void Decr(CommandContext c) => IncrementBy(c, -1);

    private static void IncrBy(CommandContext c)
    {
        if (c.TryArgLong(2, out long delta))
        {
            IncrementBy(c, delta);
        }
    }

    private static void DecrBy(CommandContext c)
    {
        if (!c.TryArgLong(2, out long delta))
        {
            return;
        }

        if (delta == long.MinValue)
        {
            c.Reply.Error(DecrementOverflow);
            return;
        }

        IncrementBy(c, -delta);
    }

    private static void IncrementBy(CommandContext c, long delta)
    {
        var db = c.Db;
        var key = c.Arg(1);
        int index = db.Find(key, c.Now);
        long current = 0;
        if (index >= 0)
        {
            if (!db.TryGetString(index, out var bytes))
            {
                c.Reply.Error(Errors.WrongType);
                return;
            }

            if (!RespNumber.TryParseInt64(bytes, out current))
            {
                c.Reply.Error(Errors.NotInteger);
                return;
            }
        }

        if ((delta < 0 && current < 0 && delta < long.MinValue - current) ||
            (delta > 0 && current > 0 && delta > long.MaxValue - current))
        {
            c.Reply.Error(Errors.Overflow);
            return;
        }

        long result = current + delta;
        Span<byte> digits = stackalloc byte[20];
        var text = digits[..RespNumber.FormatInt64(result, digits)];
        if (index >= 0)
        {
            db.Table.SetString(index, text);
        }
        else
        {
            db.AddString(key, text);
        }

        c.Dirty();
        c.Modified(key, KeyspaceEvents.String, "incrby"u8);
        c.Reply.Integer(result);
    }

    // A lookup through lookupKeyRead counts a hit or a miss; SET ... GET reads the old value that way.
    private static void CountLookup(CommandContext c, int index)
    {
        if (index >= 0)
        {
            c.Keyspace.Stats.KeyspaceHits++;
        }
        else
        {
            c.Keyspace.Stats.KeyspaceMisses++;
        }
    }

    // GETSET: the old value (or nil), then a plain SET that also clears the TTL.
    private static void GetSet(CommandContext c)
    {
        var key = c.Arg(1);
        int index = c.Db.Find(key, c.Now);
        CountLookup(c, index);
        if (!WriteString(c, index))
        {
            return;
        }

        Store(c, index, key, c.Arg(2), 0);
    }

    private static void GetDel(CommandContext c)
    {
        var db = c.Db;
        int index = db.Find(c.Arg(1), c.Now);
        CountLookup(c, index);
        if (!WriteString(c, index) || index < 0)
        {
            return;
        }

        db.Table.RemoveAt(index);
        c.Dirty();
        c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
    }

    // GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: options are checked first, then the key (nil when
    // missing, even with a bad expiry), then the expiry's number; an EXAT/PXAT in the past deletes the key.
    private static void GetEx(CommandContext c)
    {
        if (!TryParseExtended(c, getEx: true, out var flags, out int expireArg))
        {
            return;
        }

        var db = c.Db;
        int index = db.Find(c.Arg(1), c.Now);
        CountLookup(c, index);
        if (index < 0)
        {
            c.Reply.NullBulk();
            return;
        }

        if (!db.TryGetString(index, out var bytes))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        long expiresAt = 0;
        if (expireArg > 0 && !TryAbsoluteExpiry(c, expireArg, flags, out expiresAt))
        {
            return;
        }

        c.Reply.Bulk(bytes);
        if ((flags & (SetFlags.ExAt | SetFlags.PxAt)) != 0 && c.AlreadyExpired(expiresAt))
        {
            db.Table.RemoveAt(index);
            c.Dirty();
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
        }
        else if (expireArg > 0)
        {
            db.Table.SetExpiry(index, expiresAt);
            c.Dirty();
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "expire"u8);
        }
        else if ((flags & SetFlags.Persist) != 0 && db.Table.ExpiresAt(index) != 0)
        {
            db.Table.SetExpiry(index, 0);
            c.Dirty();
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "persist"u8);
        }
    }

    // MSETNX: all or nothing; 0 when any key exists. A key named twice is set twice (the last wins).
    private static void MSetNx(CommandContext c)
    {
        if (c.ArgCount % 2 == 0)
        {
            c.Reply.Error(Errors.WrongArgCount(c.Command.FullName));
            return;
        }

        var db = c.Db;
        for (int i = 1; i < c.ArgCount; i += 2)
        {
            if (db.Find(c.Arg(i), c.Now) >= 0)
            {
                c.Reply.Integer(0);
                return;
            }
        }

        for (int i = 1; i < c.ArgCount; i += 2)
        {
            var key = c.Arg(i);
            Store(c, db.Find(key, c.Now), key, c.Arg(i + 1), 0);
        }

        c.Reply.Integer(1);
    }

    // APPEND grows a MutableString in place (sds-like spare room), so repeated appends are amortized O(1).
    // On a missing key it stores the argument as is (even empty: Redis creates the key).
    private static void Append(CommandContext c)
    {
        var db = c.Db;
        var key = c.Arg(1);
        var suffix = c.Arg(2);
        int index = db.Find(key, c.Now);
        if (index < 0)
        {
            db.AddString(key, suffix);
            c.Dirty();
            c.Modified(key, KeyspaceEvents.String, "append"u8);
            c.Reply.Integer(suffix.Length);
            return;
        }

        if (!db.TryGetString(index, out var current))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        if (!StringValue.FitsLength(current.Length, suffix.Length, c.Server.Config.ProtoMaxBulkLen))
        {
            c.Reply.Error(Errors.StringTooLong);
            return;
        }

        var mutable = db.Table.ToMutable(index, current.Length + suffix.Length);
        mutable.Append(suffix);
        c.Dirty();
        c.Modified(key, KeyspaceEvents.String, "append"u8);
        c.Reply.Integer(mutable.Length);
    }

    private static void StrLen(CommandContext c)
    {
        int index = ReadIndex(c, c.Arg(1));
        if (index < 0)
        {
            c.Reply.Integer(0);
            return;
        }

        if (!c.Db.TryGetString(index, out var bytes))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        c.Reply.Integer(bytes.Length);
    }

    // INCRBYFLOAT: Redis adds two long doubles and stores "%.17Lf" with trailing zeros trimmed;
    // LongDouble reproduces that exactly. The TTL is kept (dbReplaceValue).
    private static void IncrByFloat(CommandContext c)
    {
        var db = c.Db;
        var key = c.Arg(1);
        int index = db.Find(key, c.Now);
        var current = default(LongDouble);
        if (index >= 0)
        {
            if (!db.TryGetString(index, out var bytes))
            {
                c.Reply.Error(Errors.WrongType);
                return;
            }

            if (!LongDouble.TryParse(bytes, out current))
            {
                c.Reply.Error(Errors.NotFloat);
                return;
            }
        }

        if (!LongDouble.TryParse(c.Arg(2), out var increment))
        {
            c.Reply.Error(Errors.NotFloat);
            return;
        }

        var sum = LongDouble.Add(current, increment);
        if (sum.IsInfinity)
        {
            c.Reply.Error(FloatNaNOrInfinity);
            return;
        }

        Span<byte> text = sum.MaxFormattedLength <= 64 ? stackalloc byte[64] : new byte[sum.MaxFormattedLength];
        text = text[..sum.FormatHuman(text)];
        if (index >= 0)
        {
            db.Table.Replace(index, StringValue.StoreFloatText(text));
        }
        else
        {
            db.Add(key, StringValue.StoreFloatText(text));
        }

        c.Dirty();
        c.Modified(key, KeyspaceEvents.String, "incrbyfloat"u8);
        c.Reply.Bulk(text);
    }

    // GETRANGE/SUBSTR key start end: inclusive, negative from the end, clamped as Redis's getrangeCommand
    // (both negative with start > end is empty before any clamping).
    private static void GetRange(CommandContext c)
    {
        if (!c.TryArgLong(2, out long start) || !c.TryArgLong(3, out long end))
        {
            return;
        }

        int index = ReadIndex(c, c.Arg(1));
        if (index < 0)
        {
            c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }

        if (!c.Db.TryGetString(index, out var bytes))
        {
            c.Reply.Error(Errors.WrongType);
            return;
        }

        long length = bytes.Length;
        if (start < 0 && end < 0 && start > end)
        {
            c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }

        if (start < 0)
        {
            start += length;
        }

        if (end < 0)
        {
            end += length;
        }

        start = Math.Max(start, 0);
        end = Math.Max(end, 0);
        if (end >= length)
        {
            end = length - 1;
        }

        if (start > end || length == 0)
        {
            c.Reply.Bulk(ReadOnlySpan<byte>.Empty);
            return;
        }

        c.Reply.Bulk(bytes.Slice((int)start, (int)(end - start + 1)));
    }

    // SETRANGE key offset value: zero-pads up to offset; an empty value never creates the key and
    // answers the current length without the size check.
    private static void SetRange(CommandContext c)
    {
        if (!c.TryArgLong(2, out long offset))
        {
            return;
        }

        if (offset < 0)
        {
            c.Reply.Error(OffsetOutOfRange);
            return;
        }

        var db = c.Db;
        var key = c.Arg(1);
        var patch = c.Arg(3);
        long maxLength = c.Server.Config.ProtoMaxBulkLen;
        int index = db.Find(key, c.Now);
        MutableString target;
        if (index < 0)
        {
            if (patch.IsEmpty)
            {
                c.Reply.Integer(0);
                return;
            }

            if (!StringValue.FitsLength(offset, patch.Length, maxLength))
            {
                c.Reply.Error(Errors.StringTooLong);
                return;
            }

            target = new MutableString((int)offset + patch.Length);
            db.Add(key, target);
        }
        else
        {
            if (!db.TryGetString(index, out var current))
            {
                c.Reply.Error(Errors.WrongType);
                return;
            }

            if (patch.IsEmpty)
            {
                c.Reply.Integer(current.Length);
                return;
            }

            if (!StringValue.FitsLength(offset, patch.Length, maxLength))
            {
                c.Reply.Error(Errors.StringTooLong);
                return;
            }

            int needed = (int)offset + patch.Length;
            target = db.Table.ToMutable(index, Math.Max(needed, current.Length));
            if (needed > target.Length)
            {
                target.SetLength(needed);
            }
        }

        patch.CopyTo(target.Buffer.AsSpan((int)offset));
        c.Dirty();
        c.Modified(key, KeyspaceEvents.String, "setrange"u8);
        c.Reply.Integer(target.Length);
    }

    // LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: Redis's dynamic-programming table and
    // backtrack, so the matches (and which of equal-length LCS strings) come out exactly as Redis's.
    private static void Lcs(CommandContext c)
    {
        var db = c.Db;
        int indexA = ReadIndex(c, c.Arg(1));
        int indexB = ReadIndex(c, c.Arg(2));
        if ((indexA >= 0 && !db.Table.IsString(indexA)) || (indexB >= 0 && !db.Table.IsString(indexB)))
        {
            c.Reply.Error(LcsWrongType);
            return;
        }

        bool getLen = false, getIdx = false, withMatchLen = false;
        long minMatchLen = 0;
        for (int j = 3; j < c.ArgCount; j++)
        {
            var opt = c.Arg(j);
            bool moreArgs = j < c.ArgCount - 1;
            if (Is(opt, "idx"u8))
            {
                getIdx = true;
            }
            else if (Is(opt, "len"u8))
            {
                getLen = true;
            }
            else if (Is(opt, "withmatchlen"u8))
            {
                withMatchLen = true;
            }
            else if (Is(opt, "minmatchlen"u8) && moreArgs)
            {
                if (!c.TryArgLong(j + 1, out minMatchLen))
                {
                    return;
                }

                minMatchLen = Math.Max(minMatchLen, 0);
                j++;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        if (getIdx && getLen)
        {
            c.Reply.Error(LcsIdxAndLen);
            return;
        }

        ReadOnlySpan<byte> a = default, b = default;
        if (indexA >= 0)
        {
            db.TryGetString(indexA, out a);
        }

        if (indexB >= 0)
        {
            db.TryGetString(indexB, out b);
        }

        int alen = a.Length, blen = b.Length;
        long cells = (alen + 1L) * (blen + 1L);
        if (cells * sizeof(uint) > c.Server.Config.ProtoMaxBulkLen)
        {
            c.Reply.Error(LcsTooBig);
            return;
        }

        if (cells > Array.MaxLength)
        {
            c.Reply.Error(LcsAllocationFailed);
            return;
        }

        var dp = System.Buffers.ArrayPool<uint>.Shared.Rent((int)cells);
        try
        {
            int stride = blen + 1;
            for (int i = 0; i <= alen; i++)
            {
                for (int j = 0; j <= blen; j++)
                {
                    if (i == 0 || j == 0)
                    {
                        dp[(i * stride) + j] = 0;
                    }
                    else if (a[i - 1] == b[j - 1])
                    {
                        dp[(i * stride) + j] = dp[((i - 1) * stride) + j - 1] + 1;
                    }
                    else
                    {
                        uint lcs1 = dp[((i - 1) * stride) + j];
                        uint lcs2 = dp[(i * stride) + j - 1];
                        dp[(i * stride) + j] = lcs1 > lcs2 ? lcs1 : lcs2;
                    }
                }
            }

            uint total = dp[(alen * stride) + blen];
            if (getLen)
            {
                c.Reply.Integer(total);
                return;
            }

            if (!getIdx)
            {
                var result = total <= 256 ? stackalloc byte[(int)total] : new byte[total];
                LcsWalk(c, a, b, dp, stride, result, minMatchLen, withMatchLen, emit: false);
                c.Reply.Bulk(result);
                return;
            }

            // Redis fills a deferred array length; count the ranges first, then emit them.
            int ranges = LcsWalk(c, a, b, dp, stride, default, minMatchLen, withMatchLen, emit: false);
            c.Reply.MapHeader(2);
            c.Reply.Bulk("matches"u8);
            c.Reply.ArrayHeader(ranges);
            LcsWalk(c, a, b, dp, stride, default, minMatchLen, withMatchLen, emit: true);
            c.Reply.Bulk("len"u8);
            c.Reply.Integer(total);
        }
        finally
        {
            System.Buffers.ArrayPool<uint>.Shared.Return(dp);
        }
    }

    // Redis's LCS backtrack: fills the LCS string backwards and emits (or counts) the matching ranges.
    private static int LcsWalk(CommandContext c, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, uint[] dp, int stride, Span<byte> result, long minMatchLen, bool withMatchLen, bool emit)
    {
        int alen = a.Length;
        int idx = result.Length;
        int count = 0;
        int arangeStart = alen, arangeEnd = 0, brangeStart = 0, brangeEnd = 0;
        int i = alen, j = b.Length;
        while (i > 0 && j > 0)
        {
            bool emitRange = false;
            if (a[i - 1] == b[j - 1])
            {
                if (!result.IsEmpty)
                {
                    result[idx - 1] = a[i - 1];
                }

                if (arangeStart == alen)
                {
                    arangeStart = i - 1;
                    arangeEnd = i - 1;
                    brangeStart = j - 1;
                    brangeEnd = j - 1;
                }
                else if (arangeStart == i && brangeStart == j)
                {
                    arangeStart--;
                    brangeStart--;
                }
                else
                {
                    emitRange = true;
                }

                if (arangeStart == 0 || brangeStart == 0)
                {
                    emitRange = true;
                }

                idx--;
                i--;
                j--;
            }
            else
            {
                uint lcs1 = dp[((i - 1) * stride) + j];
                uint lcs2 = dp[(i * stride) + j - 1];
                if (lcs1 > lcs2)
                {
                    i--;
                }
                else
                {
                    j--;
                }

                if (arangeStart != alen)
                {
                    emitRange = true;
                }
            }

            long matchLen = arangeEnd - arangeStart + 1;
            if (emitRange)
            {
                if (minMatchLen == 0 || matchLen >= minMatchLen)
                {
                    if (emit)
                    {
                        c.Reply.ArrayHeader(withMatchLen ? 3 : 2);
                        c.Reply.ArrayHeader(2);
                        c.Reply.Integer(arangeStart);
                        c.Reply.Integer(arangeEnd);
                        c.Reply.ArrayHeader(2);
                        c.Reply.Integer(brangeStart);
                        c.Reply.Integer(brangeEnd);
                        if (withMatchLen)
                        {
                            c.Reply.Integer(matchLen);
                        }
                    }

                    count++;
                }

                arangeStart = alen;
            }
        }

        return count;
    }

    private static bool Is(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> word) => System.Text.Ascii.EqualsIgnoreCase(arg, word);
}
