using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Kv.Client;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Caching;

/// <summary>
/// The generation of a cache instance (<see cref="KvCacheOptions.UseGenerations"/>): entries live at
/// <c>InstanceName + generation + ":" + key</c>, and the generation at <c>InstanceName + "__generation"</c>,
/// so a clear is one command that moves the generation on, and the entries of the previous ones are
/// swept in the background.
/// </summary>
/// <remarks>
/// The generation is read once (GET) and kept. The client is a tracking one, so the server reports
/// every change to the generation key (another instance's clear, a flush, an eviction) and the
/// kept value is dropped as the report arrives: the next operation reads it again, the ones after
/// it find it kept again (no extra round trip). Operations that find it unknown at once share one
/// read. Reads are numbered by epoch: a read that was in flight when a report arrived is used by its
/// own callers (the server answered it before the change) but not kept.
/// </remarks>
internal sealed partial class CacheGeneration : IAsyncDisposable
{
    /// <summary>
    /// Sets the generation to the server's clock in microseconds, or to the current generation plus
    /// one when that is more, and returns it. ARGV[1] <c>start</c>: only when there is none yet
    /// (returns the existing one otherwise); <c>advance</c>: always (a clear).
    /// </summary>
    /// <remarks>
    /// Not a counter from 0 (INCR): a generation key lost from the server (evicted under an allkeys
    /// policy, deleted, flushed) would start again below generations used before, and counting up
    /// would one day reach one whose entries, if not yet swept, would come back. From the clock, a lost
    /// key starts a generation past every earlier one: losing it clears the cache, never undoes a clear.
    /// </remarks>
    internal static readonly KvScript Move = new("""
        local g = redis.call('GET', KEYS[1])
        if g and ARGV[1] == 'start' then return g end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local current = tonumber(g)
        if current and now <= current then now = current + 1 end
        g = string.format('%d', now)
        redis.call('SET', KEYS[1], g)
        return g
        """);

    private readonly Lock _lock = new();
    private readonly string _instanceName;
    private readonly byte[] _instanceBytes;
    private readonly KvKey _key;
    private readonly NearCache? _near;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    // Guarded by _lock; _prefix is also read without it (the fast path).
    private string? _prefix;
    private int _epoch;
    private Task<string>? _reading;
    private long _sweepBelow;
    private bool _sweeping;
    private bool _disposed;
    private Task _sweep = Task.CompletedTask;

    /// <param name="client">A client with <see cref="KvClientOptions.Tracking"/>; every cache command goes through it.</param>
    /// <param name="instanceName">The instance name, not empty.</param>
    /// <param name="near">The near cache, emptied when the generation changes (its entries can no longer be asked for).</param>
    /// <param name="ownsClient">Dispose <paramref name="client"/> with this.</param>
    /// <param name="logger">Where the sweeps report.</param>
    /// <exception cref="ArgumentException">The instance name is empty, or the client does not track keys.</exception>
    public CacheGeneration(KvClient client, string instanceName, NearCache? near, bool ownsClient, ILogger logger)
    {
        if (string.IsNullOrEmpty(instanceName))
        {
            throw new ArgumentException(
                "KvCacheOptions.UseGenerations needs an instance name (configuration key Kv:Cache:InstanceName), such as 'shop:': "
                + "without one the generation key and the sweep of old generations would reach keys of the whole database.",
                nameof(instanceName));
        }

        Client = client;
        _instanceName = instanceName;
        _instanceBytes = Encoding.UTF8.GetBytes(instanceName);
        Key = KeyOf(instanceName);
        _key = Encoding.UTF8.GetBytes(Key);
        _near = near;
        _ownsClient = ownsClient;
        _logger = logger;
        try
        {
            client.Invalidated += OnInvalidated;
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException(
                "KvCacheOptions.UseGenerations needs a client created with KvClientOptions.Tracking (new KvTrackingOptions()): "
                + "the cache learns of other instances' clears from the server's invalidations.",
                nameof(client),
                ex);
        }
    }

    /// <summary>The tracking client every cache command goes through.</summary>
    public KvClient Client { get; }

    /// <summary>The key that holds the generation: the instance name followed by <c>__generation</c>.</summary>
    public string Key { get; }

