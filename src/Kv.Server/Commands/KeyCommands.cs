using System.Buffers;
using System.Text;
using Kv.Server.Configuration;
using Kv.Server.Storage;
using Kv.Server.Text;

namespace Kv.Server.Commands;

/// <summary>
/// Generic key commands: DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME, RENAMENX, COPY, MOVE, KEYS, SCAN,
/// RANDOMKEY. Expiry lives in <see cref="ExpireCommands"/>, OBJECT in <see cref="ObjectCommands"/>.
/// </summary>
internal static class KeyCommands
{
    // Redis's SCAN default COUNT.
    private const long DefaultScanCount = 10;

    public static void Register(CommandTable table)
    {
        table.Add("del", -2, "write", 1, -1, 1, "@keyspace", Del, "generic", "Delete a key", "1.0.0", "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).")
            .WithKeys("RM delete | index 1 | range -1 1 0")
            .WithTips("request_policy:multi_shard", "response_policy:agg_sum")
            .WithArgs("key:key#0*");
        table.Add("unlink", -2, "write fast", 1, -1, 1, "@keyspace", Del, "generic", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "4.0.0", "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.")
            .WithKeys("RM delete | index 1 | range -1 1 0")
            .WithTips("request_policy:multi_shard", "response_policy:agg_sum")
            .WithArgs("key:key#0*");
        table.Add("exists", -2, "readonly fast", 1, -1, 1, "@keyspace", Exists, "generic", "Determine if a key exists", "1.0.0", "O(N) where N is the number of keys to check.")
            .WithKeys("RO | index 1 | range -1 1 0")
            .WithTips("request_policy:multi_shard", "response_policy:agg_sum")
            .WithArgs("key:key#0*")
            .WithHistory(("3.0.3", "Accepts multiple `key` arguments."));
        table.Add("type", 2, "readonly fast", 1, 1, 1, "@keyspace", Type, "generic", "Determine the type stored at key")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("touch", -2, "readonly fast", 1, -1, 1, "@keyspace", Touch, "generic", "Alters the last access time of a key(s). Returns the number of existing keys specified.", "3.2.1", "O(N) where N is the number of keys that will be touched.")
            .WithKeys("RO | index 1 | range -1 1 0")
            .WithTips("request_policy:multi_shard", "response_policy:agg_sum")
            .WithArgs("key:key#0*");
        table.Add("rename", 3, "write", 1, 2, 1, "@keyspace", Rename, "generic", "Rename a key")
            .WithKeys("RW access delete | index 1 | range 0 1 0", "OW update | index 2 | range 0 1 0")
            .WithArgs("key:key#0 newkey:key#1");
        table.Add("renamenx", 3, "write fast", 1, 2, 1, "@keyspace", RenameNx, "generic", "Rename a key, only if the new key does not exist")
            .WithKeys("RW access delete | index 1 | range 0 1 0", "OW insert | index 2 | range 0 1 0")
            .WithArgs("key:key#0 newkey:key#1")
            .WithHistory(("3.2.0", "The command no longer returns an error when source and destination names are the same."));
        table.Add("copy", -3, "write denyoom", 1, 2, 1, "@keyspace", Copy, "generic", "Copy a key", "6.2.0", "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.")
            .WithKeys("RO access | index 1 | range 0 1 0", "OW update | index 2 | range 0 1 0")
            .WithArgs("source:key#0 destination:key#1 destination-db:integer=DB? replace:pure-token=REPLACE?");
        table.Add("move", 3, "write fast", 1, 1, 1, "@keyspace", Move, "generic", "Move a key to another database")
            .WithKeys("RW access update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 db:integer");
        table.Add("keys", 2, "readonly", 0, 0, 0, "@keyspace @dangerous", Keys, "generic", "Find all keys matching the given pattern", "1.0.0", "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.")
            .WithTips("request_policy:all_shards", "nondeterministic_output_order")
            .WithArgs("pattern:pattern");
        table.Add("scan", -2, "readonly", 0, 0, 0, "@keyspace", Scan, "generic", "Incrementally iterate the keys space", "2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.")
            .WithTips("nondeterministic_output", "request_policy:special")
            .WithArgs("cursor:integer pattern:pattern=MATCH? count:integer=COUNT? type:string=TYPE@6.0.0?")
            .WithHistory(("6.0.0", "Added the `TYPE` subcommand."));
        table.Add("randomkey", 1, "readonly", 0, 0, 0, "@keyspace", RandomKey, "generic", "Return a random key from the keyspace")
            .WithTips("request_policy:all_shards", "nondeterministic_output");
    }

