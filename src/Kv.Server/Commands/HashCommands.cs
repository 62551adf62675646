using System.Buffers;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;
using Kv.Server.Text;

namespace Kv.Server.Commands;

/// <summary>Hashes, with per-field expiry as Redis 7.4 defines it.</summary>
internal static class HashCommands
{
    // Redis 7.4's HFE_MAX_ABS_TIME_MSEC: EB_EXPIRE_TIME_MAX ((1 << 48) - 1) >> 2.
    private const long MaxFieldExpiry = ((1L << 48) - 1) >> 2;

    public static void Register(CommandTable table)
    {
        table.Add("hset", -4, "write denyoom fast", 1, 1, 1, "@hash", HSet, "hash", "Set the string value of a hash field", "2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field_value:block*(field:string value:string)")
            .WithHistory(("4.0.0", "Accepts multiple `field` and `value` arguments."));
        table.Add("hsetnx", 4, "write denyoom fast", 1, 1, 1, "@hash", HSetNx, "hash", "Set the value of a hash field, only if the field does not exist", "2.0.0")
            .WithKeys("RW insert | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string value:string");
        table.Add("hmset", -4, "write denyoom fast", 1, 1, 1, "@hash", HMSet, "hash", "Set multiple hash fields to multiple values", "2.0.0", "O(N) where N is the number of fields being set.")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field_value:block*(field:string value:string)")
            .Deprecated("4.0.0", "`HSET` with multiple field-value pairs");
        table.Add("hget", 3, "readonly fast", 1, 1, 1, "@hash", HGet, "hash", "Get the value of a hash field", "2.0.0")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string");
        table.Add("hmget", -3, "readonly fast", 1, 1, 1, "@hash", HMGet, "hash", "Get the values of all the given hash fields", "2.0.0", "O(N) where N is the number of fields being requested.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string*");
        table.Add("hdel", -3, "write fast", 1, 1, 1, "@hash", HDel, "hash", "Delete one or more hash fields", "2.0.0", "O(N) where N is the number of fields to be removed.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string*")
            .WithHistory(("2.4.0", "Accepts multiple `field` arguments."));
        table.Add("hlen", 2, "readonly fast", 1, 1, 1, "@hash", HLen, "hash", "Get the number of fields in a hash", "2.0.0")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("hstrlen", 3, "readonly fast", 1, 1, 1, "@hash", HStrLen, "hash", "Get the length of the value of a hash field", "3.2.0")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string");
        table.Add("hexists", 3, "readonly fast", 1, 1, 1, "@hash", HExists, "hash", "Determine if a hash field exists", "2.0.0")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string");
        table.Add("hkeys", 2, "readonly", 1, 1, 1, "@hash", HKeys, "hash", "Get all the fields in a hash", "2.0.0", "O(N) where N is the size of the hash.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output_order")
            .WithArgs("key:key#0");
        table.Add("hvals", 2, "readonly", 1, 1, 1, "@hash", HVals, "hash", "Get all the values in a hash", "2.0.0", "O(N) where N is the size of the hash.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output_order")
            .WithArgs("key:key#0");
        table.Add("hgetall", 2, "readonly", 1, 1, 1, "@hash", HGetAll, "hash", "Get all the fields and values in a hash", "2.0.0", "O(N) where N is the size of the hash.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output_order")
            .WithArgs("key:key#0");
        table.Add("hincrby", 4, "write denyoom fast", 1, 1, 1, "@hash", HIncrBy, "hash", "Increment the integer value of a hash field by the given number", "2.0.0")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string increment:integer");
        table.Add("hincrbyfloat", 4, "write denyoom fast", 1, 1, 1, "@hash", HIncrByFloat, "hash", "Increment the float value of a hash field by the given amount", "2.6.0")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 field:string increment:double");
        table.Add("hrandfield", -2, "readonly", 1, 1, 1, "@hash", HRandField, "hash", "Get one or multiple random fields from a hash", "6.2.0", "O(N) where N is the number of fields returned")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0 options:block?(count:integer withvalues:pure-token=WITHVALUES?)");
        table.Add("hscan", -3, "readonly", 1, 1, 1, "@hash", HScan, "hash", "Incrementally iterate hash fields and associated values", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0 cursor:integer pattern:pattern=MATCH? count:integer=COUNT?");

        // Redis 7.4's hash field expiration (not in Redis 7.0; rows as 7.4's COMMAND INFO / DOCS).
        const string expireArgs = "key:key#0 {0}:{1} condition:oneof?(nx:pure-token=NX xx:pure-token=XX gt:pure-token=GT lt:pure-token=LT) fields:block=FIELDS(numfields:integer field:string*)";
        const string fieldsArgs = "key:key#0 fields:block=FIELDS(numfields:integer field:string*)";
        const string perField = "O(N) where N is the number of specified fields";
        table.Add("hexpire", -6, "write denyoom fast", 1, 1, 1, "@hash", HExpire, "hash", "Set expiry for hash field using relative time to expire (seconds)", "7.4.0", perField)
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs(string.Format(System.Globalization.CultureInfo.InvariantCulture, expireArgs, "seconds", "integer"));
        table.Add("hpexpire", -6, "write denyoom fast", 1, 1, 1, "@hash", HPExpire, "hash", "Set expiry for hash field using relative time to expire (milliseconds)", "7.4.0", perField)
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs(string.Format(System.Globalization.CultureInfo.InvariantCulture, expireArgs, "milliseconds", "integer"));
        table.Add("hexpireat", -6, "write denyoom fast", 1, 1, 1, "@hash", HExpireAt, "hash", "Set expiry for hash field using an absolute Unix timestamp (seconds)", "7.4.0", perField)
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs(string.Format(System.Globalization.CultureInfo.InvariantCulture, expireArgs, "unix-time-seconds", "unix-time"));
        table.Add("hpexpireat", -6, "write denyoom fast", 1, 1, 1, "@hash", HPExpireAt, "hash", "Set expiry for hash field using an absolute Unix timestamp (milliseconds)", "7.4.0", perField)
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs(string.Format(System.Globalization.CultureInfo.InvariantCulture, expireArgs, "unix-time-milliseconds", "unix-time"));
        table.Add("httl", -5, "readonly fast", 1, 1, 1, "@hash", HTtl, "hash", "Returns the TTL in seconds of a hash field.", "7.4.0", perField)
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs(fieldsArgs);
        table.Add("hpttl", -5, "readonly fast", 1, 1, 1, "@hash", HPTtl, "hash", "Returns the TTL in milliseconds of a hash field.", "7.4.0", perField)
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs(fieldsArgs);
        table.Add("hexpiretime", -5, "readonly fast", 1, 1, 1, "@hash", HExpireTime, "hash", "Returns the expiration time of a hash field as a Unix timestamp, in seconds.", "7.4.0", perField)
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs(fieldsArgs);
        table.Add("hpexpiretime", -5, "readonly fast", 1, 1, 1, "@hash", HPExpireTime, "hash", "Returns the expiration time of a hash field as a Unix timestamp, in msec.", "7.4.0", perField)
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs(fieldsArgs);
        table.Add("hpersist", -5, "write fast", 1, 1, 1, "@hash", HPersist, "hash", "Removes the expiration time for each specified field", "7.4.0", perField)
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs(fieldsArgs);
    }

    private static ReadOnlySpan<byte> HashValueNotInteger => "ERR hash value is not an integer"u8;

    private static ReadOnlySpan<byte> HashValueNotFloat => "ERR hash value is not a float"u8;

    private static ReadOnlySpan<byte> NaNOrInfinity => "ERR value is NaN or Infinity"u8;

    private static ReadOnlySpan<byte> IncrementNaNOrInfinity => "ERR increment would produce NaN or Infinity"u8;

    private static ReadOnlySpan<byte> ValueOutOfRange => "ERR value is out of range"u8;

    private static ReadOnlySpan<byte> CountOutOfRange => "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"u8;

    private static ReadOnlySpan<byte> FieldsMissing => "ERR Mandatory argument FIELDS is missing or not at the right position"u8;

    private static ReadOnlySpan<byte> NumFieldsNotPositive => "ERR Parameter `numFields` should be greater than 0"u8;

    private static ReadOnlySpan<byte> NumFieldsNotPositiveInteger => "ERR Number of fields must be a positive integer"u8;

    private static ReadOnlySpan<byte> NumFieldsMismatch => "ERR The `numfields` parameter must match the number of arguments"u8;

    private static ReadOnlySpan<byte> NegativeExpireTime => "ERR invalid expire time, must be >= 0"u8;

    // ---- lookups ---------------------------------------------------------------------------

    /// <summary>
    /// Redis's lookupKeyRead + checkType: the hash (null when missing), counted as a hit or miss;
    /// false after replying WRONGTYPE.
    /// </summary>
    private static bool TryRead(CommandContext c, out HashValue? hash)
    {
        var value = StringCommands.Read(c, c.Arg(1));
        if (value is null or HashValue)
        {
            hash = (HashValue?)value;
            return true;
        }

        hash = null;
        c.Reply.Error(Errors.WrongType);
        return false;
    }

    /// <summary>Redis's lookupKeyWrite + checkType; false after replying WRONGTYPE.</summary>
    private static bool TryWrite(CommandContext c, out HashValue? hash)
    {
        var db = c.Db;
        int index = db.Find(c.Arg(1), c.Now);
        if (index < 0)
        {
            hash = null;
            return true;
        }

        if (db.Table.ValueAt(index) is HashValue found)
        {
            hash = found;
            return true;
        }

        hash = null;
        c.Reply.Error(Errors.WrongType);
        return false;
    }

    /// <summary>Redis's hashTypeLookupWriteOrCreate: the hash, created (empty, listpack) when missing.</summary>
    private static bool TryWriteOrCreate(CommandContext c, out HashValue hash)
    {
        if (!TryWrite(c, out var found))
        {
            hash = null!;
            return false;
        }

        if (found is null)
        {
            found = HashValue.Create();
            c.Db.Add(c.Arg(1), found);
        }

        hash = found;
        return true;
    }

    /// <summary>Index of a live field; an expired one is deleted on the way (Redis 7.4 deletes it lazily).</summary>
    private static int FindLive(CommandContext c, HashValue hash, ReadOnlySpan<byte> field)
    {
        int index = hash.Find(field);
        if (index >= 0 && hash.IsExpired(index, c.Now))
        {
            hash.RemoveAt(index);
            c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hexpired"u8);
            return -1;
        }

        return index;
    }

    /// <summary>Deletes the key when its hash has no field left (an empty hash never stays).</summary>
    private static bool DeleteIfEmpty(CommandContext c, HashValue hash)
    {
        if (hash.Count != 0)
        {
            return false;
        }

        c.Db.Delete(c.Arg(1), c.Now);
        c.Modified(c.Arg(1), KeyspaceEvents.Generic, "del"u8);
        return true;
    }

    /// <summary>Drops expired fields before a whole-hash read; false (key deleted) when none is left.</summary>
    private static bool PurgeExpired(CommandContext c, HashValue hash)
    {
        if (hash.VolatileCount > 0 && hash.RemoveExpired(c.Now) > 0)
        {
            c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hexpired"u8);
        }

        return !DeleteIfEmpty(c, hash);
    }

    /// <summary>
    /// Redis 7.0's hashTypeTryConversion: any field or value longer than hash-max-listpack-value
    /// turns a listpack into a hashtable before the write.
    /// </summary>
    private static void ConvertForArguments(CommandContext c, HashValue hash, int first, int last)
    {
        if (!hash.IsListpack)
        {
            return;
        }

        int limit = c.Server.Config.HashMaxListpackValue;
        for (int i = first; i <= last; i++)
        {
            if (c.Arg(i).Length > limit)
            {
                hash.ConvertToHashtable();
                return;
            }
        }
    }

    /// <summary>Redis's hashTypeSet tail: a listpack past hash-max-listpack-entries becomes a hashtable.</summary>
    private static void ConvertForLength(CommandContext c, HashValue hash)
    {
        if (hash.IsListpack && hash.Count > c.Server.Config.HashMaxListpackEntries)
        {
            hash.ConvertToHashtable();
        }
    }

    // ---- writes ----------------------------------------------------------------------------

    private static void HSet(CommandContext c)
    {
        if (c.ArgCount % 2 == 1)
        {
            c.Reply.Error(Errors.WrongArgCount(c.Command.FullName));
            return;
        }

        if (!SetPairs(c, out int created))
        {
            return;
        }

        c.Reply.Integer(created);
    }

    private static void HMSet(CommandContext c)
    {
        if (c.ArgCount % 2 == 1)
        {
            c.Reply.Error(Errors.WrongArgCount(c.Command.FullName));
            return;
        }

        if (SetPairs(c, out _))
        {
            c.Reply.Ok();
        }
    }

    private static bool SetPairs(CommandContext c, out int created)
    {
        created = 0;
        if (!TryWriteOrCreate(c, out var hash))
        {
            return false;
        }

        ConvertForArguments(c, hash, 2, c.ArgCount - 1);
        if (hash.Count == 0)
        {
            int bytes = 0;
            for (int i = 2; i < c.ArgCount; i += 2)
            {
                bytes += HashValue.PackedSize(c.Arg(i), c.Arg(i + 1));
            }

            hash.Reserve(bytes);
        }

        for (int i = 2; i < c.ArgCount; i += 2)
        {
            // A field that had expired but was still stored counts as new, as in Redis 7.4.
            int existing = hash.Find(c.Arg(i));
            bool isNew = existing < 0 || hash.IsExpired(existing, c.Now);
            hash.Set(c.Arg(i), c.Arg(i + 1), existing);
            created += isNew ? 1 : 0;

            // hashTypeSet checks the length after an update too: a listpack left over the limit by
            // CONFIG SET hash-max-listpack-entries converts on its next write, new field or not.
            ConvertForLength(c, hash);
        }

        c.Dirty((c.ArgCount - 2) / 2);
        c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hset"u8);
        return true;
    }

    private static void HSetNx(CommandContext c)
    {
        if (!TryWriteOrCreate(c, out var hash))
        {
            return;
        }

        if (FindLive(c, hash, c.Arg(2)) >= 0)
        {
            c.Reply.Integer(0);
            return;
        }

        ConvertForArguments(c, hash, 2, 3);
        hash.Set(c.Arg(2), c.Arg(3));
        ConvertForLength(c, hash);
        c.Dirty();
        c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hset"u8);
        c.Reply.Integer(1);
    }

    private static void HDel(CommandContext c)
    {
        if (!TryWrite(c, out var hash))
        {
            return;
        }

        int deleted = 0;
        if (hash is not null)
        {
            for (int i = 2; i < c.ArgCount; i++)
            {
                int index = FindLive(c, hash, c.Arg(i));
                if (index >= 0)
                {
                    hash.RemoveAt(index);
                    deleted++;
                }

                if (hash.Count == 0)
                {
                    break;
                }
            }

            if (deleted > 0)
            {
                c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hdel"u8);
            }

            DeleteIfEmpty(c, hash);
        }

        c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    // HINCRBY key field increment, as Redis's hincrbyCommand: the increment is parsed before the key
    // is looked up; the field's TTL stays (Redis 7.4).
    private static void HIncrBy(CommandContext c)
    {
        if (!c.TryArgLong(3, out long increment) || !TryWriteOrCreate(c, out var hash))
        {
            return;
        }

        long current = 0;
        int index = FindLive(c, hash, c.Arg(2));
        if (index >= 0 && !RespNumber.TryParseInt64(hash.ValueAt(index), out current))
        {
            c.Reply.Error(HashValueNotInteger);
            return;
        }

        if ((increment < 0 && current < 0 && increment < long.MinValue - current) ||
            (increment > 0 && current > 0 && increment > long.MaxValue - current))
        {
            c.Reply.Error(Errors.Overflow);
            DeleteIfEmpty(c, hash);
            return;
        }

        long result = current + increment;
        Span<byte> text = stackalloc byte[24];
        text = text[..RespNumber.FormatInt64(result, text)];
        StoreCounter(c, hash, index, text);
        c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hincrby"u8);
        c.Reply.Integer(result);
    }

    private static void HIncrByFloat(CommandContext c)
    {
        if (!LongDouble.TryParse(c.Arg(3), out var increment))
        {
            c.Reply.Error(Errors.NotFloat);
            return;
        }

        if (increment.IsInfinity)
        {
            c.Reply.Error(NaNOrInfinity);
            return;
        }

        if (!TryWriteOrCreate(c, out var hash))
        {
            return;
        }

        var current = default(LongDouble);
        int index = FindLive(c, hash, c.Arg(2));
        if (index >= 0 && !LongDouble.TryParse(hash.ValueAt(index), out current))
        {
            c.Reply.Error(HashValueNotFloat);
            return;
        }

        var sum = LongDouble.Add(current, increment);
        if (sum.IsInfinity)
        {
            c.Reply.Error(IncrementNaNOrInfinity);
            DeleteIfEmpty(c, hash);
            return;
        }

        Span<byte> text = sum.MaxFormattedLength <= 64 ? stackalloc byte[64] : new byte[sum.MaxFormattedLength];
        text = text[..sum.FormatHuman(text)];
        StoreCounter(c, hash, index, text);
        c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hincrbyfloat"u8);
        c.Reply.Bulk(text);
    }

    private static void StoreCounter(CommandContext c, HashValue hash, int index, ReadOnlySpan<byte> text)
    {
        // Redis 7.0's hashTypeSet: a field or value past hash-max-listpack-value converts first
        // (HINCRBY* skip hashTypeTryConversion, so this is where their long fields and results convert).
        int limit = c.Server.Config.HashMaxListpackValue;
        if (hash.IsListpack && (c.Arg(2).Length > limit || text.Length > limit))
        {
            hash.ConvertToHashtable();
        }

        if (index >= 0)
        {
            hash.SetValueAt(index, text);
        }
        else
        {
            hash.Set(c.Arg(2), text);
        }

        ConvertForLength(c, hash);

        c.Dirty();
    }

    // ---- reads -----------------------------------------------------------------------------

    private static void HGet(CommandContext c)
    {
        if (!TryRead(c, out var hash))
        {
            return;
        }

        int index = hash is null ? -1 : FindLive(c, hash, c.Arg(2));
        if (index < 0)
        {
            c.Reply.NullBulk();
        }
        else
        {
            c.Reply.Bulk(hash!.ValueAt(index));
        }

        if (hash is not null)
        {
            DeleteIfEmpty(c, hash);
        }
    }

    private static void HMGet(CommandContext c)
    {
        if (!TryRead(c, out var hash))
        {
            return;
        }

        c.Reply.ArrayHeader(c.ArgCount - 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            int index = hash is null ? -1 : FindLive(c, hash, c.Arg(i));
            if (index < 0)
            {
                c.Reply.NullBulk();
            }
            else
            {
                c.Reply.Bulk(hash!.ValueAt(index));
            }
        }

        if (hash is not null)
        {
            DeleteIfEmpty(c, hash);
        }
    }

    // Redis 7.4's HLEN counts fields whose TTL passed but that no expiry has reclaimed yet.
    private static void HLen(CommandContext c)
    {
        if (TryRead(c, out var hash))
        {
            c.Reply.Integer(hash?.Count ?? 0);
        }
    }

    private static void HStrLen(CommandContext c)
    {
        if (!TryRead(c, out var hash))
        {
            return;
        }

        int index = hash is null ? -1 : FindLive(c, hash, c.Arg(2));
        c.Reply.Integer(index < 0 ? 0 : hash!.ValueAt(index).Length);
        if (hash is not null)
        {
            DeleteIfEmpty(c, hash);
        }
    }

    private static void HExists(CommandContext c)
    {
        if (!TryRead(c, out var hash))
        {
            return;
        }

        int index = hash is null ? -1 : FindLive(c, hash, c.Arg(2));
        c.Reply.Integer(index < 0 ? 0 : 1);
        if (hash is not null)
        {
            DeleteIfEmpty(c, hash);
        }
    }

    private static void HKeys(CommandContext c) => WriteAll(c, fields: true, values: false);

    private static void HVals(CommandContext c) => WriteAll(c, fields: false, values: true);

    private static void HGetAll(CommandContext c) => WriteAll(c, fields: true, values: true);

    // Redis's genericHgetallCommand: HGETALL is a map in RESP3 (empty map for a missing key), HKEYS and HVALS arrays.
    private static void WriteAll(CommandContext c, bool fields, bool values)
    {
        if (!TryRead(c, out var hash))
        {
            return;
        }

        if (hash is null || !PurgeExpired(c, hash))
        {
            if (fields && values)
            {
                c.Reply.MapHeader(0);
            }
            else
            {
                c.Reply.ArrayHeader(0);
            }

            return;
        }

        if (fields && values)
        {
            c.Reply.MapHeader(hash.Count);
        }
        else
        {
            c.Reply.ArrayHeader(hash.Count);
        }

        int limit = hash.IndexLimit;
        for (int i = 0; i < limit; i++)
        {
            if (!hash.IsLive(i))
            {
                continue;
            }

            if (fields)
            {
                c.Reply.Bulk(hash.FieldAt(i));
            }

            if (values)
            {
                c.Reply.Bulk(hash.ValueAt(i));
            }
        }
    }

    // HRANDFIELD key [count [WITHVALUES]], as Redis 7.0's hrandfieldCommand and hrandfieldWithCountCommand.
    private static void HRandField(CommandContext c)
    {
        if (c.ArgCount == 2)
        {
            if (!TryRead(c, out var single))
            {
                return;
            }

            if (single is null || !PurgeExpired(c, single))
            {
                c.Reply.NullBulk();
                return;
            }

            c.Reply.Bulk(single.FieldAt(single.RandomIndex(Random.Shared)));
            return;
        }

        if (!c.TryArgLong(2, out long count))
        {
            return;
        }

        if (count == long.MinValue)
        {
            c.Reply.Error(CountOutOfRange);
            return;
        }

        bool withValues = false;
        if (c.ArgCount > 4 || (c.ArgCount == 4 && !c.ArgIs(3, "withvalues"u8)))
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (c.ArgCount == 4)
        {
            withValues = true;
            if (count < -(long.MaxValue / 2) || count > long.MaxValue / 2)
            {
                c.Reply.Error(ValueOutOfRange);
                return;
            }
        }

        if (!TryRead(c, out var hash))
        {
            return;
        }

        if (hash is null || !PurgeExpired(c, hash) || count == 0)
        {
            c.Reply.ArrayHeader(0);
            return;
        }

        bool resp3Pairs = withValues && c.Reply.IsResp3;
        int size = hash.Count;

        // CASE 1: a negative count (repeats allowed) or 1: independent random picks.
        if (count < 0 || count == 1)
        {
            long picks = count < 0 ? -count : 1;
            c.Reply.ArrayHeader(withValues && !resp3Pairs ? picks * 2 : picks);
            for (long n = 0; n < picks; n++)
            {
                WritePick(c, hash, hash.RandomIndex(Random.Shared), withValues, resp3Pairs);
            }

            return;
        }

        long replySize = Math.Min(count, size);
        c.Reply.ArrayHeader(withValues && !resp3Pairs ? replySize * 2 : replySize);

        // CASE 2: the whole hash, in its order.
        if (count >= size)
        {
            int limit = hash.IndexLimit;
            for (int i = 0; i < limit; i++)
            {
                if (hash.IsLive(i))
                {
                    WritePick(c, hash, i, withValues, resp3Pairs);
                }
            }

            return;
        }

        // CASES 3 and 4: distinct random fields. Close to the size, shuffle every index and take a
        // prefix; far below it, draw and drop repeats.
        if (count * 3 > size)
        {
            int[] indices = ArrayPool<int>.Shared.Rent(size);
            try
            {
                int n = 0;
                int limit = hash.IndexLimit;
                for (int i = 0; i < limit; i++)
                {
                    if (hash.IsLive(i))
                    {
                        indices[n++] = i;
                    }
                }

                for (int k = 0; k < count; k++)
                {
                    int j = Random.Shared.Next(k, n);
                    (indices[k], indices[j]) = (indices[j], indices[k]);
                    WritePick(c, hash, indices[k], withValues, resp3Pairs);
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(indices);
            }

            return;
        }

        var seen = new HashSet<int>((int)count);
        while (seen.Count < count)
        {
            int index = hash.RandomIndex(Random.Shared);
            if (seen.Add(index))
            {
                WritePick(c, hash, index, withValues, resp3Pairs);
            }
        }
    }

    private static void WritePick(CommandContext c, HashValue hash, int index, bool withValues, bool resp3Pairs)
    {
        if (resp3Pairs)
        {
            c.Reply.ArrayHeader(2);
        }

        c.Reply.Bulk(hash.FieldAt(index));
        if (withValues)
        {
            c.Reply.Bulk(hash.ValueAt(index));
        }
    }

    // HSCAN key cursor [MATCH pattern] [COUNT count], as Redis 7.0's hscanCommand: the cursor is
    // checked first, then the key (a missing key is an empty scan whatever the options), then the
    // options. A listpack is returned whole with cursor 0, as Redis does.
    private static void HScan(CommandContext c)
    {
        if (!KeyCommands.TryParseCursor(c.Arg(2), out ulong cursor))
        {
            c.Reply.Error(Errors.InvalidCursor);
            return;
        }

        if (!TryRead(c, out var hash))
        {
            return;
        }

        if (hash is null)
        {
            WriteEmptyScan(c);
            return;
        }

        if (!ScanOptions.TryParse(c, 3, out long count, out int patternArg))
        {
            return;
        }

        if (!PurgeExpired(c, hash))
        {
            WriteEmptyScan(c);
            return;
        }

        var pattern = patternArg > 0 ? c.Arg(patternArg) : default;
        bool usePattern = patternArg > 0 && !GlobMatcher.MatchesAll(pattern);
        int limit = hash.IndexLimit;
        int start, end;
        if (hash.IsListpack)
        {
            start = 0;
            end = limit;
        }
        else
        {
            start = cursor >= (ulong)limit ? limit : (int)cursor;
            // Redis stops after COUNT elements or COUNT*10 empty buckets; free entries play the buckets' part.
            // (COUNT is clamped first: COUNT*10 of a COUNT near LONG_MAX overflowed to a negative budget
            // that answered the same cursor forever.)
            long budget = Math.Min(count, limit) * 10;
            long wanted = count;
            end = start;
            for (long examined = 0; end < limit && examined < wanted && budget > 0; end++, budget--)
            {
                if (hash.IsLive(end))
                {
                    examined++;
                }
            }
        }

        int matched = 0;
        for (int i = start; i < end; i++)
        {
            if (hash.IsLive(i) && (!usePattern || GlobMatcher.IsMatch(pattern, hash.FieldAt(i))))
            {
                matched++;
            }
        }

        c.Reply.ArrayHeader(2);
        c.Reply.BulkInteger(end >= limit ? 0 : end);
        c.Reply.ArrayHeader(matched * 2L);
        for (int i = start; i < end; i++)
        {
            if (hash.IsLive(i) && (!usePattern || GlobMatcher.IsMatch(pattern, hash.FieldAt(i))))
            {
                c.Reply.Bulk(hash.FieldAt(i));
                c.Reply.Bulk(hash.ValueAt(i));
            }
        }
    }

    private static void WriteEmptyScan(CommandContext c)
    {
        c.Reply.ArrayHeader(2);
        c.Reply.Bulk("0"u8);
        c.Reply.ArrayHeader(0);
    }

    // ---- field expiry (Redis 7.4) ------------------------------------------------------------

    private static void HExpire(CommandContext c) => ExpireFields(c, c.Now, 1000);

    private static void HPExpire(CommandContext c) => ExpireFields(c, c.Now, 1);

    private static void HExpireAt(CommandContext c) => ExpireFields(c, 0, 1000);

    private static void HPExpireAt(CommandContext c) => ExpireFields(c, 0, 1);

    [Flags]
    private enum Condition
    {
        None = 0,
        Nx = 1,
        Xx = 2,
        Gt = 4,
        Lt = 8,
    }

    // Redis 7.4's hexpireGenericCommand: key (WRONGTYPE first), then the time (an integer, >= 0, the
    // absolute time at most HFE_MAX_ABS_TIME_MSEC), an optional NX|XX|GT|LT, FIELDS, numfields >= 1
    // matching the count of what follows. Per field: -2 no such field, 0 condition not met, 1 set,
    // 2 deleted because the time is not in the future. A field without TTL counts as an infinite
    // TTL for GT and LT, as Redis's hashTypeSetEx.
    private static void ExpireFields(CommandContext c, long basetime, long unit)
    {
        if (!TryWrite(c, out var hash))
        {
            return;
        }

        if (!c.TryArgLong(2, out long expire))
        {
            return;
        }

        if (expire < 0)
        {
            c.Reply.Error(NegativeExpireTime);
            return;
        }

        if ((unit == 1000 && expire > MaxFieldExpiry / 1000) || expire * unit > MaxFieldExpiry - basetime)
        {
            c.Reply.Error(Errors.InvalidExpireTime(c.Command.FullName));
            return;
        }

        long expireAt = (expire * unit) + basetime;
        var condition = Condition.None;
        int fieldsAt = 3;
        if (c.ArgIs(3, "nx"u8))
        {
            condition = Condition.Nx;
        }
        else if (c.ArgIs(3, "xx"u8))
        {
            condition = Condition.Xx;
        }
        else if (c.ArgIs(3, "gt"u8))
        {
            condition = Condition.Gt;
        }
        else if (c.ArgIs(3, "lt"u8))
        {
            condition = Condition.Lt;
        }

        if (condition != Condition.None)
        {
            fieldsAt++;
        }

        if (!TryParseFields(c, fieldsAt, NumFieldsNotPositive, out int first, out int numFields))
        {
            return;
        }

        c.Reply.ArrayHeader(numFields);
        if (hash is null)
        {
            WriteNoFields(c, numFields);
            return;
        }

        hash.IsListpackEx |= hash.IsListpack;
        int changed = 0, expired = 0;
        for (int i = 0; i < numFields; i++)
        {
            int index = FindLive(c, hash, c.Arg(first + i));
            if (index < 0)
            {
                c.Reply.Integer(-2);
                continue;
            }

            long previous = hash.ExpiryAt(index);
            bool met = condition switch
            {
                Condition.Nx => previous == 0,
                Condition.Xx => previous != 0,
                Condition.Gt => previous != 0 && expireAt > previous,
                Condition.Lt => previous == 0 || expireAt < previous,
                _ => true,
            };
            if (!met)
            {
                c.Reply.Integer(0);
                continue;
            }

            changed++;
            // Redis's checkAlreadyExpired: a time at or before now deletes the field.
            if (c.AlreadyExpired(expireAt))
            {
                hash.RemoveAt(index);
                expired++;
                c.Reply.Integer(2);
                continue;
            }

            hash.SetExpiry(index, expireAt);
            c.Reply.Integer(1);
        }

        if (hash.VolatileCount > 0)
        {
            c.Db.VolatileHashes.Add(c.Arg(1));
        }

        c.Dirty(changed);

        // Redis 7.4: "hexpire" once when a TTL was set in the future, "hexpired" once when a time
        // already past deleted fields, "del" when that emptied the hash.
        if (changed > expired)
        {
            c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hexpire"u8);
        }

        if (expired > 0)
        {
            c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hexpired"u8);
        }

        DeleteIfEmpty(c, hash);
    }

    private static void HTtl(CommandContext c) => FieldTimes(c, c.Now, 1000);

    private static void HPTtl(CommandContext c) => FieldTimes(c, c.Now, 1);

    private static void HExpireTime(CommandContext c) => FieldTimes(c, 0, 1000);

    private static void HPExpireTime(CommandContext c) => FieldTimes(c, 0, 1);

    // Redis 7.4's httlGenericCommand: -2 no such field (or expired), -1 no TTL; seconds round up.
    private static void FieldTimes(CommandContext c, long basetime, long unit)
    {
        if (!TryRead(c, out var hash) || !TryParseFields(c, 2, NumFieldsNotPositiveInteger, out int first, out int numFields))
        {
            return;
        }

        c.Reply.ArrayHeader(numFields);
        if (hash is null)
        {
            WriteNoFields(c, numFields);
            return;
        }

        for (int i = 0; i < numFields; i++)
        {
            int index = hash.Find(c.Arg(first + i));
            if (index < 0 || hash.IsExpired(index, c.Now))
            {
                c.Reply.Integer(-2);
                continue;
            }

            long expireAt = hash.ExpiryAt(index);
            if (expireAt == 0)
            {
                c.Reply.Integer(-1);
            }
            else
            {
                c.Reply.Integer(unit == 1000 ? (expireAt + 999 - basetime) / 1000 : expireAt - basetime);
            }
        }
    }

    // Redis 7.4's hpersistCommand: -2 no such field, -1 no TTL, 1 TTL removed.
    private static void HPersist(CommandContext c)
    {
        if (!TryWrite(c, out var hash) || !TryParseFields(c, 2, NumFieldsNotPositiveInteger, out int first, out int numFields))
        {
            return;
        }

        c.Reply.ArrayHeader(numFields);
        if (hash is null)
        {
            WriteNoFields(c, numFields);
            return;
        }

        int changed = 0;
        for (int i = 0; i < numFields; i++)
        {
            int index = FindLive(c, hash, c.Arg(first + i));
            if (index < 0)
            {
                c.Reply.Integer(-2);
            }
            else if (hash.ExpiryAt(index) == 0)
            {
                c.Reply.Integer(-1);
            }
            else
            {
                hash.SetExpiry(index, 0);
                changed++;
                c.Reply.Integer(1);
            }
        }

        c.Dirty(changed);
        if (changed > 0)
        {
            c.Modified(c.Arg(1), KeyspaceEvents.Hash, "hpersist"u8);
        }

        DeleteIfEmpty(c, hash);
    }

    /// <summary>FIELDS numfields field...: the keyword at <paramref name="at"/>, then a count that matches what follows.</summary>
    private static bool TryParseFields(CommandContext c, int at, ReadOnlySpan<byte> notPositive, out int first, out int numFields)
    {
        first = at + 2;
        numFields = 0;
        if (at >= c.ArgCount || !c.ArgIs(at, "fields"u8))
        {
            c.Reply.Error(FieldsMissing);
            return false;
        }

        if (at + 1 >= c.ArgCount || !RespNumber.TryParseInt64(c.Arg(at + 1), out long count) || count < 1)
        {
            c.Reply.Error(notPositive);
            return false;
        }

        if (count != c.ArgCount - first)
        {
            c.Reply.Error(NumFieldsMismatch);
            return false;
        }

        numFields = (int)count;
        return true;
    }

    private static void WriteNoFields(CommandContext c, int numFields)
    {
        for (int i = 0; i < numFields; i++)
        {
            c.Reply.Integer(-2);
        }
    }
}
