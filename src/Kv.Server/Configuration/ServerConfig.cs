using System.Globalization;

namespace Kv.Server.Configuration;

/// <summary>
/// The server's settings under redis.conf names and units. One table of <see cref="ConfigParameter"/>
/// serves the config file, the command line (<c>--port 6390</c>) and CONFIG GET/SET.
/// </summary>
internal sealed class ServerConfig
{
    private readonly Dictionary<string, ConfigParameter> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<ConfigParameter> _parameters = [];

    public ServerConfig()
    {
        Int("port", () => Port, v => Port = v, 0, 65535, mutable: false);
        Add(new ConfigParameter("bind", () => string.Join(' ', Bind), v =>
        {
            var parts = v.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                return "Too few bind addresses specified.";
            }

            foreach (var part in parts)
            {
                if (!System.Net.IPAddress.TryParse(part.TrimStart('-'), out _) && part.TrimStart('-') is not ("*" or "localhost"))
                {
                    return $"Invalid bind address '{part}'";
                }
            }

            Bind = parts;
            return null;
        }, mutable: false));
        Add(new ConfigParameter("requirepass", () => RequirePass, v => { RequirePass = v; return null; }));
        Int("databases", () => Databases, v => Databases = v, 1, int.MaxValue, mutable: false);
        Add(new ConfigParameter("dir", () => Path.GetFullPath(Dir), v =>
        {
            if (!Directory.Exists(v))
            {
                return "No such file or directory";
            }

            Dir = v;
            return null;
        }) { Protected = true });
        Long("maxclients", () => MaxClients, v => MaxClients = (int)Math.Min(v, int.MaxValue), 1, uint.MaxValue);
        Int("timeout", () => Timeout, v => Timeout = v, 0, int.MaxValue);
        Int("tcp-keepalive", () => TcpKeepAlive, v => TcpKeepAlive = v, 0, int.MaxValue);
        Int("hz", () => Hz, v => Hz = Math.Clamp(v, 1, 500), 0, int.MaxValue);
        Int("tcp-backlog", () => TcpBacklog, v => TcpBacklog = v, 0, int.MaxValue, mutable: false);
        Memory("proto-max-bulk-len", () => ProtoMaxBulkLen, v => ProtoMaxBulkLen = v, 1024 * 1024, long.MaxValue);
        Memory("client-query-buffer-limit", () => ClientQueryBufferLimit, v => ClientQueryBufferLimit = v, 1024 * 1024, long.MaxValue);
        Enum("loglevel", () => LogLevel, v => LogLevel = v, "debug", "verbose", "notice", "warning");
        Add(new ConfigParameter("logfile", () => LogFile, v => { LogFile = v; return null; }, mutable: false));
        Add(new ConfigParameter("daemonize", () => "no", v => v.Equals("no", StringComparison.OrdinalIgnoreCase) ? null : "kv-server does not daemonize; run it under systemd or a process manager", mutable: false));
        Add(new ConfigParameter("pidfile", () => PidFile, v => { PidFile = v; return null; }, mutable: false));
        Long("slowlog-log-slower-than", () => SlowlogLogSlowerThan, v => SlowlogLogSlowerThan = (int)Math.Min(v, int.MaxValue), -1, long.MaxValue);
        Long("slowlog-max-len", () => SlowlogMaxLen, v => SlowlogMaxLen = (int)Math.Min(v, int.MaxValue), 0, long.MaxValue);
        Int("key-load-delay", () => KeyLoadDelay, v => KeyLoadDelay = v, int.MinValue, int.MaxValue);
        Int("rdb-key-save-delay", () => RdbKeySaveDelay, v => RdbKeySaveDelay = v, int.MinValue, int.MaxValue);
        Int("active-expire-effort", () => ActiveExpireEffort, v => ActiveExpireEffort = v, 1, 10);
        Bool("dynamic-hz", () => DynamicHz, v => DynamicHz = v);
        Bool("protected-mode", () => ProtectedMode, v => ProtectedMode = v);
        Add(new ConfigParameter("unixsocket", () => UnixSocket, v => { UnixSocket = v; return null; }, mutable: false));

