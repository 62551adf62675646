using System.Diagnostics;

namespace Kv.Server;

/// <summary>
/// The server's background cycle, run <c>hz</c> times a second as Redis's serverCron: active expiry
/// of keys nobody touches, and closing clients idle past <c>timeout</c>.
/// </summary>
internal sealed class ServerCron : IAsyncDisposable
{
    // Redis: ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP, _ACCEPTABLE_STALE and _SLOW_TIME_PERC.
    private const int KeysPerLoop = 20;
    private const int AcceptableStalePercent = 10;
    private const int SlowTimePercent = 25;

    // The keyspace lock is released between slices so clients keep being served during a long cycle.
    private static readonly long SliceTicks = Stopwatch.Frequency / 1000;

    private readonly ServerState _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new();
    private Task? _loop;

    public ServerCron(ServerState server) => _server = server;

    public void Start() => _loop = Task.Run(RunAsync);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            int hz = Math.Clamp(_server.Config.Hz, 1, 500);
            await Task.Delay(1000 / hz, _stop.Token).ConfigureAwait(false);
            _server.Keyspace.CalibrateClock();
            if (_server.Scripting.BusyError() is not null)
            {
                // A script past busy-reply-threshold holds the keyspace lock: as Redis's serverCron, this
                // waits for it to end, without parking a thread-pool thread on the lock meanwhile.
                continue;
            }