    /// <summary>Awaited before each sweep starts; tests hold it to see a clear return before any SCAN is sent.</summary>
    internal Func<Task>? SweepGate { get; set; }

    /// <summary>The generation key of <paramref name="instanceName"/>: the prefix a broadcast-tracking client made for the cache watches.</summary>
    public static string KeyOf(string instanceName) => instanceName + "__generation";

    /// <summary>
    /// What goes before every key: the instance name, the current generation and a colon. Completes
    /// at once when the generation is known; otherwise it is read (one GET shared by every caller).
    /// </summary>
    /// <param name="token">Stops this caller's wait; the shared read goes on for the others.</param>
    public ValueTask<string> PrefixAsync(CancellationToken token)
    {
        string? prefix = Volatile.Read(ref _prefix);
        return prefix is not null ? new ValueTask<string>(prefix) : new ValueTask<string>(ReadAsync(token));
    }

    /// <summary>
    /// Moves the generation on (one script call: O(1), whatever the number of entries) and forgets the
    /// kept one, so the next operation here reads it again, and by that read is tracked again.
    /// </summary>
    /// <returns>The new generation: every entry of a smaller one is invisible from now on.</returns>
    public async Task<long> AdvanceAsync(CancellationToken token)
    {
        var reply = await Client.EvalAsync(Move, [_key], ["advance"], token).ConfigureAwait(false);
        Forget();
        return ParseGeneration(reply);
    }

