using System.Diagnostics;
using System.Globalization;
using Kv.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// RDB snapshots for a server: SAVE (in the foreground, under the keyspace lock), BGSAVE (a background
/// thread writing a copy-on-access snapshot, see <see cref="TableSnapshot"/>), the <c>save</c> points the
/// cron checks, DUMP's serializer, and the state INFO persistence reports. State changes happen under the
/// keyspace lock, except where noted.
/// </summary>
internal sealed class RdbPersistence
{
    // Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points retry at most every 5 seconds.
    private const int RetryDelaySeconds = 5;

    private readonly ServerState _server;
    private volatile bool _loading;
    private volatile bool _cancel;
    private Thread? _thread;
    private TableSnapshot[] _snapshots = [];

    public RdbPersistence(ServerState server)
    {
        _server = server;
        LastSave = server.Time.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>Start-up is loading the data: commands without the <c>loading</c> flag get -LOADING.</summary>
    public bool Loading
    {
        get => _loading;
        set
        {
            _loading = value;
            _server.Keyspace.Loading = value;
            UpdateGate();
        }
    }

    /// <summary>True when the dispatcher must ask <see cref="RejectsBeforeRun"/> (loading, or a failed save with stop-writes-on-bgsave-error).</summary>
    public bool Gate { get; private set; }

    /// <summary>Unix seconds of the last successful save (LASTSAVE; start time until the first).</summary>
    public long LastSave { get; private set; }

    public bool LastBgsaveOk { get; private set; } = true;

    public long LastBgsaveTry { get; private set; }

    public long LastBgsaveSeconds { get; private set; } = -1;

    public bool InProgress => _thread is not null;

    public bool Scheduled { get; private set; }

    public long StartedAt { get; private set; }

    public long Saves { get; private set; }

    public long LastLoadKeysLoaded { get; set; }

    /// <summary>Start-up loading's progress (INFO persistence's loading_* fields while <see cref="Loading"/>).</summary>
    public LoadingProgress Progress { get; } = new();

    public long LastLoadKeysExpired { get; set; }

    /// <summary>Keys a running BGSAVE serialized ahead of its walk because commands reached them first.</summary>
    public long LastCapturedKeys { get; private set; }

    private long Now => _server.Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Redis's processCommand checks: -MISCONF after a failed save, -LOADING while loading. Null to run the command.</summary>
    public static string? RejectsBeforeRun(Commands.CommandContext c, Commands.CommandDefinition command)
    {
        var rdb = c.Server.Rdb;
        if (c.Client.Id == Aof.AofLoader.ClientId)
        {
            return null;
        }

        var config = c.Server.Config;
        if (!rdb.LastBgsaveOk && config.StopWritesOnBgsaveError && SavePoints.Parse(config.Save).Count > 0
            && (command.Has(Commands.CommandFlags.Write) || command.Name == "ping"))
        {
            return Commands.Errors.Misconf;
        }

        if (rdb.Loading && !command.Has(Commands.CommandFlags.Loading))
        {
            return Commands.Errors.Loading;
        }

        return null;
    }

    private void UpdateGate() => Gate = _loading || !LastBgsaveOk;

    /// <summary>SAVE (and SHUTDOWN's save): writes everything now, the caller holding the keyspace lock. Null on success, else why it failed.</summary>
    public string? SaveForeground()
    {
        var keyspace = _server.Keyspace;
        try
        {
            using var writer = new RdbFileWriter(_server, $"temp-{Environment.ProcessId}.rdb");
            writer.WriteHeader(FunctionCodes(), keyspace.NowMilliseconds);
            var databases = keyspace.Databases;
            for (int i = 0; i < databases.Length; i++)
            {
                writer.WriteTable(databases[i].Table, i);
            }

            writer.Commit();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _server.Logger.LogWarning("Write error saving DB on disk: {Reason}", ex.Message);
            LastBgsaveOk = false;
            UpdateGate();
            return ex.Message;
        }

        _server.Logger.LogInformation("DB saved on disk");
        keyspace.Dirty = 0;
        LastSave = Now;
        LastBgsaveOk = true;
        UpdateGate();
        return null;
    }

    /// <summary>
    /// BGSAVE (rdbSaveBackground): takes the snapshot instant now (the caller holds the keyspace lock) and
    /// writes it on a background thread. False when a save is already running.
    /// </summary>
    public bool StartBackground()
    {
        if (_thread is not null)
        {
            return false;
        }

        var keyspace = _server.Keyspace;
        Saves++;
        Scheduled = false;
        LastBgsaveTry = Now;
        StartedAt = Now;
        long dirtyBefore = keyspace.Dirty;
        var config = _server.Config;
        RdbFileWriter writer;
        try
        {
            writer = new RdbFileWriter(_server, $"temp-{Environment.ProcessId}-bg.rdb");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _server.Logger.LogWarning("Can't save in background: {Reason}", ex.Message);
            LastBgsaveOk = false;
            LastBgsaveSeconds = 0;
            UpdateGate();
            return true;
        }

        // The snapshot instant: every table records its limit and gets its copy-on-access hook.
        var databases = keyspace.Databases;
        var snapshots = new List<TableSnapshot>();
        for (int i = 0; i < databases.Length; i++)
        {
            var table = databases[i].Table;
            if (table.Count > 0)
            {
                var snapshot = new TableSnapshot(table, i, writer.Values, config.RdbCompression);
                table.Snapshot = snapshot;
                snapshots.Add(snapshot);
            }
        }

        _snapshots = [.. snapshots];
        var functions = FunctionCodes();
        long nowMs = keyspace.NowMilliseconds;
        _cancel = false;
        _server.Logger.LogInformation("Background saving started");
        _thread = new Thread(() => RunBackground(writer, _snapshots, functions, nowMs, dirtyBefore))
        {
            IsBackground = true,
            Name = "kv-bgsave",
        };
        _thread.Start();
        return true;
    }

    private void RunBackground(RdbFileWriter writer, TableSnapshot[] snapshots, List<byte[]> functions, long nowMs, long dirtyBefore)
    {
        var keyspace = _server.Keyspace;
        var clock = Stopwatch.StartNew();
        string? error = null;
        long captured = 0;
        try
        {
            writer.WriteHeader(functions, nowMs);
            foreach (var snapshot in snapshots)
            {
                writer.WriteSnapshot(snapshot, keyspace.Lock, () => _cancel);
                captured += snapshot.CapturedKeys;
            }

            writer.Commit();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            error = ex.Message;
        }
        finally
        {
            writer.Dispose();
        }

        lock (keyspace.Lock)
        {
            foreach (var snapshot in snapshots)
            {
                if (ReferenceEquals(snapshot.Table.Snapshot, snapshot))
                {
                    snapshot.Table.Snapshot = null;
                }
            }

            LastBgsaveSeconds = (long)Math.Round(clock.Elapsed.TotalSeconds);
            LastCapturedKeys = captured;
            if (error is null)
            {
                // backgroundSaveDoneHandlerDisk: writes made during the save stay dirty.
                keyspace.Dirty -= dirtyBefore;
                LastSave = Now;
                LastBgsaveOk = true;
                _server.Logger.LogInformation("Background saving terminated with success");
            }
            else if (!_cancel)
            {
                LastBgsaveOk = false;
                _server.Logger.LogWarning("Background saving error: {Reason}", error);
            }

            UpdateGate();
            _thread = null;
            _snapshots = [];
        }
    }

    /// <summary>Stops a running BGSAVE (SHUTDOWN, FLUSHALL in Redis kill the child); its temp file is removed.</summary>
    public void CancelBackground() => _cancel = true;

    /// <summary>Waits (without the keyspace lock) for a running BGSAVE to finish; for tests and shutdown.</summary>
    public bool WaitForBackground(TimeSpan timeout)
    {
        var thread = _thread;
        return thread is null || thread.Join(timeout);
    }

    /// <summary>BGSAVE SCHEDULE while another save runs: start when it ends (checked by the cron).</summary>
    public void Schedule() => Scheduled = true;

    /// <summary>
    /// serverCron's part: a scheduled BGSAVE, or one due by a save point (changes ≥ N within M seconds,
    /// retried after a failure only every 5 seconds). Call under the keyspace lock.
    /// </summary>
    public void Cron()
    {
        if (_thread is not null || _loading)
        {
            return;
        }

        if (Scheduled)
        {
            StartBackground();
            return;
        }

        long dirty = _server.Keyspace.Dirty;
        if (dirty == 0)
        {
            return;
        }

        long now = Now;
        foreach (var (seconds, changes) in SavePoints.Parse(_server.Config.Save))
        {
            if (dirty >= changes && now - LastSave > seconds && (now - LastBgsaveTry > RetryDelaySeconds || LastBgsaveOk))
            {
                _server.Logger.LogInformation("{Changes} changes in {Seconds} seconds. Saving...", changes, seconds);
                StartBackground();
                return;
            }
        }
    }

    /// <summary>What INFO persistence's rdb_* lines say (Redis 7.0's order).</summary>
    public void Describe(Action<string, long> number, Action<string, string> text)
    {
        long now = Now;
        number("rdb_changes_since_last_save", _server.Keyspace.Dirty);
        number("rdb_bgsave_in_progress", InProgress ? 1 : 0);
        number("rdb_last_save_time", LastSave);
        text("rdb_last_bgsave_status", LastBgsaveOk ? "ok" : "err");
        number("rdb_last_bgsave_time_sec", LastBgsaveSeconds);
        number("rdb_current_bgsave_time_sec", InProgress ? now - StartedAt : -1);
        number("rdb_saves", Saves);
        number("rdb_last_cow_size", 0);
        number("rdb_last_load_keys_expired", LastLoadKeysExpired);
        number("rdb_last_load_keys_loaded", LastLoadKeysLoaded);
    }

    private List<byte[]> FunctionCodes()
    {
        var codes = new List<byte[]>();
        foreach (var library in _server.Scripting.Functions.Libraries)
        {
            codes.Add(library.Code);
        }

        return codes;
    }
}

/// <summary>The <c>save</c> setting: pairs of seconds and changes ("3600 1 300 100 60 10000"; "" = none).</summary>
internal static class SavePoints
{
    private static Cache s_cache = new("", []);

    public static List<(long Seconds, long Changes)> Parse(string text)
    {
        var cache = s_cache;
        if (ReferenceEquals(text, cache.Text))
        {
            return cache.Points;
        }

        var points = new List<(long, long)>();
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 0; i + 1 < parts.Length; i += 2)
        {
            if (long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
                && long.TryParse(parts[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out long changes))
            {
                points.Add((seconds, changes));
            }
        }

        s_cache = new Cache(text, points);
        return points;
    }

    private sealed record Cache(string Text, List<(long Seconds, long Changes)> Points);
}
