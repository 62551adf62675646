using System.Buffers;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Kv.AspNetCore.Diagnostics;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Caching;

/// <summary>
/// The Kv distributed cache: <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/>
/// (so HybridCache uses it as its second level), stored as Microsoft's Redis cache stores entries (a
/// hash with <c>absexp</c>, <c>sldexp</c> and <c>data</c> under the instance name followed by the key),
/// so an app can switch packages without losing its cache. Unlike that package, a value and its TTL
/// are written in one atomic MULTI/EXEC, a set without expiry clears an old TTL, a read refreshes a
/// sliding expiration in the same round trip, and TTLs keep millisecond precision. With
/// <see cref="KvCacheOptions.UseGenerations"/> (off by default) a generation number follows the
/// instance name in every key, so <see cref="ClearAsync"/> is one command.
/// </summary>
/// <remarks>
/// The synchronous methods block the calling thread on the network (the interface demands them);
/// prefer the asynchronous ones, which never block a thread.
/// </remarks>
public sealed partial class KvDistributedCache : IBufferDistributedCache
{
    private readonly KvClient _client;
    private readonly KvCacheOptions _options;
    private readonly string _instanceName;
    private readonly TimeProvider _time;
    private readonly KvMetrics _metrics;
    private readonly ILogger _logger;
    private readonly NearCache? _near;
    private readonly CacheGeneration? _generation;
    private volatile bool _expireGreaterThan = true;

    /// <summary>Creates the cache over <paramref name="client"/> (DI does this for you with <c>AddKvCache</c>).</summary>
    /// <remarks>
    /// With <see cref="KvCacheOptions.UseGenerations"/> the client must have been created with
    /// <see cref="KvClientOptions.Tracking"/> (its <see cref="KvClient.Invalidated"/> reports other
    /// instances' clears; the cache handles that event from now on), and the instance name must be set.
    /// </remarks>
    /// <exception cref="ArgumentException">Generations are on without an instance name, or over a client that does not track keys.</exception>
    public KvDistributedCache(KvClient client, IOptions<KvOptions> options, ILogger<KvDistributedCache>? logger = null, TimeProvider? timeProvider = null)
        : this(
            client,
            options.Value.Cache,
            new KvMetrics(),
            logger,
            timeProvider,
            generation: options.Value.Cache.UseGenerations
                ? new CacheGeneration(client, options.Value.Cache.InstanceName ?? "", null, ownsClient: false, (ILogger?)logger ?? NullLogger.Instance)
                : null)
    {
    }

    internal KvDistributedCache(KvClient client, KvCacheOptions options, KvMetrics metrics, ILogger? logger, TimeProvider? timeProvider, NearCache? near = null, CacheGeneration? generation = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);

        // With a near cache or generations every command goes through their tracking client: reads
        // must, to be tracked; and while the connection the server's reports come on is down, commands
        // wait, and the lost reports drop what is kept (generation, entries) before any is sent again.
        _near = near;
        _generation = generation;
        _client = generation?.Client ?? near?.Client ?? client;
        _options = options;
        _instanceName = options.InstanceName ?? "";
        _metrics = metrics;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public byte[]? Get(string key) => GetAsync(key, refresh: true, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => GetAsync(key, refresh: true, token).AsTask();

    /// <summary>
    /// Gets a value. With <paramref name="refresh"/> (what <see cref="IDistributedCache.GetAsync"/> does),
    /// an entry with a sliding expiration has its window pushed out; without, the read leaves its
    /// expiry alone.
    /// </summary>
    /// <remarks>
    /// One round trip: <c>HMGET absexp sldexp data</c>, the cheapest read the server has. For a sliding
    /// entry the refresh (<c>PEXPIRE … GT</c>) is queued before this returns, on the same connection,
    /// but not waited for: Microsoft's cache waits for it (a second round trip), and reading and
    /// refreshing in one Lua script cost redis-server 5.2 µs of CPU a call against 0.8 µs for the two
    /// plain commands (benchmarks/Kv.AspNetCore.Benchmarks). <c>GT</c> never shortens a TTL nor gives
    /// one to a key that was meanwhile set without expiry. A refresh that fails is logged.
    /// </remarks>
    /// <returns>The value, or null when there is none.</returns>
    public async ValueTask<byte[]?> GetAsync(string key, bool refresh, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        token.ThrowIfCancellationRequested();
        string expanded;
        try
        {
            expanded = Expand(await PrefixAsync(token).ConfigureAwait(false), key);
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            return Unavailable<byte[]?>("get", key, ex, null);
        }

        long now = NowTicks();
        object? reservation = null;
        if (_near is { } near)
        {
            if (near.TryGet(expanded, now, out var kept))
            {
                _metrics.Lookup(hit: true, near: true);
                return kept;
            }

            reservation = near.Reserve(expanded);
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            var reply = await _client.ExecuteAsync("HMGET", [expanded, CacheEntryLayout.AbsoluteExpiration, CacheEntryLayout.SlidingExpiration, CacheEntryLayout.Data], token).ConfigureAwait(false);
            byte[]? data = DataOf(reply);
            _metrics.Lookup(hit: data is not null, near: false);
            if (data is null)
            {
                return null;
            }

            long absolute = NumberOf(reply, 0);
            long sliding = NumberOf(reply, 1);
            if (sliding > 0)
            {
                if (refresh && CacheEntryLayout.SlidingTtl(absolute, sliding, now) is > 0 and var ttl)
                {
                    RefreshInBackground(expanded, ttl);
                }
            }
            else if (reservation is not null)
            {
                // Only entries without a sliding window: a hit from memory would not push it out on the server.
                _near!.Keep(expanded, reservation, data, absolute == CacheEntryLayout.NotPresent ? long.MaxValue : absolute);
                reservation = null;
            }

            return data;
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            return Unavailable<byte[]?>("get", key, ex, null);
        }
        finally
        {
            if (reservation is not null)
            {
                _near!.Release(expanded, reservation);
            }

            _metrics.Duration("get", start);
        }
    }

    /// <inheritdoc />
    public bool TryGet(string key, IBufferWriter<byte> destination) => TryGetAsync(key, destination, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        byte[]? data = await GetAsync(key, refresh: true, token).ConfigureAwait(false);
        if (data is null)
        {
            return false;
        }

        destination.Write(data);
        return true;
    }

    /// <inheritdoc />
    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return SetCoreAsync(key, value, options, token).AsTask();
    }

