using Kv.Server.Configuration;
namespace Kv.Server.Commands;

/// <summary>Key expiry: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST.</summary>
internal static class ExpireCommands
{
    [Flags]
    private enum Condition
    {
        None = 0,
        Nx = 1,
        Xx = 2,
        Gt = 4,
        Lt = 8,
    }

    public static void Register(CommandTable table)
    {
        table.Add("expire", -3, "write fast", 1, 1, 1, "@keyspace", Expire, "generic", "Set a key's time to live in seconds")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 seconds:integer condition:oneof@7.0.0?(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)")
            .WithHistory(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."));
        table.Add("pexpire", -3, "write fast", 1, 1, 1, "@keyspace", PExpire, "generic", "Set a key's time to live in milliseconds", "2.6.0")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 milliseconds:integer condition:oneof@7.0.0?(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)")
            .WithHistory(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."));
        table.Add("expireat", -3, "write fast", 1, 1, 1, "@keyspace", ExpireAt, "generic", "Set the expiration for a key as a UNIX timestamp", "1.2.0")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 unix-time-seconds:unix-time condition:oneof@7.0.0?(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)")
            .WithHistory(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."));
        table.Add("pexpireat", -3, "write fast", 1, 1, 1, "@keyspace", PExpireAt, "generic", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 unix-time-milliseconds:unix-time condition:oneof@7.0.0?(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT)")
            .WithHistory(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."));
        table.Add("ttl", 2, "readonly fast", 1, 1, 1, "@keyspace", Ttl, "generic", "Get the time to live for a key in seconds")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0")
            .WithHistory(("2.8.0", "Added the -2 reply."));
        table.Add("pttl", 2, "readonly fast", 1, 1, 1, "@keyspace", PTtl, "generic", "Get the time to live for a key in milliseconds", "2.6.0")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0")
            .WithHistory(("2.8.0", "Added the -2 reply."));
        table.Add("expiretime", 2, "readonly fast", 1, 1, 1, "@keyspace", ExpireTime, "generic", "Get the expiration Unix timestamp for a key", "7.0.0")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("pexpiretime", 2, "readonly fast", 1, 1, 1, "@keyspace", PExpireTime, "generic", "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("persist", 2, "write fast", 1, 1, 1, "@keyspace", Persist, "generic", "Remove the expiration from a key", "2.2.0")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
    }

    private static void Expire(CommandContext c) => SetExpiry(c, c.CurrentTime, seconds: true);

    private static void PExpire(CommandContext c) => SetExpiry(c, c.CurrentTime, seconds: false);

    private static void ExpireAt(CommandContext c) => SetExpiry(c, 0, seconds: true);

    private static void PExpireAt(CommandContext c) => SetExpiry(c, 0, seconds: false);

    // Redis 7.0's expireGenericCommand: options are parsed before the time; the time may be
    // negative but must not overflow in milliseconds or once the base time is added; a time
    // already past deletes the key. GT and LT treat "no TTL" as an infinite one.
    private static void SetExpiry(CommandContext c, long basetime, bool seconds)
    {
        if (!TryParseCondition(c, out var condition))
        {
            return;
        }

        if (!c.TryArgLong(2, out long when))
        {
            return;
        }

        if (seconds)
        {
            if (when > long.MaxValue / 1000 || when < long.MinValue / 1000)
            {
                c.Reply.Error(Errors.InvalidExpireTime(c.Command.FullName));
                return;
            }

            when *= 1000;
        }

        if (when > long.MaxValue - basetime)
        {
            c.Reply.Error(Errors.InvalidExpireTime(c.Command.FullName));
            return;
        }

        when += basetime;

        var db = c.Db;
        int index = db.Find(c.Arg(1), c.Now);
        if (index < 0)
        {
            c.Reply.Integer(0);
            return;
        }

        var table = db.Table;
        long current = table.ExpiresAt(index);
        bool hasTtl = current != 0;
        if (((condition & Condition.Nx) != 0 && hasTtl) ||
            ((condition & Condition.Xx) != 0 && !hasTtl) ||
            ((condition & Condition.Gt) != 0 && (!hasTtl || when <= current)) ||
            ((condition & Condition.Lt) != 0 && hasTtl && when >= current))
        {
            c.Reply.Integer(0);
            return;
        }

        if (c.AlreadyExpired(when))
        {
            table.RemoveAt(index);
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
        }
        else
        {
            table.SetExpiry(index, when);
            c.Modified(c.Arg(1), KeyspaceEvents.Generic, "expire"u8);
        }

        c.Dirty();
        c.Reply.Integer(1);
    }

    // Redis's parseExtendedExpireArgumentsOrReply: every option is read (an unknown one is named in
    // the error) before the combinations are checked.
    private static bool TryParseCondition(CommandContext c, out Condition condition)
    {
        condition = Condition.None;
        for (int i = 3; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "nx"u8))
            {
                condition |= Condition.Nx;
            }
            else if (c.ArgIs(i, "xx"u8))
            {
                condition |= Condition.Xx;
            }
            else if (c.ArgIs(i, "gt"u8))
            {
                condition |= Condition.Gt;
            }
            else if (c.ArgIs(i, "lt"u8))
            {
                condition |= Condition.Lt;
            }
            else
            {
                c.Reply.Error($"ERR Unsupported option {c.ArgString(i)}");
                return false;
            }
        }

        if ((condition & Condition.Nx) != 0 && (condition & (Condition.Xx | Condition.Gt | Condition.Lt)) != 0)
        {
            c.Reply.Error(Errors.ExpireNxIncompatible);
            return false;
        }

        if ((condition & (Condition.Gt | Condition.Lt)) == (Condition.Gt | Condition.Lt))
        {
            c.Reply.Error(Errors.ExpireGtLtIncompatible);
            return false;
        }

        return true;
    }

    private static void Ttl(CommandContext c) => ReplyTtl(c, milliseconds: false, absolute: false);

    private static void PTtl(CommandContext c) => ReplyTtl(c, milliseconds: true, absolute: false);

    private static void ExpireTime(CommandContext c) => ReplyTtl(c, milliseconds: false, absolute: true);

    private static void PExpireTime(CommandContext c) => ReplyTtl(c, milliseconds: true, absolute: true);

    // Redis's ttlGenericCommand: -2 for a missing key, -1 without a TTL; seconds are rounded to the
    // nearest (ttl+500)/1000, computed unsigned so a far PEXPIREAT does not overflow.
    private static void ReplyTtl(CommandContext c, bool milliseconds, bool absolute)
    {
        var db = c.Db;
        int index = db.Peek(c.Arg(1), c.Now);
        KeyCommands.CountLookups(c, index >= 0 ? 1 : 0, index >= 0 ? 0 : 1);
        if (index < 0)
        {
            c.Reply.Integer(-2);
            return;
        }

        long expiresAt = db.Table.ExpiresAt(index);
        if (expiresAt == 0)
        {
            c.Reply.Integer(-1);
            return;
        }

        long ttl = Math.Max(absolute ? expiresAt : expiresAt - c.CurrentTime, 0);
        c.Reply.Integer(milliseconds ? ttl : (long)(((ulong)ttl + 500) / 1000));
    }

    private static void Persist(CommandContext c)
    {
        var db = c.Db;
        int index = db.Find(c.Arg(1), c.Now);
        if (index < 0 || db.Table.ExpiresAt(index) == 0)
        {
            c.Reply.Integer(0);
            return;
        }

        db.Table.SetExpiry(index, 0);
        c.Dirty();
        c.Modified(c.Arg(1), KeyspaceEvents.Generic, "persist"u8);
        c.Reply.Integer(1);
    }
}