        // RDB save points, "<seconds> <changes>" pairs (Redis's setConfigSaveOption); "" turns them off.
        Add(new ConfigParameter("save", () => Save, v =>
            v.Trim().Length == 0 ? Assign(() => Save = "")
            : !IsSaveSchedule(v) ? "Invalid save parameters"
            : Assign(() => Save = NormalizeSaveSchedule(v))));
        // appendonly, maxmemory and the eviction policy act at once at run time (the server listens via the callbacks below).
        Add(new ConfigParameter("appendonly", () => AppendOnly ? "yes" : "no", v =>
        {
            bool? value = v.Equals("yes", StringComparison.OrdinalIgnoreCase) ? true : v.Equals("no", StringComparison.OrdinalIgnoreCase) ? false : null;
            if (value is null)
            {
                return "argument must be 'yes' or 'no'";
            }

            if (value != AppendOnly && AppendOnlyChanged?.Invoke(value.Value) is { } error)
            {
                return error;
            }

            AppendOnly = value.Value;
            return null;
        }));
        Add(new ConfigParameter("maxmemory", () => MaxMemory.ToString(CultureInfo.InvariantCulture), v =>
        {
            if (!ParseMemory(v, out long bytes) || bytes < 0)
            {
                return "argument must be a memory value";
            }

            MaxMemory = bytes;
            MemoryLimitsChanged?.Invoke();
            return null;
        }));
        Add(new ConfigParameter("maxmemory-policy", () => MaxMemoryPolicy, v =>
        {
            string policy = v.ToLowerInvariant();
            if (Array.IndexOf(EvictionPolicies, policy) < 0)
            {
                return "argument(s) must be one of the following: " + string.Join(", ", EvictionPolicies);
            }

            MaxMemoryPolicy = policy;
            MemoryLimitsChanged?.Invoke();
            return null;
        }));
        Bool("aof-load-truncated", () => AofLoadTruncated, v => AofLoadTruncated = v);
        Bool("aof-rewrite-incremental-fsync", () => AofRewriteIncrementalFsync, v => AofRewriteIncrementalFsync = v);
        Bool("no-appendfsync-on-rewrite", () => NoAppendFsyncOnRewrite, v => NoAppendFsyncOnRewrite = v);
        Bool("aof-timestamp-enabled", () => false, v => { });
        Add(new ConfigParameter("maxmemory-clients", () => "0", v =>
            !ParseMemory(v.TrimEnd('%'), out long bytes) || bytes < 0 ? "argument must be a memory or percent value"
            : bytes == 0 ? null : "client eviction is not implemented yet in kv-server; use maxmemory-clients 0"));
        Int("maxmemory-samples", () => MaxMemorySamples, v => MaxMemorySamples = v, 1, 64);
        Int("maxmemory-eviction-tenacity", () => MaxMemoryEvictionTenacity, v => MaxMemoryEvictionTenacity = v, 0, 100);
        Add(new ConfigParameter("appendfsync", () => AppendFsync, v =>
        {
            string value = v.ToLowerInvariant();
            if (value is not ("always" or "everysec" or "no"))
            {
                return "argument(s) must be one of the following: always, everysec, no";
            }

            AppendFsync = value;
            return null;
        }));
        Str("appendfilename", () => AppendFilename, v => AppendFilename = v, mutable: false);
        Str("appenddirname", () => AppendDirname, v => AppendDirname = v, mutable: false);
        Str("dbfilename", () => DbFilename, v => DbFilename = v, isProtected: true);
        Bool("rdbcompression", () => RdbCompression, v => RdbCompression = v);
        Bool("rdbchecksum", () => RdbChecksum, v => RdbChecksum = v);
        Bool("stop-writes-on-bgsave-error", () => StopWritesOnBgsaveError, v => StopWritesOnBgsaveError = v);
        Bool("aof-use-rdb-preamble", () => AofUsePreamble, v => AofUsePreamble = v);
        Int("auto-aof-rewrite-percentage", () => AutoAofRewritePercentage, v => AutoAofRewritePercentage = v, 0, int.MaxValue);
        Memory("auto-aof-rewrite-min-size", () => AutoAofRewriteMinSize, v => AutoAofRewriteMinSize = v, 0, long.MaxValue);

