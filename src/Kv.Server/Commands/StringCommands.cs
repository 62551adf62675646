using Kv.Protocol;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>String commands: GET, SET and its variants, counters, multi-key get and set.</summary>
internal static class StringCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("get", 2, "readonly fast", 1, 1, 1, "@string", Get, "string", "Returns the string value of a key.");
        table.Add("set", -3, "write denyoom", 1, 1, 1, "@string", Set, "string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.");
        table.Add("setnx", 3, "write denyoom fast", 1, 1, 1, "@string", SetNx, "string", "Set the string value of a key only when the key doesn't exist.");
        table.Add("setex", 4, "write denyoom", 1, 1, 1, "@string", SetEx, "string", "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.", "2.0.0");
        table.Add("psetex", 4, "write denyoom", 1, 1, 1, "@string", PSetEx, "string", "Sets both string value and expiration time in milliseconds of a key. The key is created if it doesn't exist.", "2.6.0");
        table.Add("mget", -2, "readonly fast", 1, -1, 1, "@string", MGet, "string", "Atomically returns the string values of one or more keys.", "1.0.0", "O(N) where N is the number of keys to retrieve.");
        table.Add("mset", -3, "write denyoom", 1, -1, 2, "@string", MSet, "string", "Atomically creates or modifies the string values of one or more keys.", "1.0.1", "O(N) where N is the number of keys to set.");
        table.Add("incr", 2, "write denyoom fast", 1, 1, 1, "@string", Incr, "string", "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.");
        table.Add("decr", 2, "write denyoom fast", 1, 1, 1, "@string", Decr, "string", "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.");
        table.Add("incrby", 3, "write denyoom fast", 1, 1, 1, "@string", IncrBy, "string", "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.");
        table.Add("decrby", 3, "write denyoom fast", 1, 1, 1, "@string", DecrBy, "string", "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.");
    }

    private static void Get(CommandContext c)
    {
        var value = c.Db.Get(c.Arg(1), c.Now);
        WriteString(c, value);
    }

    /// <summary>Replies a string value, nil for a missing key, WRONGTYPE for another type; false on WRONGTYPE.</summary>
    internal static bool WriteString(CommandContext c, object? value)
    {
        if (value is null)
        {
            c.Keyspace.Stats.KeyspaceMisses++;
            c.Reply.NullBulk();
            return true;
        }

        if (!StringValue.TryGet(value, out var bytes))
        {
            c.Reply.Error(Errors.WrongType);
            return false;
        }

        c.Keyspace.Stats.KeyspaceHits++;
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
        AnyExpire = Ex | Px | ExAt | PxAt,
    }

    // SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL], parsed as Redis's
    // parseExtendedStringArgumentsOrReply: conflicting options are a syntax error.
    private static void Set(CommandContext c)
    {
        var flags = SetFlags.None;
        int expireArg = -1;
        for (int i = 3; i < c.ArgCount; i++)
        {
            var opt = c.Arg(i);
            bool hasNext = i + 1 < c.ArgCount;
            if (Is(opt, "nx"u8) && (flags & SetFlags.Xx) == 0)
            {
                flags |= SetFlags.Nx;
            }
            else if (Is(opt, "xx"u8) && (flags & SetFlags.Nx) == 0)
            {
                flags |= SetFlags.Xx;
            }
            else if (Is(opt, "get"u8))
            {
                flags |= SetFlags.Get;
            }
            else if (Is(opt, "keepttl"u8) && (flags & SetFlags.AnyExpire) == 0)
            {
                flags |= SetFlags.KeepTtl;
            }
            else if (TryExpireOption(opt, hasNext, flags, out var unit))
            {
                flags |= unit;
                expireArg = ++i;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        long expiresAt = 0;
        if (expireArg > 0 && !TryAbsoluteExpiry(c, expireArg, flags, out expiresAt))
        {
            return;
        }

        var db = c.Db;
        var key = c.Arg(1);
        int index = db.Find(key, c.Now);
        object? old = index >= 0 ? db.Table.At(index).Value : null;
        if ((flags & SetFlags.Get) != 0 && !WriteString(c, old))
        {
            return;
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

        // Redis lets the same unit repeat (the last wins) but refuses mixing units or KEEPTTL.
        var others = (SetFlags.AnyExpire | SetFlags.KeepTtl) & ~unit;
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
            value = unchecked(value + c.Now);
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
            ref var entry = ref table.At(index);
            entry.Value = StringValue.Store(entry.Value, value);
            if (!keepTtl && entry.ExpiresAt != expiresAt)
            {
                table.SetExpiry(index, expiresAt);
            }
        }
        else
        {
            index = db.Add(key, value.ToArray());
            if (expiresAt != 0)
            {
                table.SetExpiry(index, expiresAt);
            }
        }

        c.Dirty();
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
        var db = c.Db;
        c.Reply.ArrayHeader(c.ArgCount - 1);
        for (int i = 1; i < c.ArgCount; i++)
        {
            var value = db.Get(c.Arg(i), c.Now);
            if (value is not null && StringValue.TryGet(value, out var bytes))
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
            c.Reply.Error("ERR decrement would overflow");
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
        object? old = null;
        if (index >= 0)
        {
            old = db.Table.At(index).Value;
            if (!StringValue.TryGet(old, out var bytes))
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
        if (index >= 0)
        {
            db.Table.At(index).Value = StringValue.StoreInteger(old, result);
        }
        else
        {
            db.Add(key, StringValue.StoreInteger(null, result));
        }

        c.Dirty();
        c.Reply.Integer(result);
    }

    private static bool Is(ReadOnlySpan<byte> arg, ReadOnlySpan<byte> word) => System.Text.Ascii.EqualsIgnoreCase(arg, word);
}
