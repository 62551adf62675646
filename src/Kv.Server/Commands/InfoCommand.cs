using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Kv.Server.Commands;

/// <summary>
/// INFO [section ...]: Redis 7.0's sections, headers and field names, so redis-cli, monitoring
/// agents and client libraries read kv-server as they read Redis. Fields that describe machinery
/// kv-server does not have (forks, replication links, jemalloc) report Redis's idle values.
/// </summary>
internal static class InfoCommand
{
    // Redis's genRedisInfoString order; "default" is every section but commandstats and latencystats.
    private static readonly string[] Sections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "commandstats", "errorstats", "cluster", "keyspace"];
    private static readonly HashSet<string> DefaultSections = ["server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules", "errorstats", "cluster", "keyspace"];
    private static readonly ConditionalWeakTable<ServerState, Samples> SamplesByServer = [];
    private static readonly Lazy<string> OperatingSystem = new(DescribeOperatingSystem);

    public static void Register(CommandTable table)
    {
        table.Add("info", -1, "loading stale", 0, 0, 0, "@dangerous", Info, "server", "Get information and statistics about the server")
            .WithTips("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
            .WithArgs("section:string?*")
            .WithHistory(("7.0.0", "Added support for taking multiple section arguments."));
    }

    /// <summary>Forgets the samples behind instantaneous_ops_per_sec (CONFIG RESETSTAT).</summary>
    public static void ResetSamples(ServerState server) => SamplesByServer.Remove(server);

    private static void Info(CommandContext c)
    {
        var wanted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (c.ArgCount == 1)
        {
            wanted.UnionWith(DefaultSections);
        }

        for (int i = 1; i < c.ArgCount; i++)
        {
            string name = c.ArgString(i).ToLowerInvariant();
            switch (name)
            {
                case "default":
                    wanted.UnionWith(DefaultSections);
                    break;
                case "all" or "everything":
                    wanted.UnionWith(Sections);
                    break;
                default:
                    wanted.Add(name);
                    break;
            }
        }

        var text = new StringBuilder(4096);
        foreach (var section in Sections)
        {
            if (!wanted.Contains(section))
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append("\r\n");
            }

            Write(text, section, c);
        }

        c.Reply.Verbatim(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Builds one section's text (used by INFO and by tests through the socket).</summary>
    private static void Write(StringBuilder text, string section, CommandContext c)
    {
        var server = c.Server;
        var config = server.Config;
        var samples = SamplesByServer.GetValue(server, _ => new Samples());
        var line = new Line(text);
        long nowMs = c.Now;
        long startedMs = server.StartedAt.ToUnixTimeMilliseconds();
        long uptime = Math.Max(0, nowMs - startedMs) / 1000;
        switch (section)
        {
            case "server":
                text.Append("# Server\r\n");
                line.Add("redis_version", ConnectionCommands.RedisVersion);
                line.Add("redis_git_sha1", "00000000");
                line.Add("redis_git_dirty", 0);
                line.Add("redis_build_id", "0");
                line.Add("redis_mode", "standalone");
                line.Add("os", OperatingSystem.Value);
                line.Add("arch_bits", IntPtr.Size * 8);
                line.Add("monotonic_clock", "Stopwatch");
                line.Add("multiplexing_api", "kestrel");
                line.Add("process_id", Environment.ProcessId);
                line.Add("process_supervised", "no");
                line.Add("run_id", server.RunId);
                line.Add("tcp_port", server.BoundPort);
                line.Add("server_time_usec", server.Keyspace.NowMicroseconds);
                line.Add("uptime_in_seconds", uptime);
                line.Add("uptime_in_days", uptime / 86400);
                line.Add("hz", config.Hz);
                line.Add("configured_hz", config.Hz);
                line.Add("lru_clock", nowMs / 1000 & ((1 << 24) - 1));
                line.Add("executable", Environment.ProcessPath ?? "");
                line.Add("config_file", config.ConfigFile);
                line.Add("io_threads_active", 0);
                break;

            case "clients":
                var clients = server.Clients.Snapshot();
                long maxInput = 0;
                int blocked = 0;
                foreach (var client in clients)
                {
                    maxInput = Math.Max(maxInput, client.QueryBufferLength);
                    blocked += client.Blocked ? 1 : 0;
                }

                text.Append("# Clients\r\n");
                line.Add("connected_clients", clients.Count);
                line.Add("cluster_connections", 0);
                line.Add("maxclients", config.MaxClients);
                line.Add("client_recent_max_input_buffer", maxInput);
                line.Add("client_recent_max_output_buffer", 0);
                line.Add("blocked_clients", blocked);
                line.Add("tracking_clients", c.Server.Tracking.ClientCount);
                line.Add("clients_in_timeout_table", 0);
                break;

            case "memory":
                // used_memory is what maxmemory limits: the data set's estimate (Persistence.MemoryLimit explains it).
                long used = server.Memory.Used;
                long rss = Environment.WorkingSet;
                samples.PeakMemory = Math.Max(samples.PeakMemory, used);
                var gc = GC.GetGCMemoryInfo();
                long total = gc.TotalAvailableMemoryBytes;
                text.Append("# Memory\r\n");
                line.Add("used_memory", used);
                line.Add("used_memory_human", Human(used));
                line.Add("used_memory_rss", rss);
                line.Add("used_memory_rss_human", Human(rss));
                line.Add("used_memory_peak", samples.PeakMemory);
                line.Add("used_memory_peak_human", Human(samples.PeakMemory));
                line.Add("used_memory_peak_perc", Percent(used, samples.PeakMemory));
                // The allocator here is the GC: its heap (live objects and garbage not yet collected),
                // the memory it has committed, and the process's resident size.
                line.Add("allocator_allocated", gc.HeapSizeBytes);
                line.Add("allocator_active", gc.TotalCommittedBytes);
                line.Add("allocator_resident", rss);
                line.Add("total_system_memory", total);
                line.Add("total_system_memory_human", Human(total));
                AddScriptMemory(line, server.Scripting);
                line.Add("maxmemory", config.MaxMemory);
                line.Add("maxmemory_human", Human(config.MaxMemory));
                line.Add("maxmemory_policy", config.Find("maxmemory-policy")!.Get());
                line.Add("mem_fragmentation_ratio", Ratio(rss, used));
                line.Add("mem_fragmentation_bytes", rss - used);
                line.Add("mem_not_counted_for_evict", 0);
                line.Add("mem_replication_backlog", 0);
                line.Add("mem_clients_slaves", 0);
                line.Add("mem_clients_normal", 0);
                line.Add("mem_aof_buffer", 0);
                line.Add("mem_allocator", "dotnet-gc");
                line.Add("active_defrag_running", 0);
                line.Add("lazyfree_pending_objects", 0);
                line.Add("lazyfreed_objects", 0);
                break;

            case "persistence":
                text.Append("# Persistence\r\n");
                line.Add("loading", server.Rdb.Loading ? 1 : 0);
                line.Add("async_loading", 0);
                line.Add("current_cow_peak", 0);
                line.Add("current_cow_size", 0);
                line.Add("current_cow_size_age", 0);
                line.Add("current_fork_perc", "0.00");
                line.Add("current_save_keys_processed", 0);
                line.Add("current_save_keys_total", 0);
                #region rdb_* (RDB snapshots; Redis 7.0's genRedisInfoString order)
                server.Rdb.Describe((name, value) => line.Add(name, value), (name, value) => line.Add(name, value));
                #endregion
                #region aof_* (the append-only file; Redis 7.0's genRedisInfoString order)
                var aof = server.Aof;
                var rewrite = aof.Rewrite;
                line.Add("aof_enabled", aof.State != Persistence.Aof.AofState.Off ? 1 : 0);
                line.Add("aof_rewrite_in_progress", rewrite.InProgress ? 1 : 0);
                line.Add("aof_rewrite_scheduled", rewrite.Scheduled ? 1 : 0);
                line.Add("aof_last_rewrite_time_sec", rewrite.LastDurationSeconds);
                line.Add("aof_current_rewrite_time_sec", rewrite.CurrentDurationSeconds);
                line.Add("aof_last_bgrewrite_status", rewrite.LastOk ? "ok" : "err");
                line.Add("aof_rewrites", rewrite.Count);
                line.Add("aof_rewrites_consecutive_failures", rewrite.ConsecutiveFailures);
                line.Add("aof_last_write_status", aof.LastWriteOk ? "ok" : "err");
                line.Add("aof_last_cow_size", 0);
                #endregion
                line.Add("module_fork_in_progress", 0);
                line.Add("module_fork_last_cow_size", 0);
                if (aof.State != Persistence.Aof.AofState.Off)
                {
                    line.Add("aof_current_size", aof.CurrentSize);
                    line.Add("aof_base_size", aof.BaseSize);
                    line.Add("aof_pending_rewrite", rewrite.Scheduled ? 1 : 0);
                    line.Add("aof_buffer_length", aof.BufferLength);
                    line.Add("aof_pending_bio_fsync", 0);
                    line.Add("aof_delayed_fsync", aof.DelayedFsync);
                }

                if (server.Rdb.Loading)
                {
                    server.Rdb.Progress.Describe(server.Time.GetUtcNow().ToUnixTimeSeconds(), (name, value) => line.Add(name, value), (name, value) => line.Add(name, value));
                }

                break;

            case "stats":
                var stats = server.Stats;
                var keyspace = c.Keyspace.Stats;
                // Redis's stat_total_error_replies: every error reply, once (a script's relayed error is not recounted).
                long errors = server.ErrorStats.Total;

                text.Append("# Stats\r\n");
                line.Add("total_connections_received", Interlocked.Read(ref stats.TotalConnectionsReceived));
                line.Add("total_commands_processed", stats.TotalCommandsProcessed);
                line.Add("instantaneous_ops_per_sec", samples.OpsPerSecond(stats.TotalCommandsProcessed));
                line.Add("total_net_input_bytes", stats.TotalNetInputBytes);
                line.Add("total_net_output_bytes", stats.TotalNetOutputBytes);
                line.Add("total_net_repl_input_bytes", 0);
                line.Add("total_net_repl_output_bytes", 0);
                line.Add("instantaneous_input_kbps", "0.00");
                line.Add("instantaneous_output_kbps", "0.00");
                line.Add("instantaneous_input_repl_kbps", "0.00");
                line.Add("instantaneous_output_repl_kbps", "0.00");
                line.Add("rejected_connections", Interlocked.Read(ref stats.RejectedConnections));
                line.Add("sync_full", 0);
                line.Add("sync_partial_ok", 0);
                line.Add("sync_partial_err", 0);
                line.Add("expired_keys", keyspace.ExpiredKeys);
                line.Add("expired_stale_perc", keyspace.ExpiredStalePercent.ToString("0.00", CultureInfo.InvariantCulture));
                line.Add("expired_time_cap_reached_count", 0);
                line.Add("expire_cycle_cpu_milliseconds", keyspace.ExpireCycleCpuMilliseconds);
                line.Add("evicted_keys", keyspace.EvictedKeys);
                line.Add("evicted_clients", 0);
                line.Add("total_eviction_exceeded_time", c.Server.Memory.TotalExceededMilliseconds);
                line.Add("current_eviction_exceeded_time", c.Server.Memory.CurrentExceededMilliseconds);
                line.Add("keyspace_hits", keyspace.KeyspaceHits);
                line.Add("keyspace_misses", keyspace.KeyspaceMisses);
                line.Add("pubsub_channels", c.Server.PubSub.ChannelCount);
                line.Add("pubsub_patterns", c.Server.PubSub.PatternCount);
                line.Add("pubsubshard_channels", c.Server.PubSub.ShardChannelCount);
                line.Add("latest_fork_usec", 0);
                line.Add("total_forks", 0);
                line.Add("migrate_cached_sockets", 0);
                line.Add("slave_expires_tracked_keys", 0);
                line.Add("active_defrag_hits", 0);
                line.Add("active_defrag_misses", 0);
                line.Add("active_defrag_key_hits", 0);
                line.Add("active_defrag_key_misses", 0);
                line.Add("total_active_defrag_time", 0);
                line.Add("current_active_defrag_time", 0);
                line.Add("tracking_total_keys", c.Server.Tracking.KeyCount);
                line.Add("tracking_total_items", c.Server.Tracking.ItemCount);
                line.Add("tracking_total_prefixes", c.Server.Tracking.PrefixCount);
                line.Add("unexpected_error_replies", stats.UnexpectedErrorReplies);
                line.Add("total_error_replies", errors);
                line.Add("dump_payload_sanitizations", 0);
                break;

            case "replication":
                text.Append("# Replication\r\n");
                line.Add("role", "master");
                line.Add("connected_slaves", 0);
                line.Add("master_failover_state", "no-failover");
                line.Add("master_replid", server.ReplicationId);
                line.Add("master_replid2", new string('0', 40));
                line.Add("master_repl_offset", 0);
                line.Add("second_repl_offset", -1);
                line.Add("repl_backlog_active", 0);
                line.Add("repl_backlog_size", server.Config.ReplBacklogSize);
                line.Add("repl_backlog_first_byte_offset", 0);
                line.Add("repl_backlog_histlen", 0);
                break;

            case "cpu":
                using (var process = Process.GetCurrentProcess())
                {
                    text.Append("# CPU\r\n");
                    line.Add("used_cpu_sys", process.PrivilegedProcessorTime.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture));
                    line.Add("used_cpu_user", process.UserProcessorTime.TotalSeconds.ToString("0.000000", CultureInfo.InvariantCulture));
                    line.Add("used_cpu_sys_children", "0.000000");
                    line.Add("used_cpu_user_children", "0.000000");
                }

                break;

            case "modules":
                text.Append("# Modules\r\n");
                break;

            case "commandstats":
                text.Append("# Commandstats\r\n");
                foreach (var command in AllCommands(server.Commands))
                {
                    var s = command.Stats;
                    if (s.Calls == 0 && s.FailedCalls == 0 && s.RejectedCalls == 0)
                    {
                        continue;
                    }

                    double perCall = s.Calls == 0 ? 0 : (double)s.Microseconds / s.Calls;
                    text.Append(CultureInfo.InvariantCulture, $"cmdstat_{command.FullName}:calls={s.Calls},usec={s.Microseconds},usec_per_call={perCall:0.00},rejected_calls={s.RejectedCalls},failed_calls={s.FailedCalls}\r\n");
                }

                break;

            case "errorstats":
                text.Append("# Errorstats\r\n");
                server.ErrorStats.AppendInfo(text);
                break;

            case "cluster":
                text.Append("# Cluster\r\n");
                line.Add("cluster_enabled", 0);
                break;

            case "keyspace":
                text.Append("# Keyspace\r\n");
                foreach (var db in c.Keyspace.Databases)
                {
                    if (db.Count > 0)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"db{db.Id}:keys={db.Count},expires={db.Table.VolatileCount},avg_ttl=0\r\n");
                    }
                }

                break;
        }
    }

    /// <summary>Every row of the table, subcommands after their container, as INFO commandstats lists them.</summary>
    internal static IEnumerable<CommandDefinition> AllCommands(CommandTable table)
    {
        foreach (var command in table.All)
        {
            yield return command;
            foreach (var sub in command.Subcommands.Values)
            {
                yield return sub;
            }
        }
    }

    /// <summary>Redis's bytesToHuman: B below 1K, then K, M, G, T, P with two decimals.</summary>
    internal static string Human(long bytes)
    {
        double d = bytes;
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + "B";
        }

        string[] units = ["K", "M", "G", "T", "P"];
        for (int i = 0; i < units.Length; i++)
        {
            d /= 1024;
            if (d < 1024 || i == units.Length - 1)
            {
                return d.ToString("0.00", CultureInfo.InvariantCulture) + units[i];
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }

    private static string Percent(long part, long whole) => (whole == 0 ? 0 : part * 100.0 / whole).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Ratio(long a, long b) => (b == 0 ? 0 : (double)a / b).ToString("0.00", CultureInfo.InvariantCulture);

    // Redis prints uname's sysname, release and machine: "Linux 6.1.0-18-amd64 x86_64".
    private static string DescribeOperatingSystem()
    {
        string name = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "Linux"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "Darwin"
            : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "Windows"
            : RuntimeInformation.OSDescription;
        string release = Environment.OSVersion.Version.ToString();
        try
        {
            if (File.Exists("/proc/sys/kernel/osrelease"))
            {
                release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            }
        }
        catch (IOException)
        {
        }

        string machine = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.Arm64 => "aarch64",
            Architecture.X86 => "i686",
            var other => other.ToString().ToLowerInvariant(),
        };
        return $"{name} {release} {machine}";
    }

    // Redis 7.0's script and function lines of # Memory (Lua states, cached scripts, libraries).
    private static void AddScriptMemory(Line line, Scripting.ScriptingEngine scripting)
    {
        long eval = scripting.EvalMemory;
        long functions = scripting.FunctionMemory;
        long scripts = scripting.Scripts.BodyBytes;
        line.Add("used_memory_lua", eval);
        line.Add("used_memory_vm_eval", eval);
        line.Add("used_memory_lua_human", Human(eval));
        line.Add("used_memory_scripts_eval", scripts);
        line.Add("number_of_cached_scripts", scripting.Scripts.Count);
        line.Add("number_of_functions", scripting.Functions.FunctionCount);
        line.Add("number_of_libraries", scripting.Functions.LibraryCount);
        line.Add("used_memory_vm_functions", functions);
        line.Add("used_memory_vm_total", eval + functions);
        line.Add("used_memory_vm_total_human", Human(eval + functions));
        line.Add("used_memory_functions", 0);
        line.Add("used_memory_scripts", scripts);
        line.Add("used_memory_scripts_human", Human(scripts));
    }

    private readonly struct Line(StringBuilder text)
    {
        public void Add(string name, string value) => text.Append(name).Append(':').Append(value).Append("\r\n");

        public void Add(string name, long value) => text.Append(name).Append(':').Append(value.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
    }

    /// <summary>What INFO remembers between calls: peak memory and the last command-count sample.</summary>
    private sealed class Samples
    {
        private long _lastTimestamp;
        private long _lastCommands;
        private long _lastRate;

        public long PeakMemory { get; set; }

        // Redis samples every 100 ms in serverCron; here the rate is measured between INFO calls
        // (at least 100 ms apart, and at most 5 s old, else the last rate is kept).
        public long OpsPerSecond(long commands)
        {
            long now = Stopwatch.GetTimestamp();
            long elapsed = now - _lastTimestamp;
            if (_lastTimestamp != 0 && elapsed < Stopwatch.Frequency / 10)
            {
                return _lastRate;
            }

            _lastRate = _lastTimestamp == 0 || elapsed > Stopwatch.Frequency * 5 ? 0 : (commands - _lastCommands) * Stopwatch.Frequency / elapsed;
            _lastTimestamp = now;
            _lastCommands = commands;
            return _lastRate;
        }
    }
}