            ActiveExpireCycle(hz);
            CloseIdleClients();
            AppendOnlyFileCron();
            SnapshotCron();
            FreeReleasedKeys();
            ReclaimMemory();
        }
    }

    // After a flush or a large drop, memory goes back to the OS (MemoryReclaim): decided under the
    // keyspace lock, done outside it.
    private void ReclaimMemory()
    {
        var keyspace = _server.Keyspace;
        bool due;
        lock (keyspace.Lock)
        {
            keyspace.FreeReleased();
            _server.Reclaim.Calibrate(_server.Memory.Estimated);
            due = _server.Reclaim.Due(_server.Memory.Estimated, _server.Memory.DroppedObjectBytes, _server.Config.MaxMemory, _server.Stats.TotalCommandsProcessed);
        }

        if (due)
        {
            _server.Reclaim.Run();
        }
    }

    // Key blocks dropped outside a client's batch and the expiry slices (a blocked client's timeout, a
    // connection closing) are freed at the latest here.
    private void FreeReleasedKeys()
    {
        var keyspace = _server.Keyspace;
        if (keyspace.Releases.Pending)
        {
            lock (keyspace.Lock)
            {
                keyspace.FreeReleased();
            }
        }
    }

    // Redis's serverCron: a BGSAVE scheduled or due by a save point starts (not while an AOF rewrite runs).
    private void SnapshotCron()
    {
        var rdb = _server.Rdb;
        if (rdb.InProgress || _server.Aof.Rewrite.InProgress || (!rdb.Scheduled && (_server.Keyspace.Dirty == 0 || _server.Config.Save.Length == 0)))
        {
            return;
        }

        lock (_server.Keyspace.Lock)
        {
            rdb.Cron();
        }
    }

    /// <summary>Samples keys with a TTL and deletes the expired ones, within Redis's time budget.</summary>
    internal void ActiveExpireCycle(int hz)
    {
        var keyspace = _server.Keyspace;
        if (keyspace.Loading)
        {
            return;
        }

        int effort = Math.Clamp(_server.Config.ActiveExpireEffort, 1, 10) - 1;
        int keysPerLoop = KeysPerLoop + (KeysPerLoop / 4 * effort);
        int stalePercent = AcceptableStalePercent - effort;
        long budgetTicks = Stopwatch.Frequency * SlowTimePercent / 100 / hz;
        long start = Stopwatch.GetTimestamp();

        foreach (var db in keyspace.Databases)
        {
            bool again = true;
            while (again)
            {
                lock (keyspace.Lock)
                {
                    long sliceStart = Stopwatch.GetTimestamp();
                    long now = keyspace.NowMilliseconds;
                    do
                    {
                        var table = db.Table;
                        int volatileCount = table.VolatileCount;
                        if (volatileCount == 0)
                        {
                            again = false;
                            break;
                        }

                        int sampled = Math.Min(keysPerLoop, volatileCount);
                        int expired = 0;
                        for (int i = 0; i < sampled && table.VolatileCount > 0; i++)
                        {
                            ref readonly var key = ref table.VolatileAt(_random.Next(table.VolatileCount));
                            if (key.ExpiresAt < now) // activeExpireCycleTryExpire: now > when
                            {
                                db.Expire(key.Index);
                                expired++;
                            }
                        }

                        again = expired * 100 > sampled * stalePercent;
                    }
                    while (again && Stopwatch.GetTimestamp() - sliceStart < SliceTicks);

                    // Hash fields with a TTL (Redis 7.4): one sampling round per database per slice.
                    Storage.HashFieldExpiry.Cycle(db, now, _random, keysPerLoop);

                    // Expired keys matching BCAST prefixes are announced now, as Redis's beforeSleep does.
                    if (_server.Tracking.EndBatchPending)
                    {
                        _server.Tracking.EndBatch();
                    }

                    keyspace.FreeReleased();
                }

                if (Stopwatch.GetTimestamp() - start > budgetTicks)
                {
                    keyspace.Stats.ExpireCycleCpuMilliseconds += (Stopwatch.GetTimestamp() - start) * 1000 / Stopwatch.Frequency;
                    return;
                }
            }
        }

        keyspace.Stats.ExpireCycleCpuMilliseconds += (Stopwatch.GetTimestamp() - start) * 1000 / Stopwatch.Frequency;
    }

    // Redis's serverCron: a scheduled rewrite starts; the AOF grown past auto-aof-rewrite-percentage of
    // its size after the last rewrite (and past auto-aof-rewrite-min-size) is rewritten.
    private void AppendOnlyFileCron()
    {
        var aof = _server.Aof;
        var rewrite = aof.Rewrite;
        if (rewrite.InProgress)
        {
            return;
        }

        var config = _server.Config;

        // Not while a BGSAVE runs (Redis: one child at a time); a scheduled rewrite starts after it.
        bool start = rewrite.Scheduled && !_server.Rdb.InProgress;
        if (!start && aof.State == Persistence.Aof.AofState.On && config.AutoAofRewritePercentage > 0)
        {
            long current = aof.CurrentSize;
            long baseSize = Math.Max(aof.BaseSize, 1);
            long growth = (current * 100 / baseSize) - 100;
            start = current > config.AutoAofRewriteMinSize && growth >= config.AutoAofRewritePercentage && rewrite.LastOk && !_server.Rdb.InProgress;
        }

        if (start)
        {
            lock (_server.Keyspace.Lock)
            {
                if (!rewrite.InProgress)
                {
                    rewrite.Start(aof.State switch
                    {
                        Persistence.Aof.AofState.Off => Persistence.Aof.AofRewriteMode.Offline,
                        Persistence.Aof.AofState.WaitRewrite => Persistence.Aof.AofRewriteMode.Enabling,
                        _ => Persistence.Aof.AofRewriteMode.Normal,
                    });
                }
            }
        }

        // appendfsync everysec: the writer also wakes on its own, but active expiry's DELs are not tied to a batch.
        if (aof.State == Persistence.Aof.AofState.On)
        {
            aof.Wake();
        }
    }

    private void CloseIdleClients()
    {
        int timeout = _server.Config.Timeout;
        if (timeout <= 0)
        {
            return;
        }

        long now = _server.Keyspace.NowMilliseconds;
        foreach (var client in _server.Clients.Snapshot())
        {
            if (now - client.LastInteraction > timeout * 1000L)
            {
                client.Abort?.Invoke();
            }
        }
    }
}