        // Replication: kv-server is always a master; the replica settings are stored for the tools that read them.
        Bool("replica-read-only", () => ReplicaReadOnly, v => ReplicaReadOnly = v, "slave-read-only");
        Bool("replica-serve-stale-data", () => ReplicaServeStaleData, v => ReplicaServeStaleData = v, "slave-serve-stale-data");
        Int("replica-priority", () => ReplicaPriority, v => ReplicaPriority = v, 0, int.MaxValue, aliases: "slave-priority");
        Bool("replica-lazy-flush", () => ReplicaLazyFlush, v => ReplicaLazyFlush = v, "slave-lazy-flush");
        Add(new ConfigParameter("replicaof", () => "", v =>
            v.Trim().Length == 0 || v.Trim().Equals("no one", StringComparison.OrdinalIgnoreCase) ? null : "replication is not implemented yet in kv-server", mutable: false, "slaveof"));
        Str("masterauth", () => MasterAuth, v => MasterAuth = v);
        Str("masteruser", () => MasterUser, v => MasterUser = v);
        Int("min-replicas-to-write", () => 0, v => { }, 0, 0, aliases: "min-slaves-to-write");
        Int("min-replicas-max-lag", () => MinReplicasMaxLag, v => MinReplicasMaxLag = v, 0, int.MaxValue, aliases: "min-slaves-max-lag");
        Memory("repl-backlog-size", () => ReplBacklogSize, v => ReplBacklogSize = v, 1, long.MaxValue);
        Int("repl-backlog-ttl", () => ReplBacklogTtl, v => ReplBacklogTtl = v, 0, int.MaxValue);
        Int("repl-timeout", () => ReplTimeout, v => ReplTimeout = v, 1, int.MaxValue);
        Bool("repl-diskless-sync", () => ReplDisklessSync, v => ReplDisklessSync = v);
        Add(new ConfigParameter("cluster-enabled", () => "no", v =>
            v.Equals("no", StringComparison.OrdinalIgnoreCase) ? null : "cluster mode is not supported by kv-server; use a Redis or Valkey cluster", mutable: false));

        // Lazy freeing: kv-server leaves freed values to the garbage collector, which is what lazy freeing asks for.
        Bool("lazyfree-lazy-eviction", () => LazyfreeLazyEviction, v => LazyfreeLazyEviction = v);
        Bool("lazyfree-lazy-expire", () => LazyfreeLazyExpire, v => LazyfreeLazyExpire = v);
        Bool("lazyfree-lazy-server-del", () => LazyfreeLazyServerDel, v => LazyfreeLazyServerDel = v);
        Bool("lazyfree-lazy-user-del", () => LazyfreeLazyUserDel, v => LazyfreeLazyUserDel = v);
        Bool("lazyfree-lazy-user-flush", () => LazyfreeLazyUserFlush, v => LazyfreeLazyUserFlush = v);