    /// <inheritdoc />
    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) => SetAsync(key, value, options, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
        => SetCoreAsync(key, value.IsSingleSegment ? value.First : value.ToArray(), options, token);

    /// <inheritdoc />
    public void Refresh(string key) => RefreshAsync(key, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        token.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        try
        {
            // As a read's refresh (GetAsync): one round trip; the PEXPIRE … GT is queued on this
            // connection before this returns (so this client's later commands follow it), not waited for.
            string expanded = Expand(await PrefixAsync(token).ConfigureAwait(false), key);
            long now = NowTicks();
            var reply = await _client.ExecuteAsync("HMGET", [expanded, CacheEntryLayout.AbsoluteExpiration, CacheEntryLayout.SlidingExpiration], token).ConfigureAwait(false);
            long sliding = NumberOf(reply, 1);
            if (sliding > 0 && CacheEntryLayout.SlidingTtl(NumberOf(reply, 0), sliding, now) is > 0 and var ttl)
            {
                RefreshInBackground(expanded, ttl);
            }
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            Unavailable<bool>("refresh", key, ex, false);
        }
        finally
        {
            _metrics.Duration("refresh", start);
        }
    }

    /// <inheritdoc />
    public void Remove(string key) => RemoveAsync(key, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        token.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        try
        {
            string expanded = Expand(await PrefixAsync(token).ConfigureAwait(false), key);
            _near?.Remove(expanded);
            await _client.ExecuteAsync("UNLINK", [expanded], token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            Unavailable<bool>("remove", key, ex, false);
        }
        finally
        {
            _metrics.Duration("remove", start);
        }
    }

    private async ValueTask SetCoreAsync(string key, ReadOnlyMemory<byte> value, DistributedCacheEntryOptions options, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(options);
        token.ThrowIfCancellationRequested();
        var (absolute, sliding, ttl) = CacheEntryLayout.Expiry(options, _time.GetUtcNow());
        long start = Stopwatch.GetTimestamp();
        try
        {
            string expanded = Expand(await PrefixAsync(token).ConfigureAwait(false), key);

            // The next read goes to the server (and is tracked there): a value written here is not kept
            // from the write, since the server reports changes only to keys this client has read.
            _near?.Remove(expanded);

            // One entry, inline (WriteEntriesAsync's arrays and second state machine cost a third of a Set's bytes).
            var batch = _client.CreateBatch();
            var multi = batch.Add("MULTI");
            var hset = batch.Add("HSET", expanded, CacheEntryLayout.AbsoluteExpiration, absolute, CacheEntryLayout.SlidingExpiration, sliding, CacheEntryLayout.Data, value);
            var expire = ttl > 0 ? batch.Add("PEXPIRE", expanded, ttl) : batch.Add("PERSIST", expanded);
            var exec = batch.Add("EXEC");
            batch.Execute(CancellationToken.None);
            await multi.ConfigureAwait(false);
            await hset.ConfigureAwait(false);
            await expire.ConfigureAwait(false);
            BatchReplies.ThrowIfFailed(await exec.ConfigureAwait(false));
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            Unavailable<bool>("set", key, ex, false);
        }
        finally
        {
            _metrics.Duration("set", start);
        }
    }

    /// <summary>
    /// Writes <paramref name="entries"/> in one MULTI/EXEC: per entry, HSET of the three fields and
    /// PEXPIRE (or PERSIST, so a set without expiry clears an old TTL). The values and their TTLs
    /// land together or not at all.
    /// </summary>
    /// <remarks>
    /// Sent without the caller's token (callers check it before): once a write has begun its callers
    /// wait for its outcome rather than leave it unknown. (A batch is sent whole or not at all either
    /// way: Kv.Client's OperationGroup.)
    /// </remarks>
    private async Task WriteEntriesAsync((KvKey Key, ReadOnlyMemory<byte> Value)[] entries, long absolute, long sliding, long ttl)
    {
        var batch = _client.CreateBatch();
        var replies = new ValueTask<KvResult>[(entries.Length * 2) + 2];
        replies[0] = batch.Add("MULTI");
        for (int i = 0; i < entries.Length; i++)
        {
            var (key, value) = entries[i];
            replies[(2 * i) + 1] = batch.Add("HSET", key, CacheEntryLayout.AbsoluteExpiration, absolute, CacheEntryLayout.SlidingExpiration, sliding, CacheEntryLayout.Data, value);
            replies[(2 * i) + 2] = ttl > 0 ? batch.Add("PEXPIRE", key, ttl) : batch.Add("PERSIST", key);
        }

        replies[^1] = batch.Add("EXEC");
        batch.Execute(CancellationToken.None);
        var results = await BatchReplies.AwaitAllAsync(replies).ConfigureAwait(false);
        BatchReplies.ThrowIfFailed(results[^1]);
    }

    /// <summary>
    /// What goes before every key: the instance name, and with generations the current generation
    /// and a colon (at once when it is known, else read first; the read can fail as any command can).
    /// </summary>
    private ValueTask<string> PrefixAsync(CancellationToken token) => _generation is null ? new ValueTask<string>(_instanceName) : _generation.PrefixAsync(token);

    private static string Expand(string prefix, string key) => prefix.Length == 0 ? key : string.Concat(prefix, key);

    private long NowTicks() => _time.GetUtcNow().UtcTicks;

    private static byte[]? DataOf(in KvResult reply)
        => reply.Count >= 3 && !reply[2].IsNull ? (byte[]?)reply[2].AsValue() : null;

    // Queued now (so any later command of this client follows it), awaited off the caller's path.
    private void RefreshInBackground(string key, long ttlMilliseconds)
    {
        var pending = _expireGreaterThan
            ? _client.ExecuteAsync("PEXPIRE", [key, ttlMilliseconds, "GT"], CancellationToken.None)
            : _client.ExecuteAsync("PEXPIRE", [key, ttlMilliseconds], CancellationToken.None);
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            return;
        }

        _ = ObserveRefreshAsync(pending, key, ttlMilliseconds);
    }

    private async Task ObserveRefreshAsync(ValueTask<KvResult> pending, string key, long ttlMilliseconds)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (KvServerException) when (_expireGreaterThan)
        {
            // A server before Redis 7.0 has no GT: plain PEXPIRE from now on.
            _expireGreaterThan = false;
            RefreshInBackground(key, ttlMilliseconds);
        }
        catch (Exception ex)
        {
            _metrics.Failure("refresh", ignored: true);
            LogRefreshFailed(_logger, key, ex.Message);
        }
    }

    private static long NumberOf(in KvResult reply, int index)
        => reply.Count > index && !reply[index].IsNull && reply[index].AsValue().TryGetInt64(out long n) ? n : CacheEntryLayout.NotPresent;

    private T Unavailable<T>(string operation, string key, Exception ex, T fallback)
    {
        bool ignore = _options.OnServerUnavailable == KvFailureMode.Ignore;
        _metrics.Failure(operation, ignore);
        if (!ignore)
        {
            LogFailed(_logger, operation, key, ex);
            ExceptionDispatchInfo.Throw(ex);
        }

        LogIgnored(_logger, operation, key, ex.Message);
        return fallback;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Kv cache {Operation} of '{Key}' failed: the server could not be reached.")]
    private static partial void LogFailed(ILogger logger, string operation, string key, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv cache: the sliding expiration of '{Key}' was not pushed out after a read: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv cache {Operation} of '{Key}' skipped (OnServerUnavailable = Ignore): {Reason}")]
    private static partial void LogIgnored(ILogger logger, string operation, string key, string reason);
}