    /// <summary>
    /// Starts removing, in the background, the entries of every generation below <paramref name="below"/>.
    /// One sweep runs at a time: a sweep asked for while one runs is done after it, once, for the
    /// highest generation asked for. Progress and failures are logged; nothing is thrown to the caller.
    /// </summary>
    public void Sweep(long below)
    {
        lock (_lock)
        {
            _sweepBelow = Math.Max(_sweepBelow, below);
            if (_sweeping || _disposed)
            {
                return;
            }

            _sweeping = true;
            _sweep = SweepAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Invalidated -= OnInvalidated;
        Task sweep;
        lock (_lock)
        {
            _disposed = true;
            sweep = _sweep;
        }

        // The sweep logs its own end; the client must outlive it.
        await _stopping.CancelAsync().ConfigureAwait(false);
        await sweep.ConfigureAwait(false);
        _stopping.Dispose();
        if (_ownsClient)
        {
            await Client.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>True for an entry key of a generation below <paramref name="below"/>: the instance name, a generation as written here (no sign, no leading zero), a colon.</summary>
    internal static bool IsEntryOfGenerationBelow(ReadOnlySpan<byte> key, ReadOnlySpan<byte> instanceName, long below)
    {
        if (!key.StartsWith(instanceName))
        {
            return false;
        }

        var rest = key[instanceName.Length..];
        int colon = rest.IndexOf((byte)':');
        if (colon <= 0 || (rest[0] == (byte)'0' && colon > 1) || !char.IsAsciiDigit((char)rest[0]))
        {
            return false;
        }

        return Utf8Parser.TryParse(rest[..colon], out long generation, out int consumed) && consumed == colon && generation < below;
    }

    private async Task<string> ReadAsync(CancellationToken token)
    {
        Task<string> reading;
        TaskCompletionSource<string>? mine = null;
        int epoch;
        lock (_lock)
        {
            if (_prefix is { } known)
            {
                return known;
            }

            epoch = _epoch;
            if (_reading is null)
            {
                mine = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                _reading = mine.Task;
            }

            reading = _reading;
        }

        if (mine is not null)
        {
            _ = FetchAsync(mine, epoch);
        }

        return await reading.WaitAsync(token).ConfigureAwait(false);
    }

    // Sent without a caller's token: it is shared, and one caller giving up must not fail the others.
    private async Task FetchAsync(TaskCompletionSource<string> reading, int epoch)
    {
        try
        {
            // A plain GET, so that the server tracks the key for this client (in the default mode).
            var reply = await Client.ExecuteAsync("GET", [_key], CancellationToken.None).ConfigureAwait(false);
            if (reply.IsNull)
            {
                // The first use of the instance, or the key was lost: a new generation (whose setting
                // reports a change to this client too, so the next operation reads it again, tracked).
                reply = await Client.EvalAsync(Move, [_key], ["start"], CancellationToken.None).ConfigureAwait(false);
            }

            long generation = ParseGeneration(reply);
            string prefix = string.Concat(_instanceName, generation.ToString(CultureInfo.InvariantCulture), ":");
            lock (_lock)
            {
                if (_reading == reading.Task)
                {
                    _reading = null;
                }

                // A change reported since the read was sent: the value is the server's answer from
                // before it, right for this read's callers, but the next operation must read again.
                if (_epoch == epoch)
                {
                    _prefix = prefix;
                }
            }

            reading.SetResult(prefix);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                if (_reading == reading.Task)
                {
                    _reading = null;
                }
            }

            reading.SetException(ex);

            // Observed here: every caller may have given up waiting (their tokens).
            _ = reading.Task.Exception;
        }
    }

    private long ParseGeneration(in KvResult reply)
    {
        if (reply.IsNull || !reply.AsValue().TryGetInt64(out long generation) || generation < 0)
        {
            throw new InvalidOperationException(
                $"The cache generation key '{Key}' holds '{reply.AsString()}', not a generation (KvCacheOptions.UseGenerations): "
                + "ClearAsync writes a valid one; or delete the key, and the next operation starts a new generation.");
        }

        return generation;
    }

    /// <summary>Drops the kept generation and any read in flight: the next operation reads it again.</summary>
    private void Forget()
    {
        lock (_lock)
        {
            _epoch++;
            _prefix = null;
            _reading = null;
        }
    }

    // Runs on the connection's reader, in order with replies (RESP3): quick, no I/O.
    private void OnInvalidated(KvInvalidation invalidation)
    {
        if (invalidation.All)
        {
            Forget();
            return;
        }

        foreach (var key in invalidation.Keys)
        {
            if (key == _key)
            {
                Forget();

                // The near cache's entries carry the old generation: nothing asks for them any more.
                _near?.Clear();
                return;
            }
        }
    }

    private async Task SweepAsync()
    {
        // Off the caller's path: the clear has returned before the first SCAN is sent.
        try
        {
            await (SweepGate?.Invoke() ?? Task.CompletedTask).WaitAsync(_stopping.Token).ConfigureAwait(false);
            await Task.Yield();
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _sweeping = false;
            }

            return;
        }

        string pattern = MatchingKeys.EscapeGlob(_instanceName) + "[0-9]*";
        while (true)
        {
            long below;
            lock (_lock)
            {
                below = _sweepBelow;
                _sweepBelow = 0;
                if (below == 0 || _disposed)
                {
                    _sweeping = false;
                    return;
                }
            }

            var removed = new StrongBox<long>();
            try
            {
                LogSweepStarted(_logger, _instanceName, below);
                await MatchingKeys.UnlinkAsync(Client, pattern, key => IsEntryOfGenerationBelow(key.Span, _instanceBytes, below), removed, _stopping.Token).ConfigureAwait(false);
                LogSwept(_logger, removed.Value, _instanceName, below);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                LogSweepStopped(_logger, _instanceName, below, removed.Value);
            }
            catch (Exception ex)
            {
                LogSweepFailed(_logger, _instanceName, below, removed.Value, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Kv cache '{InstanceName}': sweeping the entries of generations below {Generation}.")]
    private static partial void LogSweepStarted(ILogger logger, string instanceName, long generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kv cache: removed {Count} entries of '{InstanceName}' from generations below {Generation} (the clear's background sweep).")]
    private static partial void LogSwept(ILogger logger, long count, string instanceName, long generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kv cache '{InstanceName}': the sweep of generations below {Generation} stopped with the app after removing {Count} entries; the next clear's sweep removes the rest.")]
    private static partial void LogSweepStopped(ILogger logger, string instanceName, long generation, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv cache '{InstanceName}': the sweep of generations below {Generation} failed after removing {Count} entries; they are invisible already, and the next clear's sweep removes the rest (or they expire).")]
    private static partial void LogSweepFailed(ILogger logger, string instanceName, long generation, long count, Exception exception);
}
