using System.Text;
using Kv.Protocol;
using Kv.Server.Configuration;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>Streams: XADD and reading, trimming, consumer groups, blocking XREAD/XREADGROUP and XINFO (Redis 7.0's t_stream.c).</summary>
internal static class StreamCommands
{
    public static void Register(CommandTable table)
    {
        table.Add("xadd", -5, "write denyoom fast", 1, 1, 1, "@write @stream @fast", XAdd, "stream", "Appends a new entry to a stream", "5.0.0", "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.")
            .WithKeys("RW update | index 1 | range 0 1 0 | UPDATE instead of INSERT because of the optional trimming feature")
            .WithArgs("key:key#0 nomkstream:pure-token=NOMKSTREAM@6.2.0? trim:block?(strategy:oneof(maxlen:pure-token=MAXLEN minid:pure-token=MINID@6.2.0) operator:oneof?(equal:pure-token='=' approximately:pure-token='~') threshold:string count:integer=LIMIT@6.2.0?) id_or_auto:oneof(auto_id:pure-token='*' id:string) field_value:block*(field:string value:string)")
            .WithHistory(("6.2.0", "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option."), ("7.0.0", "Added support for the `<ms>-*` explicit ID form."))
            .WithTips("nondeterministic_output");
        table.Add("xlen", 2, "readonly fast", 1, 1, 1, "@read @stream @fast", XLen, "stream", "Return the number of entries in a stream", "5.0.0", "O(1)")
            .WithKeys("RO | index 1 | range 0 1 0")
            .WithArgs("key:key#0");
        table.Add("xrange", -4, "readonly", 1, 1, 1, "@read @stream @slow", XRange, "stream", "Return a range of elements in a stream, with IDs matching the specified IDs interval", "5.0.0", "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 start:string end:string count:integer=COUNT?")
            .WithHistory(("6.2.0", "Added exclusive ranges."));
        table.Add("xrevrange", -4, "readonly", 1, 1, 1, "@read @stream @slow", XRevRange, "stream", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", "5.0.0", "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 end:string start:string count:integer=COUNT?")
            .WithHistory(("6.2.0", "Added exclusive ranges."));
        table.Add("xdel", -3, "write fast", 1, 1, 1, "@write @stream @fast", XDel, "stream", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", "5.0.0", "O(1) for each single item to delete in the stream, regardless of the stream size.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 id:string*");
        table.Add("xtrim", -4, "write", 1, 1, 1, "@write @stream @slow", XTrim, "stream", "Trims the stream to (approximately if '~' is passed) a certain size", "5.0.0", "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 trim:block(strategy:oneof(maxlen:pure-token=MAXLEN minid:pure-token=MINID@6.2.0) operator:oneof?(equal:pure-token='=' approximately:pure-token='~') threshold:string count:integer=LIMIT@6.2.0?)")
            .WithHistory(("6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."))
            .WithTips("nondeterministic_output");
        table.Add("xsetid", -3, "write denyoom fast", 1, 1, 1, "@write @stream @fast", XSetId, "stream", "An internal command for replicating stream values", "5.0.0", "O(1)")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 last-id:string entries_added:integer=ENTRIESADDED@7.0.0? max_deleted_entry_id:string=MAXDELETEDID@7.0.0?")
            .WithHistory(("7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."));
        table.Add("xread", -4, "readonly blocking movablekeys", 0, 0, 0, "@read @stream @slow @blocking", XRead, "stream", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", "5.0.0", "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.")
            .WithKeys("RO access | keyword STREAMS 1 | range -1 1 2")
            .WithArgs("count:integer=COUNT? milliseconds:integer=BLOCK? streams:block=STREAMS(key:key#0* id:string*)");
        table.Add("xreadgroup", -7, "write blocking movablekeys", 0, 0, 0, "@write @stream @slow @blocking", XReadGroup, "stream", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", "5.0.0", "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.")
            .WithKeys("RO access | keyword STREAMS 4 | range -1 1 2")
            .WithArgs("group_consumer:block=GROUP(group:string consumer:string) count:integer=COUNT? milliseconds:integer=BLOCK? noack:pure-token=NOACK? streams:block=STREAMS(key:key#0* id:string*)");
        table.Add("xack", -4, "write fast", 1, 1, 1, "@write @stream @fast", XAck, "stream", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", "5.0.0", "O(1) for each message ID processed.")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 group:string id:string*");
        table.Add("xpending", -3, "readonly", 1, 1, 1, "@read @stream @slow", XPending, "stream", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", "5.0.0", "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.")
            .WithKeys("RO access | index 1 | range 0 1 0")
            .WithArgs("key:key#0 group:string filters:block?(min-idle-time:integer=IDLE@6.2.0? start:string end:string count:integer consumer:string?)")
            .WithHistory(("6.2.0", "Added the `IDLE` option and exclusive range intervals."))
            .WithTips("nondeterministic_output");
        table.Add("xclaim", -6, "write fast", 1, 1, 1, "@write @stream @fast", XClaim, "stream", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", "5.0.0", "O(log N) with N being the number of messages in the PEL of the consumer group.")
            .WithKeys("RW update | index 1 | range 0 1 0")
            .WithArgs("key:key#0 group:string consumer:string min-idle-time:string id:string* ms:integer=IDLE? unix-time-milliseconds:unix-time=TIME? count:integer=RETRYCOUNT? force:pure-token=FORCE? justid:pure-token=JUSTID? id:string=LASTID?")
            .WithTips("nondeterministic_output");
        table.Add("xautoclaim", -6, "write fast", 1, 1, 1, "@write @stream @fast", XAutoClaim, "stream", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", "6.2.0", "O(1) if COUNT is small.")
            .WithKeys("RW delete | index 1 | range 0 1 0")
            .WithArgs("key:key#0 group:string consumer:string min-idle-time:string start:string count:integer=COUNT? justid:pure-token=JUSTID?")
            .WithHistory(("7.0.0", "Added an element to the reply array, containing deleted entries the command cleared from the PEL"))
            .WithTips("nondeterministic_output");
        var xgroup = table.Add("xgroup", -2, "", 0, 0, 0, "@slow", null, "stream", "A container for consumer groups commands", "5.0.0", "Depends on subcommand.");
        xgroup.AddSubcommand(CommandTable.Create("delconsumer", 5, "write", 2, 2, 1, "@write @stream @slow", GroupDelConsumer, "stream", "Delete a consumer from a consumer group.", "5.0.0", "O(1)")
            .WithKeys("RW delete | index 2 | range 0 1 0")
            .WithArgs("key:key#0 groupname:string consumername:string"));
        xgroup.AddSubcommand(CommandTable.Create("createconsumer", 5, "write denyoom", 2, 2, 1, "@write @stream @slow", GroupCreateConsumer, "stream", "Create a consumer in a consumer group.", "6.2.0", "O(1)")
            .WithKeys("RW insert | index 2 | range 0 1 0")
            .WithArgs("key:key#0 groupname:string consumername:string"));
        xgroup.AddSubcommand(CommandTable.Create("destroy", 4, "write", 2, 2, 1, "@write @stream @slow", GroupDestroy, "stream", "Destroy a consumer group.", "5.0.0", "O(N) where N is the number of entries in the group's pending entries list (PEL).")
            .WithKeys("RW delete | index 2 | range 0 1 0")
            .WithArgs("key:key#0 groupname:string"));
        xgroup.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@stream @slow", GroupHelp, "stream", "Show helpful text about the different subcommands", "5.0.0", "O(1)"));
        xgroup.AddSubcommand(CommandTable.Create("create", -5, "write denyoom", 2, 2, 1, "@write @stream @slow", GroupCreate, "stream", "Create a consumer group.", "5.0.0", "O(1)")
            .WithKeys("RW insert | index 2 | range 0 1 0")
            .WithArgs("key:key#0 groupname:string id:oneof(id:string new_id:pure-token='$') mkstream:pure-token=MKSTREAM? entries_read:integer=ENTRIESREAD?")
            .WithHistory(("7.0.0", "Added the `entries_read` named argument.")));
        xgroup.AddSubcommand(CommandTable.Create("setid", -5, "write", 2, 2, 1, "@write @stream @slow", GroupSetId, "stream", "Set a consumer group to an arbitrary last delivered ID value.", "5.0.0", "O(1)")
            .WithKeys("RW update | index 2 | range 0 1 0")
            .WithArgs("key:key#0 groupname:string id:oneof(id:string new_id:pure-token='$') entries_read:integer=ENTRIESREAD?")
            .WithHistory(("7.0.0", "Added the optional `entries_read` argument.")));
        var xinfo = table.Add("xinfo", -2, "", 0, 0, 0, "@slow", null, "stream", "A container for stream introspection commands", "5.0.0", "Depends on subcommand.");
        xinfo.AddSubcommand(CommandTable.Create("stream", -3, "readonly", 2, 2, 1, "@read @stream @slow", InfoStream, "stream", "Get information about a stream", "5.0.0", "O(1)")
            .WithKeys("RO access | index 2 | range 0 1 0")
            .WithArgs("key:key#0 full:block=FULL?(count:integer=COUNT?)")
            .WithHistory(("6.0.0", "Added the `FULL` modifier."), ("7.0.0", "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields")));
        xinfo.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@stream @slow", InfoHelp, "stream", "Show helpful text about the different subcommands", "5.0.0", "O(1)"));
        xinfo.AddSubcommand(CommandTable.Create("consumers", 4, "readonly", 2, 2, 1, "@read @stream @slow", InfoConsumers, "stream", "List the consumers in a consumer group", "5.0.0", "O(1)")
            .WithKeys("RO access | index 2 | range 0 1 0")
            .WithArgs("key:key#0 groupname:string")
            .WithTips("nondeterministic_output"));
        xinfo.AddSubcommand(CommandTable.Create("groups", 3, "readonly", 2, 2, 1, "@read @stream @slow", InfoGroups, "stream", "List the consumer groups of a stream", "5.0.0", "O(1)")
            .WithKeys("RO access | index 2 | range 0 1 0")
            .WithArgs("key:key#0")
            .WithHistory(("7.0.0", "Added the `entries-read` and `lag` fields")));
    }

    /// <summary>Redis's XREAD_BLOCKED_DEFAULT_COUNT: a blocked read served without COUNT gets at most this many entries.</summary>
    private const int BlockedDefaultCount = 1000;

    private static ReadOnlySpan<byte> InvalidId => "ERR Invalid stream ID specified as stream command argument"u8;

    private static ReadOnlySpan<byte> IdZero => "ERR The ID specified in XADD must be greater than 0-0"u8;

    private static ReadOnlySpan<byte> IdTooSmall => "ERR The ID specified in XADD is equal or smaller than the target stream top item"u8;

    private static ReadOnlySpan<byte> IdExhausted => "ERR The stream has exhausted the last possible ID, unable to add more items"u8;

    private static ReadOnlySpan<byte> InvalidStart => "ERR invalid start ID for the interval"u8;

    private static ReadOnlySpan<byte> InvalidEnd => "ERR invalid end ID for the interval"u8;

    private static readonly string[] GroupHelpLines =
    [
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ];

    private static readonly string[] InfoHelpLines =
    [
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ];

    /// <summary>An entry's field-value pairs straight from the command's arguments.</summary>
    private readonly ref struct ArgFields(CommandContext c, int first, int pairs) : IStreamFields
    {
        public int Count => pairs;

        public ReadOnlySpan<byte> Field(int i) => c.Arg(first + (2 * i));

        public ReadOnlySpan<byte> Value(int i) => c.Arg(first + (2 * i) + 1);
    }

    // ---- lookups ----

    /// <summary>lookupKeyWrite + checkType: the stream, or null when absent or (after replying WRONGTYPE) of another type.</summary>
    private static StreamValue? WriteStream(CommandContext c, ReadOnlySpan<byte> key, out bool wrongType)
    {
        wrongType = false;
        int index = c.Db.Find(key, c.Now);
        if (index < 0)
        {
            return null;
        }

        if (c.Db.Table.ValueAt(index) is StreamValue stream)
        {
            return stream;
        }

        wrongType = true;
        c.Reply.Error(Errors.WrongType);
        return null;
    }

    /// <summary>lookupKeyRead + checkType (counts a keyspace hit or miss).</summary>
    private static StreamValue? ReadStream(CommandContext c, ReadOnlySpan<byte> key, out bool wrongType)
    {
        wrongType = false;
        var value = StringCommands.Read(c, key);
        if (value is null or StreamValue)
        {
            return (StreamValue?)value;
        }

        wrongType = true;
        c.Reply.Error(Errors.WrongType);
        return null;
    }

    // ReadStream without counting a keyspace hit or miss.
    private static StreamValue? PeekStream(CommandContext c, ReadOnlySpan<byte> key, out bool wrongType)
    {
        int index = c.Db.Peek(key, c.Now);
        var value = index >= 0 ? c.Db.Table.ValueAt(index) : null;
        wrongType = value is not (null or StreamValue);
        if (wrongType)
        {
            c.Reply.Error(Errors.WrongType);
        }

        return value as StreamValue;
    }

    private static bool TryArgId(CommandContext c, int index, ulong missingSeq, bool strict, out StreamId id)
    {
        if (StreamId.TryParse(c.Arg(index), missingSeq, strict, allowAutoSeq: false, out id, out _))
        {
            return true;
        }

        c.Reply.Error(InvalidId);
        return false;
    }

    /// <summary>Redis's streamParseIntervalIDOrReply: an ID, or <c>(</c>ID for an exclusive bound (strict then).</summary>
    private static bool TryArgIntervalId(CommandContext c, int index, ulong missingSeq, out StreamId id, out bool exclusive)
    {
        var text = c.Arg(index);
        exclusive = text.Length > 1 && text[0] == (byte)'(';
        bool ok = exclusive
            ? StreamId.TryParse(text[1..], missingSeq, strict: true, allowAutoSeq: false, out id, out _)
            : StreamId.TryParse(text, missingSeq, strict: false, allowAutoSeq: false, out id, out _);
        if (!ok)
        {
            c.Reply.Error(InvalidId);
        }

        return ok;
    }

    private static void ReplyId(CommandContext c, StreamId id)
    {
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        c.Reply.Bulk(text[..id.Format(text)]);
    }

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    // ---- XADD / XTRIM ----

    private struct AddTrimArgs
    {
        public StreamTrim Trim;
        public bool HasTrim;
        public bool NoMkStream;
        public bool IdGiven;
        public bool SeqGiven;
        public StreamId Id;
    }

    /// <summary>Redis's streamParseAddOrTrimArgsOrReply; returns the ID's position (XADD), argc for XTRIM, or -1 after an error.</summary>
    private static int ParseAddOrTrim(CommandContext c, bool xadd, out AddTrimArgs args)
    {
        args = default;
        bool limitGiven = false;
        int i = 2;
        for (; i < c.ArgCount; i++)
        {
            int more = c.ArgCount - 1 - i;
            var opt = c.Arg(i);
            if (xadd && opt.Length == 1 && opt[0] == (byte)'*')
            {
                break;
            }
            else if (c.ArgIs(i, "maxlen"u8) && more > 0 || c.ArgIs(i, "minid"u8) && more > 0)
            {
                bool minId = c.ArgIs(i, "minid"u8);
                if (args.HasTrim)
                {
                    c.Reply.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"u8);
                    return -1;
                }

                args.Trim.Approximate = false;
                var next = c.Arg(i + 1);
                if (more >= 2 && next.Length == 1 && next[0] == (byte)'~')
                {
                    args.Trim.Approximate = true;
                    i++;
                }
                else if (more >= 2 && next.Length == 1 && next[0] == (byte)'=')
                {
                    i++;
                }

                if (minId)
                {
                    if (!TryArgId(c, i + 1, 0, strict: true, out args.Trim.MinId))
                    {
                        return -1;
                    }

                    args.Trim.ByMinId = true;
                }
                else
                {
                    if (!c.TryArgLong(i + 1, out args.Trim.MaxLen))
                    {
                        return -1;
                    }

                    if (args.Trim.MaxLen < 0)
                    {
                        c.Reply.Error("ERR The MAXLEN argument must be >= 0."u8);
                        return -1;
                    }
                }

                i++;
                args.HasTrim = true;
            }
            else if (c.ArgIs(i, "limit"u8) && more > 0)
            {
                if (!c.TryArgLong(i + 1, out args.Trim.Limit))
                {
                    return -1;
                }

                if (args.Trim.Limit < 0)
                {
                    c.Reply.Error("ERR The LIMIT argument must be >= 0."u8);
                    return -1;
                }

                limitGiven = true;
                i++;
            }
            else if (xadd && c.ArgIs(i, "nomkstream"u8))
            {
                args.NoMkStream = true;
            }
            else if (xadd)
            {
                if (!StreamId.TryParse(opt, 0, strict: true, allowAutoSeq: true, out args.Id, out args.SeqGiven))
                {
                    c.Reply.Error(InvalidId);
                    return -1;
                }

                args.IdGiven = true;
                break;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return -1;
            }
        }

        if (args.Trim.Limit != 0 && !args.HasTrim)
        {
            c.Reply.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"u8);
            return -1;
        }

        if (!xadd && !args.HasTrim)
        {
            c.Reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy"u8);
            return -1;
        }

        if (limitGiven)
        {
            if (!args.Trim.Approximate)
            {
                c.Reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option"u8);
                return -1;
            }
        }
        else if (args.Trim.Approximate)
        {
            // Without LIMIT, '~' trims at most 100 nodes' worth (Redis: 100 * stream-node-max-entries, capped at 10000).
            long limit = 100L * c.Server.Config.StreamNodeMaxEntries;
            args.Trim.Limit = limit <= 0 || limit > 10000 ? 10000 : limit;
        }
        else
        {
            args.Trim.Limit = 0;
        }

        return i;
    }

    private static void XAdd(CommandContext c)
    {
        int idPos = ParseAddOrTrim(c, xadd: true, out var args);
        if (idPos < 0)
        {
            return;
        }

        int fieldPos = idPos + 1;
        int rest = c.ArgCount - fieldPos;
        if (rest < 2 || rest % 2 == 1)
        {
            c.Reply.Error(Errors.WrongArgCount("xadd"));
            return;
        }

        if (args.IdGiven && args.SeqGiven && args.Id.IsZero)
        {
            c.Reply.Error(IdZero);
            return;
        }

        var key = c.Arg(1);
        var stream = WriteStream(c, key, out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (stream is null)
        {
            if (args.NoMkStream)
            {
                c.Reply.NullBulk();
                return;
            }

            stream = new StreamValue();
            c.Db.Add(key, stream);
        }

        var last = stream.LastId;
        if (last == StreamId.Max)
        {
            c.Reply.Error(IdExhausted);
            return;
        }

        StreamId id;
        if (!args.IdGiven)
        {
            // streamNextID: the clock when it moved past the last ID, else the last ID plus one.
            ulong now = (ulong)c.Now;
            if (now > last.Ms)
            {
                id = new StreamId(now, 0);
            }
            else
            {
                last.TryIncrement(out id);
            }
        }
        else if (args.SeqGiven)
        {
            id = args.Id;
        }
        else if (last.Ms == args.Id.Ms)
        {
            // <ms>-*: the next sequence of that millisecond.
            if (last.Seq == ulong.MaxValue)
            {
                c.Reply.Error(IdTooSmall);
                return;
            }

            id = new StreamId(last.Ms, last.Seq + 1);
        }
        else
        {
            id = args.Id;
        }

        if (id <= last)
        {
            c.Reply.Error(IdTooSmall);
            return;
        }

        var config = c.Server.Config;
        stream.Append(id, new ArgFields(c, fieldPos, rest / 2), config.StreamNodeMaxBytes, config.StreamNodeMaxEntries);
        ReplyId(c, id);
        c.Dirty();
        c.Modified(key, KeyspaceEvents.Stream, "xadd"u8);
        c.Keyspace.Blocking.SignalReady(c.Client.Db, key);
        if (args.HasTrim && stream.Trim(args.Trim) > 0)
        {
            Notify(c, key, "xtrim"u8);
        }
    }

    private static void XTrim(CommandContext c)
    {
        if (ParseAddOrTrim(c, xadd: false, out var args) < 0)
        {
            return;
        }

        var stream = WriteStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (stream is null)
        {
            c.Reply.Integer(0);
            return;
        }

        long deleted = stream.Trim(args.Trim);
        if (deleted > 0)
        {
            c.Dirty(deleted);
            c.Modified(c.Arg(1), KeyspaceEvents.Stream, "xtrim"u8);
        }

        c.Reply.Integer(deleted);
    }

    private static void XLen(CommandContext c)
    {
        var stream = ReadStream(c, c.Arg(1), out bool wrongType);
        if (!wrongType)
        {
            c.Reply.Integer(stream?.Length ?? 0);
        }
    }

    // ---- XRANGE / XREVRANGE ----

    private static void XRange(CommandContext c) => Range(c, reverse: false);

    private static void XRevRange(CommandContext c) => Range(c, reverse: true);

    private static void Range(CommandContext c, bool reverse)
    {
        int startArg = reverse ? 3 : 2, endArg = reverse ? 2 : 3;
        if (!TryArgIntervalId(c, startArg, 0, out var start, out bool startExclusive))
        {
            return;
        }

        if (startExclusive && !start.TryIncrement(out start))
        {
            c.Reply.Error(InvalidStart);
            return;
        }

        if (!TryArgIntervalId(c, endArg, ulong.MaxValue, out var end, out bool endExclusive))
        {
            return;
        }

        if (endExclusive && !end.TryDecrement(out end))
        {
            c.Reply.Error(InvalidEnd);
            return;
        }

        long count = -1;
        for (int j = 4; j < c.ArgCount; j++)
        {
            if (c.ArgIs(j, "count"u8) && j + 1 < c.ArgCount)
            {
                if (!c.TryArgLong(j + 1, out count))
                {
                    return;
                }

                if (count < 0)
                {
                    count = 0;
                }

                j++;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var stream = ReadStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (stream is null)
        {
            c.Reply.ArrayHeader(0);
            return;
        }

        if (count == 0)
        {
            c.Reply.NullArray();
            return;
        }

        WriteRange(c, stream, start, end, count == -1 ? 0 : count, reverse);
    }

    /// <summary>Counts the live entries in [start, end] (at most <paramref name="limit"/>; 0 = all).</summary>
    private static long CountRange(StreamValue stream, StreamId start, StreamId end, long limit, bool reverse)
    {
        long n = 0;
        if (start > end)
        {
            return 0;
        }

        if (!reverse)
        {
            if (stream.SeekFirst(start, out var p))
            {
                do
                {
                    if (stream.IdAt(p) > end)
                    {
                        break;
                    }

                    n++;
                }
                while ((limit == 0 || n < limit) && stream.Next(ref p));
            }
        }
        else if (stream.SeekLast(end, out var p))
        {
            do
            {
                if (stream.IdAt(p) < start)
                {
                    break;
                }

                n++;
            }
            while ((limit == 0 || n < limit) && stream.Previous(ref p));
        }

        return n;
    }

    /// <summary>Redis's streamReplyWithRange without a group: the array of entries in [start, end].</summary>
    private static long WriteRange(CommandContext c, StreamValue stream, StreamId start, StreamId end, long limit, bool reverse)
    {
        long n = CountRange(stream, start, end, limit, reverse);
        c.Reply.ArrayHeader(n);
        if (n == 0)
        {
            return 0;
        }

        if (!reverse)
        {
            stream.SeekFirst(start, out var p);
            for (long i = 0; i < n; i++)
            {
                stream.WriteEntry(c.Reply, p);
                stream.Next(ref p);
            }
        }
        else
        {
            stream.SeekLast(end, out var p);
            for (long i = 0; i < n; i++)
            {
                stream.WriteEntry(c.Reply, p);
                stream.Previous(ref p);
            }
        }

        return n;
    }

    // ---- XDEL / XSETID ----

    private static void XDel(CommandContext c)
    {
        var stream = WriteStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (stream is null)
        {
            c.Reply.Integer(0);
            return;
        }

        for (int j = 2; j < c.ArgCount; j++)
        {
            if (!TryArgId(c, j, 0, strict: true, out _))
            {
                return;
            }
        }

        long deleted = 0;
        bool firstEntry = false;
        for (int j = 2; j < c.ArgCount; j++)
        {
            TryArgId(c, j, 0, strict: true, out var id);
            if (stream.Delete(id))
            {
                firstEntry |= id == stream.FirstId;
                if (id > stream.MaxDeletedId)
                {
                    stream.MaxDeletedId = id;
                }

                deleted++;
            }
        }

        if (deleted > 0)
        {
            if (stream.Length == 0 || firstEntry)
            {
                stream.RefreshFirstId();
            }

            c.Dirty(deleted);
            c.Modified(c.Arg(1), KeyspaceEvents.Stream, "xdel"u8);
        }

        c.Reply.Integer(deleted);
    }

    private static void XSetId(CommandContext c)
    {
        if (!TryArgId(c, 2, 0, strict: true, out var id))
        {
            return;
        }

        long entriesAdded = -1;
        var maxDeleted = StreamId.Zero;
        for (int i = 3; i < c.ArgCount; i += 2)
        {
            bool more = i + 1 < c.ArgCount;
            if (c.ArgIs(i, "entriesadded"u8) && more)
            {
                if (!c.TryArgLong(i + 1, out entriesAdded))
                {
                    return;
                }

                if (entriesAdded < 0)
                {
                    c.Reply.Error("ERR entries_added must be positive"u8);
                    return;
                }
            }
            else if (c.ArgIs(i, "maxdeletedid"u8) && more)
            {
                if (!TryArgId(c, i + 1, 0, strict: true, out maxDeleted))
                {
                    return;
                }

                if (id < maxDeleted)
                {
                    c.Reply.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"u8);
                    return;
                }
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var stream = WriteStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        if (stream is null)
        {
            c.Reply.Error(Errors.NoSuchKey);
            return;
        }

        if (stream.Length > 0)
        {
            if (id < stream.LastValidId)
            {
                c.Reply.Error("ERR The ID specified in XSETID is smaller than the target stream top item"u8);
                return;
            }

            if (entriesAdded != -1 && stream.Length > entriesAdded)
            {
                c.Reply.Error("ERR The entries_added specified in XSETID is smaller than the target stream length"u8);
                return;
            }
        }

        stream.LastId = id;
        if (entriesAdded != -1)
        {
            stream.EntriesAdded = entriesAdded;
        }

        if (!maxDeleted.IsZero)
        {
            stream.MaxDeletedId = maxDeleted;
        }

        c.Reply.Ok();
        c.Dirty();
        c.Modified(c.Arg(1), KeyspaceEvents.Stream, "xsetid"u8);
    }

    // ---- XREAD / XREADGROUP ----

    private static void XRead(CommandContext c) => Read(c, group: false);

    private static void XReadGroup(CommandContext c) => Read(c, group: true);

    /// <summary>Redis 7.0's xreadCommand, and serveClientsBlockedOnStreamKey when run again for a waiter.</summary>
    private static void Read(CommandContext c, bool group)
    {
        bool block = false;
        long deadline = 0;
        long count = 0;
        int streamsArg = 0, streamCount = 0;
        bool noAck = false;
        int groupArg = 0;
        var name = group ? "XREADGROUP" : "XREAD";
        for (int i = 1; i < c.ArgCount; i++)
        {
            int more = c.ArgCount - i - 1;
            if (c.ArgIs(i, "block"u8) && more > 0)
            {
                if (c.InScript)
                {
                    // Redis 7.0 refuses BLOCK in scripts outright, whether or not data is there.
                    c.Reply.Error($"ERR {Text(c.Arg(0))} command is not allowed with BLOCK option from scripts");
                    return;
                }

                i++;
                if (!TryArgMillisecondsTimeout(c, i, out deadline))
                {
                    return;
                }

                block = true;
            }
            else if (c.ArgIs(i, "count"u8) && more > 0)
            {
                i++;
                if (!c.TryArgLong(i, out count))
                {
                    return;
                }

                if (count < 0)
                {
                    count = 0;
                }
            }
            else if (c.ArgIs(i, "streams"u8) && more > 0)
            {
                streamsArg = i + 1;
                streamCount = c.ArgCount - streamsArg;
                if (streamCount % 2 != 0)
                {
                    c.Reply.Error($"ERR Unbalanced {name} list of streams: for each stream key an ID or '{(group ? '>' : '$')}' must be specified.");
                    return;
                }

                streamCount /= 2;
                break;
            }
            else if (c.ArgIs(i, "group"u8) && more >= 2)
            {
                if (!group)
                {
                    c.Reply.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."u8);
                    return;
                }

                groupArg = i + 1;
                i += 2;
            }
            else if (c.ArgIs(i, "noack"u8))
            {
                if (!group)
                {
                    c.Reply.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."u8);
                    return;
                }

                noAck = true;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        if (streamsArg == 0)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (group && groupArg == 0)
        {
            c.Reply.Error("ERR Missing GROUP option for XREADGROUP"u8);
            return;
        }

        bool serving = c.ServingWaiter is not null;
        int readHits = 0;
        var ids = streamCount <= 16 ? stackalloc StreamId[streamCount] : new StreamId[streamCount];
        var groupName = groupArg > 0 ? c.Arg(groupArg) : default;
        for (int k = 0; k < streamCount; k++)
        {
            var key = c.Arg(streamsArg + k);
            var idArg = c.Arg(streamsArg + streamCount + k);
            if (serving && group && Lookup(c, key) is null)
            {
                // Redis 7.0 unblocks XREADGROUP clients whose stream was deleted or replaced by another type.
                c.Reply.Error("UNBLOCKED the stream key no longer exists"u8);
                return;
            }

            // A waiter being served counts no keyspace hits (Redis 7.0 serves it with write lookups).
            var stream = serving ? PeekStream(c, key, out bool wrongType) : ReadStream(c, key, out wrongType);
            if (wrongType)
            {
                return;
            }

            readHits += stream is null ? 0 : 1;
            if (group)
            {
                if (stream?.Groups?.Find(groupName) is null)
                {
                    if (serving)
                    {
                        c.Reply.Error("NOGROUP the consumer group this client was blocked on no longer exists"u8);
                        return;
                    }

                    c.Reply.Error($"NOGROUP No such key '{Text(key)}' or consumer group '{Text(groupName)}' in XREADGROUP with GROUP option");
                    return;
                }
            }

            if (idArg.Length == 1 && idArg[0] == (byte)'$')
            {
                if (group)
                {
                    c.Reply.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."u8);
                    return;
                }

                ids[k] = stream?.LastId ?? StreamId.Zero;
                continue;
            }

            if (idArg.Length == 1 && idArg[0] == (byte)'>')
            {
                if (!group)
                {
                    c.Reply.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."u8);
                    return;
                }

                ids[k] = StreamId.Max;
                continue;
            }

            if (!TryArgId(c, streamsArg + streamCount + k, 0, strict: true, out ids[k]))
            {
                return;
            }
        }

        // Redis's xreadCommand looks every key up again (lookupKeyRead) when it serves: a second hit or miss each.
        if (!serving)
        {
            c.Keyspace.Stats.KeyspaceHits += readHits;
            c.Keyspace.Stats.KeyspaceMisses += streamCount - readHits;
        }

        // Which streams can be served now (Redis decides per stream; a waiter is served one stream, as 7.0 serves the ready key).
        int served = 0;
        Span<bool> serve = streamCount <= 64 ? stackalloc bool[streamCount] : new bool[streamCount];
        Span<bool> history = streamCount <= 64 ? stackalloc bool[streamCount] : new bool[streamCount];
        for (int k = 0; k < streamCount; k++)
        {
            // A waiter is served from the key that was signalled (Redis 7.0 replies with the ready key only).
            if (serving && (served > 0 || (c.ServingKey is { } ready && !c.Arg(streamsArg + k).SequenceEqual(ready))))
            {
                continue;
            }

            var stream = Lookup(c, c.Arg(streamsArg + k));
            if (stream is null)
            {
                continue;
            }

            if (group)
            {
                var cg = stream.Groups!.Find(groupName)!;
                if (ids[k] != StreamId.Max)
                {
                    serve[k] = history[k] = true;
                }
                else if (serving ? stream.LastId > cg.LastId : stream.Length > 0 && stream.LastValidId > cg.LastId)
                {
                    serve[k] = true;
                    ids[k] = cg.LastId;
                }
            }
            else if (serving ? stream.LastId > ids[k] : stream.Length > 0 && stream.LastValidId > ids[k])
            {
                serve[k] = true;
            }

            if (serve[k])
            {
                served++;
            }
        }

        if (served > 0)
        {
            if (serving && count == 0)
            {
                count = BlockedDefaultCount;
            }

            // XREADGROUP propagates what it did to the group, never itself (Redis's xreadCommand).
            var propagation = c.Keyspace.Propagation;
            bool propagate = group && propagation.Active;
            if (propagate)
            {
                propagation.Prevent();
            }

            if (c.Reply.IsResp3)
            {
                c.Reply.MapHeader(served);
            }
            else
            {
                c.Reply.ArrayHeader(served);
            }

            for (int k = 0; k < streamCount; k++)
            {
                if (!serve[k])
                {
                    continue;
                }

                var key = c.Arg(streamsArg + k);
                var stream = Lookup(c, key)!;
                if (!c.Reply.IsResp3)
                {
                    c.Reply.ArrayHeader(2);
                }

                c.Reply.Bulk(key);
                ids[k].TryIncrement(out var start);
                if (!group)
                {
                    WriteRange(c, stream, start, StreamId.Max, count, reverse: false);
                    continue;
                }

                var cg = stream.Groups!.Find(groupName)!;
                var consumerName = c.Arg(groupArg + 1);
                var consumer = cg.FindConsumer(consumerName);
                bool created = consumer is null;
                consumer ??= CreateConsumer(c, cg, key, consumerName);
                consumer.SeenTime = c.Now;

                // A consumer no XCLAIM will recreate on replay is propagated as XGROUP CREATECONSUMER
                // (Redis does so for NOACK; kv also for a history read, which Redis 7.0 loses on restart).
                if (propagate && created && (noAck || history[k]))
                {
                    propagation.StreamConsumerCreated(c.Client.Db, key, cg, consumer);
                }

                if (history[k])
                {
                    WriteConsumerHistory(c, stream, cg, consumer, key, start, count, propagate);
                }
                else if (WriteGroupRange(c, stream, cg, consumer, key, start, count, noAck, propagate) == 0 && propagate && created && !noAck)
                {
                    propagation.StreamConsumerCreated(c.Client.Db, key, cg, consumer);
                }

                c.Dirty();
            }

            return;
        }

        if (block)
        {
            // Inside MULTI (and scripts) the only thing left is to answer as a timeout (CLIENT_DENY_BLOCKING).
            if (c.InTransaction)
            {
                c.Reply.NullArray();
                return;
            }

            c.Keyspace.Blocking.Block(c, streamsArg, streamCount, 1, deadline, typeof(StreamValue));
            if (c.BlockedOn is { } waiter)
            {
                waiter.WakeWhenGone = group;
                if (!group)
                {
                    PinDollarIds(c, waiter, streamsArg, streamCount, ids);
                }
            }

            return;
        }

        c.Reply.NullArray();
    }

    private static StreamValue? Lookup(CommandContext c, ReadOnlySpan<byte> key)
    {
        int index = c.Db.Peek(key, c.Now);
        return index >= 0 ? c.Db.Table.ValueAt(index) as StreamValue : null;
    }

    /// <summary>
    /// A blocked XREAD waits for entries after the IDs it resolved when it blocked: each <c>$</c> in the
    /// waiter's copy of the arguments becomes that ID (Redis keeps the resolved IDs in bpop.keys).
    /// </summary>
    private static void PinDollarIds(CommandContext c, Blocking.Waiter waiter, int streamsArg, int streamCount, ReadOnlySpan<StreamId> ids)
    {
        bool any = false;
        for (int k = 0; k < streamCount; k++)
        {
            var arg = c.Arg(streamsArg + streamCount + k);
            any |= arg.Length == 1 && arg[0] == (byte)'$';
        }

        if (!any)
        {
            return;
        }

        var data = new List<byte>(waiter.Arguments.Length + (streamCount * StreamId.MaxTextLength));
        var ranges = new List<ArgRange>(c.ArgCount);
        Span<byte> text = stackalloc byte[StreamId.MaxTextLength];
        for (int i = 0; i < c.ArgCount; i++)
        {
            var arg = c.Arg(i);
            int k = i - streamsArg - streamCount;
            ReadOnlySpan<byte> stored = k >= 0 && arg.Length == 1 && arg[0] == (byte)'$' ? text[..ids[k].Format(text)] : arg;
            ranges.Add(new ArgRange(data.Count, stored.Length));
            foreach (byte b in stored)
            {
                data.Add(b);
            }
        }

        waiter.Arguments = data.ToArray();
        waiter.Ranges.Truncate(0);
        foreach (var range in ranges)
        {
            waiter.Ranges.Add(range);
        }
    }

    /// <summary>Redis's getTimeoutFromObjectOrReply in milliseconds (XREAD/XREADGROUP BLOCK): 0 = forever.</summary>
    private static bool TryArgMillisecondsTimeout(CommandContext c, int index, out long deadline)
    {
        deadline = 0;
        if (!RespNumber.TryParseInt64(c.Arg(index), out long ms))
        {
            c.Reply.Error("ERR timeout is not an integer or out of range"u8);
            return false;
        }

        if (ms < 0)
        {
            c.Reply.Error("ERR timeout is negative"u8);
            return false;
        }

        if (ms > 0)
        {
            if (ms > long.MaxValue - c.Now)
            {
                c.Reply.Error("ERR timeout is out of range"u8);
                return false;
            }

            deadline = c.Now + ms;
        }

        return true;
    }

    /// <summary>
    /// Redis's streamReplyWithRange for a group reading new entries: each delivered entry advances
    /// last-delivered-id and entries-read, and (without NOACK) enters the group's and the consumer's PEL.
    /// </summary>
    /// <remarks>
    /// With <paramref name="propagate"/>, each pending entry made is propagated as XCLAIM and a moved
    /// last-delivered-id as XGROUP SETID … ENTRIESREAD. Redis 7.0 sends the SETID only for NOACK, so its
    /// entries-read is lost on a restart; Redis 7.2 sends it whenever the ID moved, and so does kv.
    /// Returns how many XCLAIMs were propagated.
    /// </remarks>
    private static long WriteGroupRange(CommandContext c, StreamValue stream, ConsumerGroup cg, StreamConsumer consumer, ReadOnlySpan<byte> key, StreamId start, long count, bool noAck, bool propagate)
    {
        long n = CountRange(stream, start, StreamId.Max, count, reverse: false);
        c.Reply.ArrayHeader(n);
        if (n == 0 || !stream.SeekFirst(start, out var p))
        {
            return 0;
        }

        bool advanced = false;
        long claims = 0;

        for (long i = 0; i < n; i++)
        {
            var id = stream.IdAt(p);
            if (id > cg.LastId)
            {
                if (cg.EntriesRead != StreamValue.InvalidEntriesRead && !stream.RangeHasTombstones(id, StreamId.Max))
                {
                    cg.EntriesRead++;
                }
                else if (stream.EntriesAdded != 0)
                {
                    cg.EntriesRead = stream.EstimateDistanceFromFirstEverEntry(id);
                }

                cg.LastId = id;
                advanced = true;
            }

            stream.WriteEntry(c.Reply, p);
            if (!noAck)
            {
                var nack = cg.Pending.Find(id);
                if (nack is null)
                {
                    nack = new PendingEntry(id, consumer, c.Now);
                    cg.Pending.Add(nack);
                    consumer.Pending.Add(nack);
                }
                else
                {
                    // XGROUP SETID may make a group deliver an entry still pending: it moves to this consumer.
                    nack.Consumer?.Pending.Remove(id);
                    nack.Consumer = consumer;
                    nack.DeliveryTime = c.Now;
                    nack.DeliveryCount = 1;
                    consumer.Pending.Add(nack);
                }

                if (propagate)
                {
                    c.Keyspace.Propagation.StreamClaim(c.Client.Db, key, cg, id, nack);
                    claims++;
                }
            }

            stream.Next(ref p);
        }

        if (propagate && advanced)
        {
            c.Keyspace.Propagation.StreamGroupId(c.Client.Db, key, cg);
        }

        return claims;
    }

    /// <summary>
    /// Redis's streamReplyWithRangeFromConsumerPEL: the consumer's pending entries from <paramref name="start"/>;
    /// deleted ones come back with a null body. Each redelivery moves the entry's delivery time and count;
    /// Redis does not propagate that (a restart brings back the older values), kv propagates it as XCLAIM.
    /// </summary>
    private static void WriteConsumerHistory(CommandContext c, StreamValue stream, ConsumerGroup cg, StreamConsumer consumer, ReadOnlySpan<byte> key, StreamId start, long count, bool propagate)
    {
        var pel = consumer.Pending;
        long n = 0;
        var cursor = pel.Seek(start);
        while ((count == 0 || n < count) && pel.TryGet(cursor, out _))
        {
            n++;
            pel.MoveNext(ref cursor);
        }

        c.Reply.ArrayHeader(n);
        cursor = pel.Seek(start);
        for (long i = 0; i < n; i++)
        {
            pel.TryGet(cursor, out var nack);
            if (stream.TryFind(nack.Id, out var p))
            {
                stream.WriteEntry(c.Reply, p);
                nack.DeliveryTime = c.Now;
                nack.DeliveryCount++;
                if (propagate)
                {
                    c.Keyspace.Propagation.StreamClaim(c.Client.Db, key, cg, nack.Id, nack);
                }
            }
            else
            {
                c.Reply.ArrayHeader(2);
                ReplyId(c, nack.Id);
                c.Reply.NullArray();
            }

            pel.MoveNext(ref cursor);
        }
    }

    // ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ----

    private static void XAck(CommandContext c)
    {
        var stream = ReadStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        var cg = stream?.Groups?.Find(c.Arg(2));
        if (cg is null)
        {
            c.Reply.Integer(0);
            return;
        }

        for (int j = 3; j < c.ArgCount; j++)
        {
            if (!TryArgId(c, j, 0, strict: true, out _))
            {
                return;
            }
        }

        long acknowledged = 0;
        for (int j = 3; j < c.ArgCount; j++)
        {
            TryArgId(c, j, 0, strict: true, out var id);
            var nack = cg.Pending.Remove(id);
            if (nack is not null)
            {
                nack.Consumer?.Pending.Remove(id);
                acknowledged++;
            }
        }

        if (acknowledged > 0)
        {
            c.Dirty(acknowledged);
        }

        c.Reply.Integer(acknowledged);
    }

    private static string NoGroup(CommandContext c) => $"NOGROUP No such key '{Text(c.Arg(1))}' or consumer group '{Text(c.Arg(2))}'";

    private static void XPending(CommandContext c)
    {
        bool summary = c.ArgCount == 3;
        if (c.ArgCount != 3 && (c.ArgCount < 6 || c.ArgCount > 9))
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        var start = StreamId.Zero;
        var end = StreamId.Max;
        long count = 0, minIdle = 0;
        int consumerArg = 0;
        if (c.ArgCount >= 6)
        {
            int startIndex = 3;
            if (c.ArgIs(3, "idle"u8))
            {
                if (!c.TryArgLong(4, out minIdle))
                {
                    return;
                }

                if (c.ArgCount < 8)
                {
                    c.Reply.Error(Errors.Syntax);
                    return;
                }

                startIndex += 2;
            }

            if (!c.TryArgLong(startIndex + 2, out count))
            {
                return;
            }

            if (count < 0)
            {
                count = 0;
            }

            if (!TryArgIntervalId(c, startIndex, 0, out start, out bool startExclusive))
            {
                return;
            }

            if (startExclusive && !start.TryIncrement(out start))
            {
                c.Reply.Error(InvalidStart);
                return;
            }

            if (!TryArgIntervalId(c, startIndex + 1, ulong.MaxValue, out end, out bool endExclusive))
            {
                return;
            }

            if (endExclusive && !end.TryDecrement(out end))
            {
                c.Reply.Error(InvalidEnd);
                return;
            }

            if (startIndex + 3 < c.ArgCount)
            {
                consumerArg = startIndex + 3;
            }
        }

        var stream = ReadStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        var cg = stream?.Groups?.Find(c.Arg(2));
        if (cg is null)
        {
            c.Reply.Error(NoGroup(c));
            return;
        }

        if (summary)
        {
            c.Reply.ArrayHeader(4);
            c.Reply.Integer(cg.Pending.Count);
            if (cg.Pending.Count == 0)
            {
                c.Reply.NullBulk();
                c.Reply.NullBulk();
                c.Reply.NullArray();
                return;
            }

            ReplyId(c, cg.Pending.First.Id);
            ReplyId(c, cg.Pending.Last.Id);
            int withPending = 0;
            foreach (var consumer in cg.Consumers)
            {
                if (consumer.Pending.Count > 0)
                {
                    withPending++;
                }
            }

            c.Reply.ArrayHeader(withPending);
            foreach (var consumer in cg.Consumers)
            {
                if (consumer.Pending.Count > 0)
                {
                    c.Reply.ArrayHeader(2);
                    c.Reply.Bulk(consumer.Name);
                    c.Reply.BulkInteger(consumer.Pending.Count);
                }
            }

            return;
        }

        PendingList pel;
        if (consumerArg > 0)
        {
            var consumer = cg.FindConsumer(c.Arg(consumerArg));
            if (consumer is null)
            {
                c.Reply.ArrayHeader(0);
                return;
            }

            pel = consumer.Pending;
        }
        else
        {
            pel = cg.Pending;
        }

        long n = 0;
        var cursor = pel.Seek(start);
        while (n < count && pel.TryGet(cursor, out var nack) && nack.Id <= end)
        {
            if (minIdle == 0 || c.Now - nack.DeliveryTime >= minIdle)
            {
                n++;
            }

            pel.MoveNext(ref cursor);
        }

        c.Reply.ArrayHeader(n);
        cursor = pel.Seek(start);
        for (long i = 0; i < n;)
        {
            pel.TryGet(cursor, out var nack);
            pel.MoveNext(ref cursor);
            if (minIdle != 0 && c.Now - nack.DeliveryTime < minIdle)
            {
                continue;
            }

            c.Reply.ArrayHeader(4);
            ReplyId(c, nack.Id);
            c.Reply.Bulk(nack.Consumer!.Name);
            c.Reply.Integer(Math.Max(0, c.Now - nack.DeliveryTime));
            c.Reply.Integer(nack.DeliveryCount);
            i++;
        }
    }

    private static void XClaim(CommandContext c)
    {
        var stream = ReadStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        var cg = stream?.Groups?.Find(c.Arg(2));
        if (cg is null)
        {
            c.Reply.Error(NoGroup(c));
            return;
        }

        if (!RespNumber.TryParseInt64(c.Arg(4), out long minIdle))
        {
            c.Reply.Error("ERR Invalid min-idle-time argument for XCLAIM"u8);
            return;
        }

        minIdle = Math.Max(0, minIdle);
        int j = 5;
        while (j < c.ArgCount && StreamId.TryParse(c.Arg(j), 0, strict: true, allowAutoSeq: false, out _, out _))
        {
            j++;
        }

        int lastIdArg = j - 1;
        long now = c.Now;
        long deliveryTime = -1, retryCount = -1;
        bool force = false, justId = false;
        var lastId = StreamId.Zero;
        for (; j < c.ArgCount; j++)
        {
            bool more = j + 1 < c.ArgCount;
            if (c.ArgIs(j, "force"u8))
            {
                force = true;
            }
            else if (c.ArgIs(j, "justid"u8))
            {
                justId = true;
            }
            else if (c.ArgIs(j, "idle"u8) && more)
            {
                if (!RespNumber.TryParseInt64(c.Arg(++j), out deliveryTime))
                {
                    c.Reply.Error("ERR Invalid IDLE option argument for XCLAIM"u8);
                    return;
                }

                deliveryTime = now - deliveryTime;
            }
            else if (c.ArgIs(j, "time"u8) && more)
            {
                if (!RespNumber.TryParseInt64(c.Arg(++j), out deliveryTime))
                {
                    c.Reply.Error("ERR Invalid TIME option argument for XCLAIM"u8);
                    return;
                }
            }
            else if (c.ArgIs(j, "retrycount"u8) && more)
            {
                if (!RespNumber.TryParseInt64(c.Arg(++j), out retryCount))
                {
                    c.Reply.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM"u8);
                    return;
                }
            }
            else if (c.ArgIs(j, "lastid"u8) && more)
            {
                if (!TryArgId(c, ++j, 0, strict: true, out lastId))
                {
                    return;
                }
            }
            else
            {
                c.Reply.Error($"ERR Unrecognized XCLAIM option '{c.ArgString(j)}'");
                return;
            }
        }

        // XCLAIM propagates each claim (and each pending entry it drops) as an XCLAIM of its own, never
        // itself; a LASTID that moved the group goes as XGROUP SETID when no XCLAIM carries it (Redis's xclaimCommand).
        var propagation = c.Keyspace.Propagation;
        bool propagate = propagation.Active;
        if (propagate)
        {
            propagation.Prevent();
        }

        bool propagateLastId = false;
        if (lastId > cg.LastId)
        {
            cg.LastId = lastId;
            propagateLastId = true;
        }

        // A delivery time in the future or negative becomes now (clients compute it from their own clocks).
        if (deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now)
        {
            deliveryTime = now;
        }

        // The reply's length is known only after claiming: claim first, then write (two passes over the IDs).
        StreamConsumer? consumer = null;
        var consumerName = c.Arg(3);
        long claimed = 0;
        Span<bool> take = lastIdArg - 4 <= 256 ? stackalloc bool[Math.Max(0, lastIdArg - 4)] : new bool[lastIdArg - 4];
        for (int k = 5; k <= lastIdArg; k++)
        {
            StreamId.TryParse(c.Arg(k), 0, strict: true, allowAutoSeq: false, out var id, out _);
            var nack = cg.Pending.Find(id);
            if (!stream!.Contains(id))
            {
                // The entry is gone: drop it from the PEL.
                if (nack is not null)
                {
                    if (propagate)
                    {
                        propagation.StreamClaim(c.Client.Db, c.Arg(1), cg, id, nack);
                        propagateLastId = false;
                    }

                    cg.Pending.Remove(id);
                    nack.Consumer?.Pending.Remove(id);
                    c.Dirty();
                }

                continue;
            }

            if (force && nack is null)
            {
                nack = new PendingEntry(id, null, now);
                cg.Pending.Add(nack);
            }

            if (nack is null)
            {
                continue;
            }

            if (nack.Consumer is not null && minIdle > 0 && now - nack.DeliveryTime < minIdle)
            {
                continue;
            }

            consumer ??= Refresh(cg.FindConsumer(consumerName), now) ?? CreateConsumer(c, cg, c.Arg(1), consumerName);
            if (nack.Consumer != consumer)
            {
                nack.Consumer?.Pending.Remove(id);
            }

            nack.DeliveryTime = deliveryTime;
            if (retryCount >= 0)
            {
                nack.DeliveryCount = retryCount;
            }
            else if (!justId)
            {
                nack.DeliveryCount++;
            }

            if (nack.Consumer != consumer)
            {
                consumer.Pending.Add(nack);
                nack.Consumer = consumer;
            }

            take[k - 5] = true;
            claimed++;
            c.Dirty();
            if (propagate)
            {
                propagation.StreamClaim(c.Client.Db, c.Arg(1), cg, id, nack);
                propagateLastId = false;
            }
        }

        if (propagateLastId)
        {
            c.Dirty();
            if (propagate)
            {
                propagation.StreamGroupId(c.Client.Db, c.Arg(1), cg);
            }
        }

        c.Reply.ArrayHeader(claimed);
        for (int k = 5; k <= lastIdArg; k++)
        {
            if (!take[k - 5])
            {
                continue;
            }

            StreamId.TryParse(c.Arg(k), 0, strict: true, allowAutoSeq: false, out var id, out _);
            if (justId)
            {
                ReplyId(c, id);
            }
            else
            {
                stream!.TryFind(id, out var p);
                stream.WriteEntry(c.Reply, p);
            }
        }
    }

    /// <summary>Redis's streamCreateConsumer: the new consumer is announced (xgroup-createconsumer).</summary>
    private static StreamConsumer CreateConsumer(CommandContext c, ConsumerGroup cg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> name)
    {
        var consumer = cg.AddConsumer(name, c.Now);
        Notify(c, key, "xgroup-createconsumer"u8);
        return consumer;
    }

    /// <summary>A keyspace notification without touching WATCH (Redis's notifyKeyspaceEvent alone).</summary>
    private static void Notify(CommandContext c, ReadOnlySpan<byte> key, ReadOnlySpan<byte> eventName)
        => c.Keyspace.Notifier?.Notify(KeyspaceEvents.Stream, eventName, key, c.Client.Db);

    private static StreamConsumer? Refresh(StreamConsumer? consumer, long now)
    {
        if (consumer is not null)
        {
            consumer.SeenTime = now;
        }

        return consumer;
    }

    private static void XAutoClaim(CommandContext c)
    {
        if (!RespNumber.TryParseInt64(c.Arg(4), out long minIdle))
        {
            c.Reply.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM"u8);
            return;
        }

        minIdle = Math.Max(0, minIdle);
        if (!TryArgIntervalId(c, 5, 0, out var start, out bool startExclusive))
        {
            return;
        }

        if (startExclusive && !start.TryIncrement(out start))
        {
            c.Reply.Error(InvalidStart);
            return;
        }

        long count = 100;
        bool justId = false;
        for (int j = 6; j < c.ArgCount; j++)
        {
            bool more = j + 1 < c.ArgCount;
            if (c.ArgIs(j, "count"u8) && more)
            {
                // getRangeLongFromObjectOrReply(1, LONG_MAX / max(sizeof(streamID), 10)).
                if (!RespNumber.TryParseInt64(c.Arg(j + 1), out count) || count < 1 || count > long.MaxValue / 16)
                {
                    c.Reply.Error("ERR COUNT must be > 0"u8);
                    return;
                }

                j++;
            }
            else if (c.ArgIs(j, "justid"u8))
            {
                justId = true;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var stream = ReadStream(c, c.Arg(1), out bool wrongType);
        if (wrongType)
        {
            return;
        }

        var cg = stream?.Groups?.Find(c.Arg(2));
        if (cg is null)
        {
            c.Reply.Error(NoGroup(c));
            return;
        }

        // Like XCLAIM: each claim and each dropped pending entry is propagated as an XCLAIM (Redis's xautoclaimCommand).
        var propagation = c.Keyspace.Propagation;
        bool propagate = propagation.Active;
        if (propagate)
        {
            propagation.Prevent();
        }

        long now = c.Now;
        long attempts = count * 10;
        var consumerName = c.Arg(3);
        StreamConsumer? consumer = null;
        var claimed = new List<StreamId>();
        List<StreamId>? deleted = null;
        var pel = cg.Pending;
        var cursor = pel.Seek(start);
        var next = StreamId.Zero;
        bool hasNext = false;
        while (attempts-- > 0 && count > 0 && pel.TryGet(cursor, out var nack))
        {
            var id = nack.Id;
            if (!stream!.Contains(id))
            {
                if (propagate)
                {
                    propagation.StreamClaim(c.Client.Db, c.Arg(1), cg, id, nack);
                }

                pel.Remove(id);
                nack.Consumer?.Pending.Remove(id);
                (deleted ??= []).Add(id);
                count--;
                c.Dirty();
                cursor = pel.Seek(id);
                continue;
            }

            pel.MoveNext(ref cursor);
            if (minIdle > 0 && now - nack.DeliveryTime < minIdle)
            {
                continue;
            }

            consumer ??= Refresh(cg.FindConsumer(consumerName), now) ?? CreateConsumer(c, cg, c.Arg(1), consumerName);
            if (nack.Consumer != consumer)
            {
                nack.Consumer?.Pending.Remove(id);
            }

            nack.DeliveryTime = now;
            if (!justId)
            {
                nack.DeliveryCount++;
            }

            if (nack.Consumer != consumer)
            {
                consumer.Pending.Add(nack);
                nack.Consumer = consumer;
            }

            claimed.Add(id);
            count--;
            c.Dirty();
            if (propagate)
            {
                propagation.StreamClaim(c.Client.Db, c.Arg(1), cg, id, nack);
            }
        }

        if (pel.TryGet(cursor, out var following))
        {
            next = following.Id;
            hasNext = true;
        }

        c.Reply.ArrayHeader(3);
        ReplyId(c, hasNext ? next : StreamId.Zero);
        c.Reply.ArrayHeader(claimed.Count);
        foreach (var id in claimed)
        {
            if (justId)
            {
                ReplyId(c, id);
            }
            else
            {
                stream!.TryFind(id, out var p);
                stream.WriteEntry(c.Reply, p);
            }
        }

        c.Reply.ArrayHeader(deleted?.Count ?? 0);
        if (deleted is not null)
        {
            foreach (var id in deleted)
            {
                ReplyId(c, id);
            }
        }
    }

    // ---- XGROUP ----

    private static void GroupHelp(CommandContext c) => ClientCommands.WriteHelp(c.Reply, GroupHelpLines);

    private static void SubcommandSyntaxError(CommandContext c)
        => c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try {c.ArgString(0).ToUpperInvariant()} HELP.");

    /// <summary>
    /// The part of Redis's xgroupCommand every subcommand shares: options parsed first, then the key
    /// (which must exist unless MKSTREAM) and, for SETID/CREATECONSUMER/DELCONSUMER, the group.
    /// </summary>
    private static bool TryGroupPrologue(CommandContext c, bool needsGroup, bool create, bool setId, out StreamValue? stream, out ConsumerGroup? cg, out bool mkStream, out long entriesRead)
    {
        stream = null;
        cg = null;
        mkStream = false;
        entriesRead = StreamValue.InvalidEntriesRead;
        if (create || setId)
        {
            int i = 5;
            while (i < c.ArgCount)
            {
                if (create && c.ArgIs(i, "mkstream"u8))
                {
                    mkStream = true;
                    i++;
                }
                else if (c.ArgIs(i, "entriesread"u8) && i + 1 < c.ArgCount)
                {
                    if (!c.TryArgLong(i + 1, out entriesRead))
                    {
                        return false;
                    }

                    if (entriesRead < 0 && entriesRead != StreamValue.InvalidEntriesRead)
                    {
                        c.Reply.Error("ERR value for ENTRIESREAD must be positive or -1"u8);
                        return false;
                    }

                    i += 2;
                }
                else
                {
                    SubcommandSyntaxError(c);
                    return false;
                }
            }
        }

        stream = WriteStream(c, c.Arg(2), out bool wrongType);
        if (wrongType)
        {
            return false;
        }

        if (!mkStream)
        {
            if (stream is null)
            {
                c.Reply.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."u8);
                return false;
            }

            cg = stream.Groups?.Find(c.Arg(3));
            if (cg is null && needsGroup)
            {
                c.Reply.Error($"NOGROUP No such consumer group '{Text(c.Arg(3))}' for key name '{Text(c.Arg(2))}'");
                return false;
            }
        }
        else
        {
            cg = stream?.Groups?.Find(c.Arg(3));
        }

        return true;
    }

    private static void GroupCreate(CommandContext c)
    {
        if (!TryGroupPrologue(c, needsGroup: false, create: true, setId: false, out var stream, out _, out _, out long entriesRead))
        {
            return;
        }

        if (c.ArgCount > 8)
        {
            SubcommandSyntaxError(c);
            return;
        }

        StreamId id;
        var idArg = c.Arg(4);
        if (idArg.Length == 1 && idArg[0] == (byte)'$')
        {
            id = stream?.LastId ?? StreamId.Zero;
        }
        else if (!TryArgId(c, 4, 0, strict: true, out id))
        {
            return;
        }

        if (stream is null)
        {
            stream = new StreamValue();
            c.Db.Add(c.Arg(2), stream);
        }

        stream.Groups ??= new StreamGroups();
        if (stream.Groups.Create(c.Arg(3), id, entriesRead) is null)
        {
            c.Reply.Error("BUSYGROUP Consumer Group name already exists"u8);
            return;
        }

        c.Reply.Ok();
        c.Dirty();
        c.Modified(c.Arg(2), KeyspaceEvents.Stream, "xgroup-create"u8);
    }

    private static void GroupSetId(CommandContext c)
    {
        if (!TryGroupPrologue(c, needsGroup: true, create: false, setId: true, out var stream, out var cg, out _, out long entriesRead))
        {
            return;
        }

        if (c.ArgCount != 5 && c.ArgCount != 7)
        {
            SubcommandSyntaxError(c);
            return;
        }

        StreamId id;
        var idArg = c.Arg(4);
        if (idArg.Length == 1 && idArg[0] == (byte)'$')
        {
            id = stream!.LastId;
        }
        else if (!TryArgId(c, 4, 0, strict: false, out id))
        {
            return;
        }

        cg!.LastId = id;
        cg.EntriesRead = entriesRead;
        c.Reply.Ok();
        c.Dirty();
        c.Modified(c.Arg(2), KeyspaceEvents.Stream, "xgroup-setid"u8);
    }

    private static void GroupDestroy(CommandContext c)
    {
        if (!TryGroupPrologue(c, needsGroup: false, create: false, setId: false, out var stream, out var cg, out _, out _))
        {
            return;
        }

        if (cg is null)
        {
            c.Reply.Integer(0);
            return;
        }

        stream!.Groups!.Remove(cg.Name);
        c.Reply.Integer(1);
        c.Dirty();
        c.Modified(c.Arg(2), KeyspaceEvents.Stream, "xgroup-destroy"u8);

        // Clients blocked in XREADGROUP on this group get -NOGROUP (Redis signals the key as ready).
        c.Keyspace.Blocking.SignalReady(c.Client.Db, c.Arg(2));
    }

    private static void GroupCreateConsumer(CommandContext c)
    {
        if (!TryGroupPrologue(c, needsGroup: true, create: false, setId: false, out _, out var cg, out _, out _))
        {
            return;
        }

        if (cg!.FindConsumer(c.Arg(4)) is not null)
        {
            c.Reply.Integer(0);
            return;
        }

        cg.AddConsumer(c.Arg(4), c.Now);
        c.Reply.Integer(1);
        c.Dirty();
        c.Modified(c.Arg(2), KeyspaceEvents.Stream, "xgroup-createconsumer"u8);
    }

    private static void GroupDelConsumer(CommandContext c)
    {
        if (!TryGroupPrologue(c, needsGroup: true, create: false, setId: false, out _, out var cg, out _, out _))
        {
            return;
        }

        var consumer = cg!.FindConsumer(c.Arg(4));
        long pending = 0;
        if (consumer is not null)
        {
            pending = consumer.Pending.Count;
            cg.RemoveConsumer(consumer);
            c.Dirty();
            c.Modified(c.Arg(2), KeyspaceEvents.Stream, "xgroup-delconsumer"u8);
        }

        c.Reply.Integer(pending);
    }

    // ---- XINFO ----

    private static void InfoHelp(CommandContext c) => ClientCommands.WriteHelp(c.Reply, InfoHelpLines);

    private static StreamValue? InfoStreamOrReply(CommandContext c)
    {
        var stream = ReadStream(c, c.Arg(2), out bool wrongType);
        if (stream is null && !wrongType)
        {
            c.Reply.Error(Errors.NoSuchKey);
        }

        return stream;
    }

    private static void InfoConsumers(CommandContext c)
    {
        var stream = InfoStreamOrReply(c);
        if (stream is null)
        {
            return;
        }

        var cg = stream.Groups?.Find(c.Arg(3));
        if (cg is null)
        {
            c.Reply.Error($"NOGROUP No such consumer group '{Text(c.Arg(3))}' for key name '{Text(c.Arg(2))}'");
            return;
        }

        c.Reply.ArrayHeader(cg.Consumers.Count);
        foreach (var consumer in cg.Consumers)
        {
            c.Reply.MapHeader(3);
            c.Reply.Bulk("name"u8);
            c.Reply.Bulk(consumer.Name);
            c.Reply.Bulk("pending"u8);
            c.Reply.Integer(consumer.Pending.Count);
            c.Reply.Bulk("idle"u8);
            c.Reply.Integer(Math.Max(0, c.Now - consumer.SeenTime));
        }
    }

    private static void InfoGroups(CommandContext c)
    {
        var stream = InfoStreamOrReply(c);
        if (stream is null)
        {
            return;
        }

        var groups = stream.Groups?.All;
        c.Reply.ArrayHeader(groups?.Count ?? 0);
        if (groups is null)
        {
            return;
        }

        foreach (var cg in groups)
        {
            c.Reply.MapHeader(6);
            c.Reply.Bulk("name"u8);
            c.Reply.Bulk(cg.Name);
            c.Reply.Bulk("consumers"u8);
            c.Reply.Integer(cg.Consumers.Count);
            c.Reply.Bulk("pending"u8);
            c.Reply.Integer(cg.Pending.Count);
            c.Reply.Bulk("last-delivered-id"u8);
            ReplyId(c, cg.LastId);
            WriteEntriesReadAndLag(c, stream, cg);
        }
    }

    private static void WriteEntriesReadAndLag(CommandContext c, StreamValue stream, ConsumerGroup cg)
    {
        c.Reply.Bulk("entries-read"u8);
        if (cg.EntriesRead != StreamValue.InvalidEntriesRead)
        {
            c.Reply.Integer(cg.EntriesRead);
        }
        else
        {
            c.Reply.NullBulk();
        }

        // Redis's streamReplyWithCGLag.
        c.Reply.Bulk("lag"u8);
        if (stream.EntriesAdded == 0)
        {
            c.Reply.Integer(0);
        }
        else if (cg.EntriesRead != StreamValue.InvalidEntriesRead && !stream.RangeHasTombstones(cg.LastId, StreamId.Max))
        {
            c.Reply.Integer(stream.EntriesAdded - cg.EntriesRead);
        }
        else
        {
            long read = stream.EstimateDistanceFromFirstEverEntry(cg.LastId);
            if (read != StreamValue.InvalidEntriesRead)
            {
                c.Reply.Integer(stream.EntriesAdded - read);
            }
            else
            {
                c.Reply.NullBulk();
            }
        }
    }

    private static void InfoStream(CommandContext c)
    {
        var stream = InfoStreamOrReply(c);
        if (stream is null)
        {
            return;
        }

        bool full = false;
        long count = 10;
        if (c.ArgCount > 3)
        {
            if ((c.ArgCount != 4 && c.ArgCount != 6) || !c.ArgIs(3, "full"u8))
            {
                SubcommandSyntaxError(c);
                return;
            }

            if (c.ArgCount == 6)
            {
                if (!c.ArgIs(4, "count"u8))
                {
                    SubcommandSyntaxError(c);
                    return;
                }

                if (!c.TryArgLong(5, out count))
                {
                    return;
                }

                if (count < 0)
                {
                    count = 10;
                }
            }

            full = true;
        }

        c.Reply.MapHeader(full ? 9 : 10);
        c.Reply.Bulk("length"u8);
        c.Reply.Integer(stream.Length);
        c.Reply.Bulk("radix-tree-keys"u8);
        c.Reply.Integer(stream.BlockCount);
        c.Reply.Bulk("radix-tree-nodes"u8);
        c.Reply.Integer(stream.RadixTreeNodes());
        c.Reply.Bulk("last-generated-id"u8);
        ReplyId(c, stream.LastId);
        c.Reply.Bulk("max-deleted-entry-id"u8);
        ReplyId(c, stream.MaxDeletedId);
        c.Reply.Bulk("entries-added"u8);
        c.Reply.Integer(stream.EntriesAdded);
        c.Reply.Bulk("recorded-first-entry-id"u8);
        ReplyId(c, stream.FirstId);
        if (!full)
        {
            c.Reply.Bulk("groups"u8);
            c.Reply.Integer(stream.Groups?.Count ?? 0);
            c.Reply.Bulk("first-entry"u8);
            if (stream.SeekFirst(StreamId.Zero, out var first))
            {
                stream.WriteEntry(c.Reply, first);
            }
            else
            {
                c.Reply.NullBulk();
            }

            c.Reply.Bulk("last-entry"u8);
            if (stream.SeekLast(StreamId.Max, out var last))
            {
                stream.WriteEntry(c.Reply, last);
            }
            else
            {
                c.Reply.NullBulk();
            }

            return;
        }

        c.Reply.Bulk("entries"u8);
        WriteRange(c, stream, StreamId.Zero, StreamId.Max, count, reverse: false);
        c.Reply.Bulk("groups"u8);
        var groups = stream.Groups?.All;
        c.Reply.ArrayHeader(groups?.Count ?? 0);
        if (groups is null)
        {
            return;
        }

        foreach (var cg in groups)
        {
            c.Reply.MapHeader(7);
            c.Reply.Bulk("name"u8);
            c.Reply.Bulk(cg.Name);
            c.Reply.Bulk("last-delivered-id"u8);
            ReplyId(c, cg.LastId);
            WriteEntriesReadAndLag(c, stream, cg);
            c.Reply.Bulk("pel-count"u8);
            c.Reply.Integer(cg.Pending.Count);
            c.Reply.Bulk("pending"u8);
            long n = count == 0 ? cg.Pending.Count : Math.Min(count, cg.Pending.Count);
            c.Reply.ArrayHeader(n);
            var cursor = cg.Pending.Seek(StreamId.Zero);
            for (long i = 0; i < n; i++)
            {
                cg.Pending.TryGet(cursor, out var nack);
                c.Reply.ArrayHeader(4);
                ReplyId(c, nack.Id);
                c.Reply.Bulk(nack.Consumer!.Name);
                c.Reply.Integer(nack.DeliveryTime);
                c.Reply.Integer(nack.DeliveryCount);
                cg.Pending.MoveNext(ref cursor);
            }

            c.Reply.Bulk("consumers"u8);
            c.Reply.ArrayHeader(cg.Consumers.Count);
            foreach (var consumer in cg.Consumers)
            {
                c.Reply.MapHeader(4);
                c.Reply.Bulk("name"u8);
                c.Reply.Bulk(consumer.Name);
                c.Reply.Bulk("seen-time"u8);
                c.Reply.Integer(consumer.SeenTime);
                c.Reply.Bulk("pel-count"u8);
                c.Reply.Integer(consumer.Pending.Count);
                c.Reply.Bulk("pending"u8);
                long m = count == 0 ? consumer.Pending.Count : Math.Min(count, consumer.Pending.Count);
                c.Reply.ArrayHeader(m);
                var own = consumer.Pending.Seek(StreamId.Zero);
                for (long i = 0; i < m; i++)
                {
                    consumer.Pending.TryGet(own, out var nack);
                    c.Reply.ArrayHeader(3);
                    ReplyId(c, nack.Id);
                    c.Reply.Integer(nack.DeliveryTime);
                    c.Reply.Integer(nack.DeliveryCount);
                    consumer.Pending.MoveNext(ref own);
                }
            }
        }
    }
}
