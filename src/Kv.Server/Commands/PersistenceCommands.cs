using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Persistence.Rdb;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>RDB snapshots and value serialization: SAVE, BGSAVE, LASTSAVE, DUMP, RESTORE.</summary>
internal static class PersistenceCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("save", 1, "admin noscript no_async_loading no_multi", 0, 0, 0, "@admin @slow @dangerous", Save, "server", "Synchronously save the dataset to disk", "1.0.0", "O(N) where N is the total number of keys in all databases");
        table.Add("bgsave", -1, "admin noscript no_async_loading", 0, 0, 0, "@admin @slow @dangerous", BgSave, "server", "Asynchronously save the dataset to disk", "1.0.0", "O(1)")
            .WithArgs("schedule:pure-token=SCHEDULE@3.2.2?")
            .WithHistory(("3.2.2", "Added the `SCHEDULE` option."));
        table.Add("lastsave", 1, "loading stale fast", 0, 0, 0, "@admin @fast @dangerous", LastSave, "server", "Get the UNIX time stamp of the last successful save to disk", "1.0.0", "O(1)")
            .WithTips("nondeterministic_output");
        table.Add("dump", 2, "readonly", 1, 1, 1, "@keyspace @read @slow", Dump, "generic", "Return a serialized version of the value stored at the specified key.", "2.6.0",
                "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithTips("nondeterministic_output")
            .WithArgs("key:key#0");
        table.Add("restore", -4, "write denyoom", 1, 1, 1, "@keyspace @write @slow @dangerous", Restore, "generic", "Create a key using the provided serialized value, previously obtained using DUMP.", "2.6.0",
                "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).")
            .WithKeys("OW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 ttl:integer serialized-value:string replace:pure-token=REPLACE@3.0.0? absttl:pure-token=ABSTTL@5.0.0? seconds:integer=IDLETIME@5.0.0? frequency:integer=FREQ@5.0.0?")
            .WithHistory(("3.0.0", "Added the `REPLACE` modifier."), ("5.0.0", "Added the `ABSTTL` modifier."), ("5.0.0", "Added the `IDLETIME` and `FREQ` options."));
    }

    // SAVE: rdbSave in the foreground; refused while a BGSAVE runs (Redis: "Background save already in progress").
    private static void Save(CommandContext c)
    {
        var rdb = c.Server.Rdb;
        if (rdb.InProgress)
        {
            c.Reply.Error("ERR Background save already in progress");
            return;
        }

        if (rdb.SaveForeground() is null)
        {
            c.Reply.Ok();
        }
        else
        {
            c.Reply.Error("ERR");
        }
    }

    // BGSAVE [SCHEDULE], as Redis 7.0's bgsaveCommand (inside MULTI a BGSAVE is scheduled, as with server.in_exec).
    private static void BgSave(CommandContext c)
    {
        bool schedule = false;
        if (c.ArgCount > 1)
        {
            if (c.ArgCount == 2 && c.ArgIs(1, "schedule"u8))
            {
                schedule = true;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var rdb = c.Server.Rdb;
        if (rdb.InProgress)
        {
            c.Reply.Error("ERR Background save already in progress");
        }
        else if (c.Server.Aof.Rewrite.InProgress || c.InTransaction)
        {
            if (schedule || c.InTransaction)
            {
                rdb.Schedule();
                c.Reply.SimpleString("Background saving scheduled"u8);
            }
            else
            {
                c.Reply.Error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
            }
        }
        else
        {
            rdb.StartBackground();
            c.Reply.SimpleString("Background saving started"u8);
        }
    }

    private static void LastSave(CommandContext c) => c.Reply.Integer(c.Server.Rdb.LastSave);

    // DUMP key: the value as rdbSaveObjectType + rdbSaveObject, then the RDB version (2 bytes, little
    // endian) and a CRC64 of everything before it (createDumpPayload). Null for a missing key.
    private static void Dump(CommandContext c)
    {
        var db = c.Db;
        int index = db.Find(c.Arg(1), c.Now);
        if (index < 0)
        {
            c.Reply.NullBulk();
            return;
        }

        var config = c.Server.Config;
        var output = new RdbBuffer(64) { Compress = config.RdbCompression };
        if (db.Table.TryGetString(index, out var text))
        {
            output.WriteByte(RdbFormat.TypeString);
            output.WriteString(text);
        }
        else
        {
            var value = db.Table.ValueAt(index);
            output.WriteByte(RdbValueWriter.TypeOf(value));
            new RdbValueWriter(config.ListMaxListpackSize).WriteBody(output, value);
        }

        output.WriteByte(RdbFormat.Version & 0xFF);
        output.WriteByte(RdbFormat.Version >> 8);
        ulong crc = Crc64.Compute(output.WrittenSpan);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(output.GetSpan(8), crc);
        output.Advance(8);
        c.Reply.Bulk(output.WrittenSpan);
    }

    // RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency], as Redis 7.0's
    // restoreCommand: options first, then BUSYKEY, the TTL, the payload's version and checksum, its data.
    private static void Restore(CommandContext c)
    {
        bool replace = false, absTtl = false;
        long idle = -1, freq = -1;
        for (int j = 4; j < c.ArgCount; j++)
        {
            int additional = c.ArgCount - j - 1;
            if (c.ArgIs(j, "replace"u8))
            {
                replace = true;
            }
            else if (c.ArgIs(j, "absttl"u8))
            {
                absTtl = true;
            }
            else if (c.ArgIs(j, "idletime"u8) && additional >= 1 && freq == -1)
            {
                if (!c.TryArgLong(j + 1, out idle))
                {
                    return;
                }

                if (idle < 0)
                {
                    c.Reply.Error("ERR Invalid IDLETIME value, must be >= 0");
                    return;
                }

                j++;
            }
            else if (c.ArgIs(j, "freq"u8) && additional >= 1 && idle == -1)
            {
                if (!c.TryArgLong(j + 1, out freq))
                {
                    return;
                }

                if (freq is < 0 or > 255)
                {
                    c.Reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
                    return;
                }

                j++;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var db = c.Db;
        var key = c.Arg(1);
        if (!replace && db.Find(key, c.Now) >= 0)
        {
            c.Reply.Error("BUSYKEY Target key name already exists.");
            return;
        }

        if (!c.TryArgLong(2, out long ttl))
        {
            return;
        }

        if (ttl < 0)
        {
            c.Reply.Error("ERR Invalid TTL value, must be >= 0");
            return;
        }

        var payload = c.Arg(3);
        if (!VerifyPayload(payload))
        {
            c.Reply.Error("ERR DUMP payload version or checksum are wrong");
            return;
        }

        object? value;
        try
        {
            using var stream = new MemoryStream(payload[..^10].ToArray(), writable: false);
            var reader = new RdbReader(stream) { Source = "DUMP payload" };
            byte type = reader.ReadByte();
            value = RdbValueReader.IsValueType(type) ? new RdbValueReader(c.Server.Config).Read(reader, type, c.Now) : null;
        }
        catch (InvalidDataException)
        {
            value = null;
        }

        if (value is null)
        {
            c.Reply.Error("ERR Bad data format");
            return;
        }

        bool deleted = replace && db.Delete(key, c.Now);
        if (ttl != 0 && !absTtl)
        {
            ttl += c.CurrentTime;
        }

        if (ttl != 0 && c.AlreadyExpired(ttl))
        {
            // checkAlreadyExpired: the key is not created (a replaced one is just deleted).
            if (deleted)
            {
                c.Modified(key, KeyspaceEvents.Generic, "del"u8);
                c.Dirty();
            }

            c.Reply.Ok();
            return;
        }

        int index = db.Add(key, value);
        if (ttl != 0)
        {
            db.Table.SetExpiry(index, ttl);
        }

        // objectSetLRUOrLFU: FREQ counts under an LFU policy, IDLETIME otherwise.
        if (c.Keyspace.Lfu)
        {
            if (freq >= 0)
            {
                db.Table.At(index).LastAccess = (Persistence.LfuCounter.Minutes(c.Now) << 8) | (uint)freq;
            }
        }
        else if (idle >= 0)
        {
            db.Table.At(index).LastAccess = Database.Clock(c.Now - (idle * 1000));
        }

        c.Modified(key, KeyspaceEvents.Generic, "restore"u8);
        c.Dirty();
        c.Reply.Ok();
    }

    // verifyDumpPayload: at least the 10-byte footer, a version this server writes or older, a matching CRC64.
    private static bool VerifyPayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 10)
        {
            return false;
        }

        var footer = payload[^10..];
        int version = footer[0] | (footer[1] << 8);
        if (version > RdbFormat.Version)
        {
            return false;
        }

        return Crc64.Compute(payload[..^8]) == System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(footer[2..]);
    }
}
