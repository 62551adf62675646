using System.Runtime.CompilerServices;
using Kv.Server.Persistence;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>
/// MEMORY USAGE, STATS, DOCTOR, PURGE, MALLOC-STATS and HELP. Sizes come from the same per-key
/// estimate maxmemory uses (<see cref="MemoryEstimate"/>), so MEMORY USAGE and INFO's used_memory agree
/// with what eviction sees.
/// </summary>
internal static class MemoryCommands
{
    // Redis's MEMORY DOCTOR calls an instance under 5 MB empty.
    private const long DoctorEmptyBelow = 5L * 1024 * 1024;

    private static readonly string[] HelpLines =
    [
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
    ];

    public static void Register(CommandTable table)
    {
        var command = table.Add("memory", -2, "", 0, 0, 0, "@slow", null, "server", "A container for memory diagnostics commands", "4.0.0", "Depends on subcommand.");
        command.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@slow", Help, "server", "Show helpful text about the different subcommands", "4.0.0", "O(1)"));
        command.AddSubcommand(CommandTable.Create("malloc-stats", 2, "", 0, 0, 0, "@slow", MallocStats, "server", "Show allocator internal stats", "4.0.0", "Depends on how much memory is allocated, could be slow")
            .WithTips("nondeterministic_output", "request_policy:all_shards", "response_policy:special"));
        command.AddSubcommand(CommandTable.Create("doctor", 2, "", 0, 0, 0, "@slow", Doctor, "server", "Outputs memory problems report", "4.0.0", "O(1)")
            .WithTips("nondeterministic_output", "request_policy:all_shards", "response_policy:special"));
        command.AddSubcommand(CommandTable.Create("stats", 2, "", 0, 0, 0, "@slow", Stats, "server", "Show memory usage details", "4.0.0", "O(1)")
            .WithTips("nondeterministic_output", "request_policy:all_shards", "response_policy:special"));
        command.AddSubcommand(CommandTable.Create("purge", 2, "", 0, 0, 0, "@slow", Purge, "server", "Ask the allocator to release memory", "4.0.0", "Depends on how much memory is allocated, could be slow")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded"));
        command.AddSubcommand(CommandTable.Create("usage", -3, "readonly", 2, 2, 1, "@read @slow", Usage, "server", "Estimate the memory usage of a key", "4.0.0", "O(N) where N is the number of samples.")
            .WithKeys("RO | index 2 | range 0 1 0")
            .WithArgs("key:key#0 count:integer=SAMPLES?"));
    }

    private static void Help(CommandContext c) => ObjectCommands.WriteHelp(c, HelpLines);

    // Redis's memoryCommand USAGE: options are checked before the key is looked up; the key is found
    // without expiring it or counting a hit (dbFind). The estimate samples a few elements of a
    // collection whatever SAMPLES says (MemoryEstimate explains why it stays O(1)).
    private static void Usage(CommandContext c)
    {
        for (int i = 3; i < c.ArgCount; i++)
        {
            if (!c.ArgIs(i, "samples"u8) || i + 1 >= c.ArgCount)
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }

            if (!c.TryArgLong(++i, out long samples))
            {
                return;
            }

            if (samples < 0)
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var db = c.Db;
        int index = db.Table.Find(c.Arg(2));
        if (index < 0)
        {
            c.Reply.NullBulk();
            return;
        }

        c.Reply.Integer(db.Table.Measure(index) + EntryOverhead);
    }

    // What the key table spends per key besides the key and value: its entry, bucket and size slot.
    private static int EntryOverhead => Unsafe.SizeOf<KeyEntry>() + 8;

    private static void Stats(CommandContext c)
    {
        var server = c.Server;
        long dataset = server.Memory.Dataset; // Memory.Used also counts the tables' arrays, added below as overhead
        long keys = 0;
        long overhead = 0;
        int databases = 0;
        foreach (var db in server.Keyspace.Databases)
        {
            keys += db.Count;
            overhead += db.Table.OverheadBytes;
            if (db.Count > 0)
            {
                databases++;
            }
        }

        long lua = server.Scripting.EvalMemory + server.Scripting.Scripts.BodyBytes;
        long functions = server.Scripting.FunctionMemory;
        long total = dataset + overhead + lua + functions;
        long rss = Environment.WorkingSet;
        var reply = c.Reply;
        reply.MapHeader(18 + databases);
        Field(reply, "peak.allocated"u8, total);
        Field(reply, "total.allocated"u8, total);
        Field(reply, "startup.allocated"u8, 0);
        Field(reply, "replication.backlog"u8, 0);
        Field(reply, "clients.slaves"u8, 0);
        Field(reply, "clients.normal"u8, 0);
        Field(reply, "cluster.links"u8, 0);
        Field(reply, "aof.buffer"u8, 0);
        Field(reply, "lua.caches"u8, lua);
        Field(reply, "functions.caches"u8, functions);
        var all = server.Keyspace.Databases;
        for (int i = 0; i < all.Length; i++)
        {
            if (all[i].Count == 0)
            {
                continue;
            }

            reply.Bulk($"db.{i}");
            reply.MapHeader(3);
            Field(reply, "overhead.hashtable.main"u8, all[i].Table.OverheadBytes);
            Field(reply, "overhead.hashtable.expires"u8, 0);
            Field(reply, "overhead.hashtable.slot-to-keys"u8, 0);
        }

        Field(reply, "overhead.total"u8, overhead + lua + functions);
        Field(reply, "keys.count"u8, keys);
        Field(reply, "keys.bytes-per-key"u8, keys == 0 ? 0 : total / keys);
        Field(reply, "dataset.bytes"u8, dataset);
        reply.Bulk("dataset.percentage"u8);
        reply.Double(total == 0 ? 0 : dataset * 100.0 / total);
        reply.Bulk("peak.percentage"u8);
        reply.Double(100);
        reply.Bulk("fragmentation"u8);
        reply.Double(total == 0 ? 0 : (double)rss / total);
        Field(reply, "fragmentation.bytes"u8, rss - total);
    }

    private static void Field(Kv.Protocol.RespWriter reply, ReadOnlySpan<byte> name, long value)
    {
        reply.Bulk(name);
        reply.Integer(value);
    }

    // Redis 7.0's getMemoryDoctorReport, for the conditions kv-server can observe.
    private static void Doctor(CommandContext c)
    {
        long used = c.Server.Memory.Used;
        c.Reply.Verbatim(used < DoctorEmptyBelow
            ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting."u8
            : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."u8);
    }

    // The GC compacts the heap and returns free segments to the OS (Redis: jemalloc's purge).
    private static void Purge(CommandContext c)
    {
        c.Server.Reclaim.Run();
        c.Reply.Ok();
    }

    // What Redis answers when it is not built with jemalloc.
    private static void MallocStats(CommandContext c) => c.Reply.Verbatim("Stats not supported for the current allocator"u8);
}
