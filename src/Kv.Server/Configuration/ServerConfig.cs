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
        }));
        Int("maxclients", () => MaxClients, v => MaxClients = v, 1, int.MaxValue);
        Int("timeout", () => Timeout, v => Timeout = v, 0, int.MaxValue);
        Int("tcp-keepalive", () => TcpKeepAlive, v => TcpKeepAlive = v, 0, int.MaxValue);
        Int("hz", () => Hz, v => Hz = Math.Clamp(v, 1, 500), 0, int.MaxValue);
        Int("tcp-backlog", () => TcpBacklog, v => TcpBacklog = v, 0, int.MaxValue, mutable: false);
        Memory("proto-max-bulk-len", () => ProtoMaxBulkLen, v => ProtoMaxBulkLen = v, 1024 * 1024, long.MaxValue);
        Memory("client-query-buffer-limit", () => ClientQueryBufferLimit, v => ClientQueryBufferLimit = v, 1024 * 1024, long.MaxValue);
        Enum("loglevel", () => LogLevel, v => LogLevel = v, "debug", "verbose", "notice", "warning", "nothing");
        Add(new ConfigParameter("logfile", () => LogFile, v => { LogFile = v; return null; }, mutable: false));
        Add(new ConfigParameter("daemonize", () => "no", v => v.Equals("no", StringComparison.OrdinalIgnoreCase) ? null : "kv-server does not daemonize; run it under systemd or a process manager", mutable: false));
        Add(new ConfigParameter("pidfile", () => PidFile, v => { PidFile = v; return null; }, mutable: false));
        Int("slowlog-log-slower-than", () => SlowlogLogSlowerThan, v => SlowlogLogSlowerThan = v, -1, int.MaxValue);
        Int("slowlog-max-len", () => SlowlogMaxLen, v => SlowlogMaxLen = v, 0, int.MaxValue);
        Int("active-expire-effort", () => ActiveExpireEffort, v => ActiveExpireEffort = v, 1, 10);
        Bool("dynamic-hz", () => DynamicHz, v => DynamicHz = v);
        Bool("protected-mode", () => ProtectedMode, v => ProtectedMode = v);
        Add(new ConfigParameter("unixsocket", () => UnixSocket, v => { UnixSocket = v; return null; }, mutable: false));

        // Persistence and memory limits belong to later work; accept only what the server already does.
        Add(new ConfigParameter("save", () => Save, v =>
            v.Trim().Length == 0 ? Assign(() => Save = "") : "RDB snapshots are not implemented yet in kv-server; use save \"\""));
        Add(new ConfigParameter("appendonly", () => "no", v =>
            v.Equals("no", StringComparison.OrdinalIgnoreCase) ? null : "the append-only file is not implemented yet in kv-server; use appendonly no"));
        Add(new ConfigParameter("maxmemory", () => "0", v =>
            ParseMemory(v, out long bytes) && bytes == 0 ? null : "maxmemory is not implemented yet in kv-server; use maxmemory 0"));
        Add(new ConfigParameter("maxmemory-policy", () => "noeviction", v =>
            v.Equals("noeviction", StringComparison.OrdinalIgnoreCase) ? null : "eviction policies are not implemented yet in kv-server; use noeviction"));
    }

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

    public bool DynamicHz { get; set; } = true;

    public bool ProtectedMode { get; set; } = true;

    public string UnixSocket { get; set; } = "";

    public string Save { get; set; } = "";

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

    private void Int(string name, Func<int> get, Action<int> set, int min, int max, bool mutable = true)
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
        }, mutable));

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

    private void Bool(string name, Func<bool> get, Action<bool> set)
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
        }));

    private void Enum(string name, Func<string> get, Action<string> set, params string[] allowed)
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
        }));
}