    // DEL and UNLINK: a dropped value is freed by the GC either way, so UNLINK never blocks anyway.
    private static void Del(CommandContext c)
    {
        var db = c.Db;
        long deleted = 0;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (db.Delete(c.Arg(i), c.Now))
            {
                deleted++;
                c.Modified(c.Arg(i), KeyspaceEvents.Generic, "del"u8);
            }
        }

        c.Dirty(deleted);
        c.Reply.Integer(deleted);
    }

    // EXISTS counts a key once per mention: EXISTS k k replies 2.
    private static void Exists(CommandContext c)
    {
        var db = c.Db;
        long found = 0;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (db.Peek(c.Arg(i), c.Now) >= 0)
            {
                found++;
            }
        }

        CountLookups(c, found, c.ArgCount - 1 - found);
        c.Reply.Integer(found);
    }

    private static void Type(CommandContext c)
    {
        var db = c.Db;
        int index = db.Peek(c.Arg(1), c.Now);
        CountLookups(c, index >= 0 ? 1 : 0, index >= 0 ? 0 : 1);
        c.Reply.SimpleString(index >= 0 ? db.Table.TypeNameAt(index) : ValueTypes.NameOf(null));
    }

    private static void Touch(CommandContext c)
    {
        var db = c.Db;
        long found = 0;
        for (int i = 1; i < c.ArgCount; i++)
        {
            if (db.Find(c.Arg(i), c.Now) >= 0)
            {
                found++;
            }
        }

        CountLookups(c, found, c.ArgCount - 1 - found);
        c.Reply.Integer(found);
    }

    private static void Rename(CommandContext c) => RenameKey(c, onlyIfAbsent: false);

    private static void RenameNx(CommandContext c) => RenameKey(c, onlyIfAbsent: true);

    // Redis's renameGenericCommand: a missing source is an error even when both names are the same;
    // renaming a key to itself changes nothing (RENAME replies OK, RENAMENX 0). The value and TTL move.
    private static void RenameKey(CommandContext c, bool onlyIfAbsent)
    {
        var db = c.Db;
        var source = c.Arg(1);
        var destination = c.Arg(2);
        int sourceIndex = db.Find(source, c.Now);
        if (sourceIndex < 0)
        {
            c.Reply.Error(Errors.NoSuchKey);
            return;
        }

        if (source.SequenceEqual(destination))
        {
            ReplyRenamed(c, onlyIfAbsent, renamed: false);
            return;
        }

        var table = db.Table;
        int destinationIndex = db.Find(destination, c.Now);
        if (destinationIndex >= 0)
        {
            if (onlyIfAbsent)
            {
                ReplyRenamed(c, onlyIfAbsent, renamed: false);
                return;
            }

            table.RemoveAt(destinationIndex);
        }

        // Take what moves before removing the source: its slot may be reused by the Add below.
        object value = table.ValueAt(sourceIndex);
        long expiresAt = table.ExpiresAt(sourceIndex);
        table.RemoveAt(sourceIndex, keepValue: true);
        int added = db.Add(destination, value);
        if (expiresAt != 0)
        {
            table.SetExpiry(added, expiresAt);
        }

        c.Dirty();
        c.Modified(source, KeyspaceEvents.Generic, "rename_from"u8);
        c.Modified(destination, KeyspaceEvents.Generic, "rename_to"u8);
        ReplyRenamed(c, onlyIfAbsent, renamed: true);
    }

    private static void ReplyRenamed(CommandContext c, bool onlyIfAbsent, bool renamed)
    {
        if (onlyIfAbsent)
        {
            c.Reply.Integer(renamed ? 1 : 0);
        }
        else
        {
            c.Reply.Ok();
        }
    }

    // COPY source destination [DB index] [REPLACE], as Redis's copyCommand: options first, then the
    // same-key check, then the lookups. The copy shares nothing with the source and keeps its TTL.
    private static void Copy(CommandContext c)
    {
        var source = c.Db;
        var target = source;
        bool replace = false;
        for (int i = 3; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "replace"u8))
            {
                replace = true;
            }
            else if (c.ArgIs(i, "db"u8) && i + 1 < c.ArgCount)
            {
                if (!TryArgDb(c, ++i, out var db))
                {
                    return;
                }

                target = db;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var key = c.Arg(1);
        var newKey = c.Arg(2);
        if (source == target && key.SequenceEqual(newKey))
        {
            c.Reply.Error(Errors.SameObject);
            return;
        }

        int index = source.Find(key, c.Now);
        CountLookups(c, index >= 0 ? 1 : 0, index >= 0 ? 0 : 1);
        if (index < 0)
        {
            c.Reply.Integer(0);
            return;
        }

        int existing = target.Find(newKey, c.Now);
        if (existing >= 0)
        {
            if (!replace)
            {
                c.Reply.Integer(0);
                return;
            }

            target.Table.RemoveAt(existing);
        }

        // Read the source before Add: growing the table (same database) would move the entry array.
        long expiresAt = source.Table.ExpiresAt(index);
        object copy = ValueTypes.Clone(source.Table.ValueAt(index));
        int added = target.Add(newKey, copy);
        if (expiresAt != 0)
        {
            target.Table.SetExpiry(added, expiresAt);
        }

        c.Dirty();
        c.Modified(target, newKey, KeyspaceEvents.Generic, "copy_to"u8);
        c.Reply.Integer(1);
    }

    // MOVE key db, as Redis's moveCommand: the index is checked before the key is looked up.
    private static void Move(CommandContext c)
    {
        if (!TryArgDb(c, 2, out var target))
        {
            return;
        }

        var source = c.Db;
        if (target == source)
        {
            c.Reply.Error(Errors.SameObject);
            return;
        }

        var key = c.Arg(1);
        int index = source.Find(key, c.Now);
        if (index < 0 || target.Find(key, c.Now) >= 0)
        {
            c.Reply.Integer(0);
            return;
        }

        object value = source.Table.ValueAt(index);
        long expiresAt = source.Table.ExpiresAt(index);
        source.Table.RemoveAt(index, keepValue: true);
        int added = target.Add(key, value);
        if (expiresAt != 0)
        {
            target.Table.SetExpiry(added, expiresAt);
        }

        c.Dirty();
        c.Modified(source, key, KeyspaceEvents.Generic, "move_from"u8);
        c.Modified(target, key, KeyspaceEvents.Generic, "move_to"u8);
        c.Reply.Integer(1);
    }

    /// <summary>Parses a database index argument with Redis's errors (getIntFromObjectOrReply, then selectDb).</summary>
    private static bool TryArgDb(CommandContext c, int arg, out Database db)
    {
        db = null!;
        if (!c.TryArgLong(arg, out long id))
        {
            return false;
        }

        if (id is < int.MinValue or > int.MaxValue)
        {
            c.Reply.Error(Errors.IntOutOfRange);
            return false;
        }

        var databases = c.Keyspace.Databases;
        if (id < 0 || id >= databases.Length)
        {
            c.Reply.Error(Errors.DbIndexOutOfRange);
            return false;
        }

        db = databases[id];
        return true;
    }

    // KEYS pattern: like Redis it skips expired keys without deleting them.
    private static void Keys(CommandContext c)
    {
        var db = c.Db;
        var table = db.Table;
        var pattern = c.Arg(1);
        bool all = GlobMatcher.MatchesAll(pattern);
        int[] found = ArrayPool<int>.Shared.Rent(Math.Max(table.Count, 1));
        int count = 0;
        try
        {
            for (int i = 0; i < table.IndexLimit; i++)
            {
                ref var entry = ref table.At(i);
                if (!entry.IsFree && (all || GlobMatcher.IsMatch(pattern, entry.Key)) && !db.IsExpired(i, c.Now))
                {
                    found[count++] = i;
                }
            }

            c.Reply.ArrayHeader(count);
            for (int i = 0; i < count; i++)
            {
                c.Reply.Bulk(table.At(found[i]).Key);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(found);
        }
    }

    // SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is an entry index of the key
    // table, and entries never move while they live, so a key present for the whole iteration is
    // returned (exactly once); keys added or deleted meanwhile may or may not be. COUNT bounds the
    // entries examined per call (before MATCH and TYPE filter them), as in Redis.
    private static void Scan(CommandContext c)
    {
        if (!TryParseCursor(c.Arg(1), out ulong cursor))
        {
            c.Reply.Error(Errors.InvalidCursor);
            return;
        }

        long count = DefaultScanCount;
        int patternArg = -1, typeArg = -1;
        for (int i = 2; i < c.ArgCount; i++)
        {
            bool hasValue = i + 1 < c.ArgCount;
            if (c.ArgIs(i, "count"u8) && hasValue)
            {
                if (!c.TryArgLong(++i, out count))
                {
                    return;
                }

                if (count < 1)
                {
                    c.Reply.Error(Errors.Syntax);
                    return;
                }
            }
            else if (c.ArgIs(i, "match"u8) && hasValue)
            {
                patternArg = ++i;
            }
            else if (c.ArgIs(i, "type"u8) && hasValue)
            {
                typeArg = ++i;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var db = c.Db;
        var table = db.Table;
        var pattern = patternArg > 0 ? c.Arg(patternArg) : default;
        bool usePattern = patternArg > 0 && !GlobMatcher.MatchesAll(pattern);
        var typeName = typeArg > 0 ? c.Arg(typeArg) : default;
        int limit = table.IndexLimit;
        int index = cursor >= (ulong)limit ? limit : (int)cursor;

        // Redis stops after COUNT keys or COUNT*10 empty buckets; free entries play the buckets' part.
        long wanted = Math.Min(count, limit);
        long budget = Math.Min(count, limit) * 10;
        int[] found = ArrayPool<int>.Shared.Rent((int)Math.Max(wanted, 1));
        int foundCount = 0;
        try
        {
            long examined = 0;
            for (; index < limit && examined < wanted && budget > 0; index++, budget--)
            {
                ref var entry = ref table.At(index);
                if (entry.IsFree)
                {
                    continue;
                }

                examined++;
                if (usePattern && !GlobMatcher.IsMatch(pattern, entry.Key))
                {
                    continue;
                }

                if (typeArg > 0 && !Ascii.EqualsIgnoreCase(typeName, table.TypeNameAt(index)))
                {
                    continue;
                }

                // Redis deletes the expired keys it meets (expireIfNeeded); their entries are freed in place.
                if (db.IsExpired(index, c.Now))
                {
                    db.Expire(index);
                    continue;
                }

                found[foundCount++] = index;
            }

            c.Reply.ArrayHeader(2);
            c.Reply.BulkInteger(index >= limit ? 0 : index);
            c.Reply.ArrayHeader(foundCount);
            for (int i = 0; i < foundCount; i++)
            {
                c.Reply.Bulk(table.At(found[i]).Key);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(found);
        }
    }

    /// <summary>
    /// Redis's parseScanCursorOrReply, which uses strtoul: no leading space, an optional sign (a
    /// negative cursor wraps around), decimal digits to the end, no overflow; an empty cursor is 0.
    /// </summary>
    internal static bool TryParseCursor(ReadOnlySpan<byte> text, out ulong cursor)
    {
        cursor = 0;
        if (text.IsEmpty)
        {
            return true;
        }

        bool negative = false;
        int i = 0;
        if (text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == (byte)'-';
            i = 1;
        }

        if (i == text.Length)
        {
            return false;
        }

        ulong value = 0;
        for (; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - '0');
            if (digit > 9 || value > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
        }

        cursor = negative ? 0 - value : value;
        return true;
    }

    // Redis's dbRandomKey: an expired pick is deleted and another drawn.
    private static void RandomKey(CommandContext c)
    {
        var db = c.Db;
        var table = db.Table;
        while (true)
        {
            int index = table.RandomIndex(Random.Shared);
            if (index < 0)
            {
                c.Reply.NullBulk();
                return;
            }

            if (db.IsExpired(index, c.Now))
            {
                db.Expire(index);
                continue;
            }

            c.Reply.Bulk(table.At(index).Key);
            return;
        }
    }

    /// <summary>Counts read lookups for INFO's keyspace_hits and keyspace_misses, as Redis's lookupKeyRead does.</summary>
    internal static void CountLookups(CommandContext c, long hits, long misses)
    {
        var stats = c.Keyspace.Stats;
        stats.KeyspaceHits += hits;
        stats.KeyspaceMisses += misses;
    }
}