        // Encoding thresholds: they decide what OBJECT ENCODING reports for small collections.
        Int("hash-max-listpack-entries", () => HashMaxListpackEntries, v => HashMaxListpackEntries = v, 0, int.MaxValue, aliases: "hash-max-ziplist-entries");
        Int("hash-max-listpack-value", () => HashMaxListpackValue, v => HashMaxListpackValue = v, 0, int.MaxValue, aliases: "hash-max-ziplist-value");
        Int("list-max-listpack-size", () => ListMaxListpackSize, v => ListMaxListpackSize = v, int.MinValue, int.MaxValue, aliases: "list-max-ziplist-size");
        Int("list-compress-depth", () => ListCompressDepth, v => ListCompressDepth = v, 0, int.MaxValue);
        Int("set-max-intset-entries", () => SetMaxIntsetEntries, v => SetMaxIntsetEntries = v, 0, int.MaxValue);
        Int("zset-max-listpack-entries", () => ZsetMaxListpackEntries, v => ZsetMaxListpackEntries = v, 0, int.MaxValue, aliases: "zset-max-ziplist-entries");
        Int("zset-max-listpack-value", () => ZsetMaxListpackValue, v => ZsetMaxListpackValue = v, 0, int.MaxValue, aliases: "zset-max-ziplist-value");
        Memory("stream-node-max-bytes", () => StreamNodeMaxBytes, v => StreamNodeMaxBytes = v, 0, long.MaxValue);
        Int("stream-node-max-entries", () => StreamNodeMaxEntries, v => StreamNodeMaxEntries = v, 0, int.MaxValue);
        Memory("hll-sparse-max-bytes", () => HllSparseMaxBytes, v => HllSparseMaxBytes = v, 0, long.MaxValue);
        Int("lfu-log-factor", () => LfuLogFactor, v => LfuLogFactor = v, 0, int.MaxValue);
        Int("lfu-decay-time", () => LfuDecayTime, v => LfuDecayTime = v, 0, int.MaxValue);
        Bool("activerehashing", () => ActiveRehashing, v => ActiveRehashing = v);
        Add(new ConfigParameter("activedefrag", () => "no", v =>
            v.Equals("no", StringComparison.OrdinalIgnoreCase) ? null : "active defragmentation is not needed in kv-server: the .NET garbage collector compacts memory"));

        Add(new ConfigParameter("notify-keyspace-events", () => KeyspaceEvents.ToText(NotifyKeyspaceEvents), v =>
        {
            if (!KeyspaceEvents.TryParse(v, out int flags))
            {
                return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
            }

            NotifyKeyspaceEvents = flags;
            return null;
        }));

        Int("latency-monitor-threshold", () => LatencyMonitorThreshold, v => LatencyMonitorThreshold = v, 0, int.MaxValue);
        Int("busy-reply-threshold", () => BusyReplyThreshold, v => BusyReplyThreshold = v, 0, int.MaxValue, aliases: "lua-time-limit");
        Int("acllog-max-len", () => AclLogMaxLen, v => AclLogMaxLen = v, 0, int.MaxValue);
        Str("aclfile", () => AclFile, v => AclFile = v, mutable: false);
        Int("tracking-table-max-keys", () => TrackingTableMaxKeys, v => TrackingTableMaxKeys = v, 0, int.MaxValue);
        Add(new ConfigParameter("client-output-buffer-limit", () => OutputBufferLimits.ToString(), OutputBufferLimits.Set));
        Int("io-threads", () => IoThreads, v => IoThreads = v, 1, 128, mutable: false);
        Bool("io-threads-do-reads", () => IoThreadsDoReads, v => IoThreadsDoReads = v, mutable: false);
        Enum("supervised", () => Supervised, v => Supervised = v, mutable: false, "upstart", "systemd", "auto", "no");
        Bool("always-show-logo", () => AlwaysShowLogo, v => AlwaysShowLogo = v, mutable: false);
        Bool("set-proc-title", () => SetProcTitle, v => SetProcTitle = v, mutable: false);
        Add(new ConfigParameter("syslog-enabled", () => "no", v =>
            v.Equals("no", StringComparison.OrdinalIgnoreCase) ? null : "syslog is not supported by kv-server; use logfile", mutable: false));
        Bool("crash-log-enabled", () => CrashLogEnabled, v => CrashLogEnabled = v);
        Enum("enable-protected-configs", () => EnableProtectedConfigs, v => EnableProtectedConfigs = v, mutable: false, "yes", "no", "local");
        Enum("enable-debug-command", () => EnableDebugCommand, v => EnableDebugCommand = v, mutable: false, "yes", "no", "local");
        Enum("enable-module-command", () => EnableModuleCommand, v => EnableModuleCommand = v, mutable: false, "yes", "no", "local");
        Str("unixsocketperm", () => UnixSocketPerm, v => UnixSocketPerm = v, mutable: false);
        Int("tls-port", () => 0, v => { }, 0, 0, mutable: false);
        Add(new ConfigParameter("oom-score-adj", () => "no", v =>
            v.Equals("no", StringComparison.OrdinalIgnoreCase) ? null : "oom-score-adj is not supported by kv-server; use oom-score-adj no"));
    }

    private static readonly string[] EvictionPolicies =
        ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"];

    public int Port { get; set; } = 6379;

    public string[] Bind { get; set; } = ["127.0.0.1", "-::1"];

    public string RequirePass { get; set; } = "";

    public int Databases { get; set; } = 16;

    public string Dir { get; set; } = ".";

    public int MaxClients { get; set; } = 10000;

    /// <summary>Seconds of idleness after which a client is closed; 0 never.</summary>
    public int Timeout { get; set; }

    public int TcpKeepAlive { get; set; } = 300;

    public int Hz { get; set; } = 10;

    public int TcpBacklog { get; set; } = 511;

    public long ProtoMaxBulkLen { get; set; } = 512L * 1024 * 1024;

    public long ClientQueryBufferLimit { get; set; } = 1024L * 1024 * 1024;

    public string LogLevel { get; set; } = "notice";

    public string LogFile { get; set; } = "";

    public string PidFile { get; set; } = "";

    public int SlowlogLogSlowerThan { get; set; } = 10000;

    public int SlowlogMaxLen { get; set; } = 128;

    public int ActiveExpireEffort { get; set; } = 1;

    /// <summary>
    /// Redis's hidden debugging knob: microseconds to pause after each key loaded at start-up (a
    /// negative n pauses 1 µs every n keys); test suites use it to observe -LOADING.
    /// </summary>
    public int KeyLoadDelay { get; set; }

    /// <summary>
    /// Redis's hidden debugging knob: microseconds to pause after each key a background save or AOF
    /// rewrite writes (negative n: 1 µs every n keys); tests use it to keep a save running. The pause
    /// is taken outside the keyspace lock, as Redis takes it in the child.
    /// </summary>
    public int RdbKeySaveDelay { get; set; }

    public bool DynamicHz { get; set; } = true;

    public bool ProtectedMode { get; set; } = true;

    public string UnixSocket { get; set; } = "";

    /// <summary>RDB save points as CONFIG GET shows them; Redis's default (redis-server without a config file).</summary>
    public string Save { get; set; } = "3600 1 300 100 60 10000";

    /// <summary>Absolute path of the config file the server started with, or empty (INFO config_file, CONFIG REWRITE).</summary>
    public string ConfigFile { get; set; } = "";

    public int MaxMemorySamples { get; set; } = 5;

    public int MaxMemoryEvictionTenacity { get; set; } = 10;

    public string AppendFsync { get; set; } = "everysec";

    /// <summary>appendonly: effects of writes go to the append-only file.</summary>
    public bool AppendOnly { get; set; }

    /// <summary>Set by the server: CONFIG SET appendonly starts or stops the AOF; returns an error or null.</summary>
    public Func<bool, string?>? AppendOnlyChanged { get; set; }

    /// <summary>maxmemory in bytes; 0 = no limit.</summary>
    public long MaxMemory { get; set; }

    public string MaxMemoryPolicy { get; set; } = "noeviction";

    /// <summary>Set by the server: maxmemory or its policy changed at run time.</summary>
    public Action? MemoryLimitsChanged { get; set; }

    public bool AofLoadTruncated { get; set; } = true;

    public bool AofRewriteIncrementalFsync { get; set; } = true;

    public bool NoAppendFsyncOnRewrite { get; set; }

    public string AppendFilename { get; set; } = "appendonly.aof";

    public string AppendDirname { get; set; } = "appendonlydir";

    public string DbFilename { get; set; } = "dump.rdb";

    public bool RdbCompression { get; set; } = true;

    public bool RdbChecksum { get; set; } = true;

    public bool StopWritesOnBgsaveError { get; set; } = true;

    public bool AofUsePreamble { get; set; } = true;

    public int AutoAofRewritePercentage { get; set; } = 100;

    public long AutoAofRewriteMinSize { get; set; } = 64L * 1024 * 1024;

    public bool ReplicaReadOnly { get; set; } = true;

    public bool ReplicaServeStaleData { get; set; } = true;

    public int ReplicaPriority { get; set; } = 100;

    public bool ReplicaLazyFlush { get; set; }

    public string MasterAuth { get; set; } = "";

    public string MasterUser { get; set; } = "";

    public int MinReplicasMaxLag { get; set; } = 10;

    public long ReplBacklogSize { get; set; } = 1024 * 1024;

    public int ReplBacklogTtl { get; set; } = 3600;

    public int ReplTimeout { get; set; } = 60;

    public bool ReplDisklessSync { get; set; } = true;

    public bool LazyfreeLazyEviction { get; set; }

    public bool LazyfreeLazyExpire { get; set; }

    public bool LazyfreeLazyServerDel { get; set; }

    public bool LazyfreeLazyUserDel { get; set; }

    public bool LazyfreeLazyUserFlush { get; set; }

    public int HashMaxListpackEntries { get; set; } = 512;

    public int HashMaxListpackValue { get; set; } = 64;

    public int ListMaxListpackSize { get; set; } = -2;

    public int ListCompressDepth { get; set; }

    public int SetMaxIntsetEntries { get; set; } = 512;

    public int ZsetMaxListpackEntries { get; set; } = 128;

    public int ZsetMaxListpackValue { get; set; } = 64;

    public long StreamNodeMaxBytes { get; set; } = 4096;

    public int StreamNodeMaxEntries { get; set; } = 100;

    public long HllSparseMaxBytes { get; set; } = 3000;

    public int LfuLogFactor { get; set; } = 10;

    public int LfuDecayTime { get; set; } = 1;

    public bool ActiveRehashing { get; set; } = true;

    /// <summary>notify-keyspace-events as <see cref="KeyspaceEvents"/> flags; 0 = off.</summary>
    public int NotifyKeyspaceEvents { get; set; }

    public int LatencyMonitorThreshold { get; set; }

    public int BusyReplyThreshold { get; set; } = 5000;

    public int AclLogMaxLen { get; set; } = 128;

    public string AclFile { get; set; } = "";

    public int TrackingTableMaxKeys { get; set; } = 1000000;

    /// <summary>client-output-buffer-limit: per client class; pub/sub delivery enforces the pubsub one.</summary>
    public OutputBufferLimits OutputBufferLimits { get; } = new();

    public int IoThreads { get; set; } = 1;

    public bool IoThreadsDoReads { get; set; }

    public string Supervised { get; set; } = "no";

    public bool AlwaysShowLogo { get; set; }

    public bool SetProcTitle { get; set; } = true;

    public bool CrashLogEnabled { get; set; } = true;

    /// <summary>yes, no or local: whether CONFIG SET may change protected directives such as <c>dir</c>.</summary>
    public string EnableProtectedConfigs { get; set; } = "no";

    public string EnableDebugCommand { get; set; } = "no";

    public string EnableModuleCommand { get; set; } = "no";

    public string UnixSocketPerm { get; set; } = "0";

    public IReadOnlyList<ConfigParameter> Parameters => _parameters;

    public ConfigParameter? Find(string name) => _byName.GetValueOrDefault(name);

    public void Add(ConfigParameter parameter)
    {
        _parameters.Add(parameter);
        _byName.Add(parameter.Name, parameter);
        foreach (var alias in parameter.Aliases)
        {
            _byName.Add(alias, parameter);
        }
    }

    // Redis's setConfigSaveOption: pairs of "<seconds> <changes>", seconds at least 1, changes at least 0.
    private static string NormalizeSaveSchedule(string value)
    {
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = long.Parse(parts[i], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return string.Join(' ', parts);
    }

    private static bool IsSaveSchedule(string value)
    {
        var parts = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length % 2 != 0)
        {
            return false;
        }

        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long number) || number < (i % 2 == 0 ? 1 : 0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Parses redis.conf units: plain bytes, k/kb/m/mb/g/gb (k = 1000, kb = 1024), case-insensitive.</summary>
    public static bool ParseMemory(string text, out long bytes)
    {
        bytes = 0;
        text = text.Trim().ToLowerInvariant();
        long unit = 1;
        foreach (var (suffix, multiplier) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal))
            {
                unit = multiplier;
                text = text[..^suffix.Length];
                break;
            }
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            return false;
        }

        bytes = checked(value * unit);
        return true;
    }

    private static readonly (string Suffix, long Multiplier)[] Units =
        [("kb", 1024L), ("mb", 1024L * 1024), ("gb", 1024L * 1024 * 1024), ("k", 1000L), ("m", 1000L * 1000), ("g", 1000L * 1000 * 1000), ("b", 1)];

    private static string? Assign(Action set)
    {
        set();
        return null;
    }

    private void Str(string name, Func<string> get, Action<string> set, bool mutable = true, bool isProtected = false)
        => Add(new ConfigParameter(name, get, v => Assign(() => set(v)), mutable) { Protected = isProtected });

    private void Int(string name, Func<int> get, Action<int> set, int min, int max, bool mutable = true, params string[] aliases)
        => Add(new ConfigParameter(name, () => get().ToString(CultureInfo.InvariantCulture), v =>
        {
            if (!long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            {
                return "argument couldn't be parsed into an integer";
            }

            if (n < min || n > max)
            {
                return $"argument must be between {min} and {max} inclusive";
            }

            set((int)n);
            return null;
        }, mutable, aliases));

    private void Long(string name, Func<long> get, Action<long> set, long min, long max)
        => Add(new ConfigParameter(name, () => get().ToString(CultureInfo.InvariantCulture), v =>
        {
            if (!long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            {
                return "argument couldn't be parsed into an integer";
            }

            if (n < min || n > max)
            {
                return $"argument must be between {min} and {max} inclusive";
            }

            set(n);
            return null;
        }));

    private void Memory(string name, Func<long> get, Action<long> set, long min, long max)
        => Add(new ConfigParameter(name, () => get().ToString(CultureInfo.InvariantCulture), v =>
        {
            if (!ParseMemory(v, out long n))
            {
                return "argument must be a memory value";
            }

            if (n < min || n > max)
            {
                return $"argument must be between {min} and {max} inclusive";
            }

            set(n);
            return null;
        }));

    private void Bool(string name, Func<bool> get, Action<bool> set, params string[] aliases)
        => Bool(name, get, set, true, aliases);

    private void Bool(string name, Func<bool> get, Action<bool> set, bool mutable, params string[] aliases)
        => Add(new ConfigParameter(name, () => get() ? "yes" : "no", v =>
        {
            if (v.Equals("yes", StringComparison.OrdinalIgnoreCase))
            {
                set(true);
                return null;
            }

            if (v.Equals("no", StringComparison.OrdinalIgnoreCase))
            {
                set(false);
                return null;
            }

            return "argument must be 'yes' or 'no'";
        }, mutable, aliases));

    private void Enum(string name, Func<string> get, Action<string> set, params string[] allowed)
        => Enum(name, get, set, true, allowed);

    private void Enum(string name, Func<string> get, Action<string> set, bool mutable, params string[] allowed)
        => Add(new ConfigParameter(name, get, v =>
        {
            foreach (var option in allowed)
            {
                if (option.Equals(v, StringComparison.OrdinalIgnoreCase))
                {
                    set(option);
                    return null;
                }
            }

            return "argument(s) must be one of the following: " + string.Join(", ", allowed);
        }, mutable));
}
