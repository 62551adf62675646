using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Diagnostics;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.MethodCaching;

/// <summary>
/// What the generated [Cache] decorators stand on: the cache their entries live in, the key's prefix,
/// the methods' settings, the calls in flight, and invalidation (by key and by tag). Also the app's
/// <see cref="IKvMethodCache"/>.
/// </summary>
/// <remarks>
/// Tags are one set per tag on the server (<c>{prefix}{version}#tag:{tag}</c>, next to the entries),
/// holding the keys written with the tag: a write adds its key (pipelined after the entry, in the
/// same round trip's batch); evicting a tag takes the set and removes its keys, O(entries with the tag),
/// and hits pay nothing (a tag version checked on read would cost every hit a second lookup). Sets
/// expire with the longest-lived entry they name. Plain SADD/SMEMBERS/DEL: the same on Redis.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed partial class KvMethodCache : IKvMethodCache
{
    private readonly ConcurrentDictionary<string, object> _methods = new(StringComparer.Ordinal);
    private readonly string _tagPrefix;

    internal KvMethodCache(KvMethodCacheOptions options, KvCacheOptions cacheOptions, IDistributedCache cache, KvClient client, KvMetrics metrics, ILogger logger)
    {
        Options = options;
        CacheOptions = cacheOptions;
        Cache = cache;
        Kv = cache as KvDistributedCache;
        Buffered = Kv is null ? cache as IBufferDistributedCache : null;
        Client = client;
        Metrics = metrics;
        Logger = logger;
        JsonOptions = options.JsonSerializerOptions;
        JsonOptions.MakeReadOnly(populateMissingResolver: true);
        KeyPrefix = options.KeyPrefix + options.Version + ":";
        MaxKeyLength = options.MaxKeyLength;

        // With generations the cache's sweep removes keys under the instance name that are not of the
        // current generation, so the tag sets stay out of it.
        _tagPrefix = (cacheOptions.UseGenerations ? "" : cacheOptions.InstanceName ?? "") + options.KeyPrefix + options.Version + "#tag:";
    }

    /// <summary>What every key starts with: the key prefix, the version and a colon (the cache adds its instance name before).</summary>
    public string KeyPrefix { get; }

    /// <summary>Longer keys (UTF-8 bytes) are shortened with a hash.</summary>
    public int MaxKeyLength { get; }

    internal KvMethodCacheOptions Options { get; }

    internal KvCacheOptions CacheOptions { get; }

    internal IDistributedCache Cache { get; }

    internal KvDistributedCache? Kv { get; }

    internal IBufferDistributedCache? Buffered { get; }

    internal KvClient Client { get; }

    internal KvMetrics Metrics { get; }

    internal ILogger Logger { get; }

    internal JsonSerializerOptions JsonOptions { get; }

    /// <summary>The calls of real methods in flight, by key: one per key at a time in this process.</summary>
    internal ConcurrentDictionary<string, object> Flights { get; } = new(StringComparer.Ordinal);

    /// <summary>The settings of one [Cache] method (made once per method, shared by its decorators).</summary>
    /// <param name="id">The method's identity, as in its keys.</param>
    /// <param name="seconds">Its [Cache(Seconds)], 0 for the default duration.</param>
    /// <param name="tags">Its tags.</param>
    /// <param name="nulls">Its null policy.</param>
    public KvCachedMethod<T> Method<T>(string id, int seconds, string[]? tags, KvCacheNulls nulls)
        => (KvCachedMethod<T>)_methods.GetOrAdd(id, static (id, state) => new KvCachedMethod<T>(state.Cache, id, state.Seconds, state.Tags, state.Nulls), (Cache: this, Seconds: seconds, Tags: tags, Nulls: nulls));

    /// <summary>Evicts <paramref name="keys"/> and the entries of <paramref name="tags"/> (generated [CacheInvalidate] code calls this).</summary>
    public async ValueTask InvalidateAsync(string[]? keys, string[]? tags)
    {
        if (keys is { Length: > 0 })
        {
            await RemoveAsync(keys, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (string tag in tags ?? [])
        {
            await InvalidateTagAsync(tag, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>As <see cref="InvalidateAsync(string[], string[])"/>, blocking (for synchronous methods).</summary>
    public void Invalidate(string[]? keys, string[]? tags) => InvalidateAsync(keys, tags).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public ValueTask InvalidateAsync<TService>(string methodName, object?[] arguments, CancellationToken token = default)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(methodName);
        ArgumentNullException.ThrowIfNull(arguments);
        KvCacheKeyFactory? match = null;
        bool named = false;
        foreach (var factory in KvCachedServices.KeysOf<TService>())
        {
            if (factory.Method != methodName)
            {
                continue;
            }

            named = true;
            if (factory.Accepts(arguments))
            {
                if (match is not null)
                {
                    throw new ArgumentException($"Several [Cache] overloads of {typeof(TService).Name}.{methodName} take these {arguments.Length} arguments: evict with [CacheInvalidate], or pass arguments whose types tell them apart.", nameof(arguments));
                }

                match = factory;
            }
        }

        if (match is null)
        {
            throw new ArgumentException(
                named
                    ? $"No [Cache] overload of {typeof(TService).Name}.{methodName} takes these {arguments.Length} arguments: pass its parameters in order, without cancellation tokens."
                    : $"{typeof(TService).Name} has no [Cache] method named '{methodName}'.",
                nameof(methodName));
        }

        return RemoveAsync([match.Key(this, arguments)], token);
    }

    /// <inheritdoc />
    public async ValueTask InvalidateTagAsync(string tag, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(tag);
        foreach (var (_, flight) in Flights)
        {
            if (((IFlight)flight).HasTag(tag))
            {
                // A store under way adds its key to the tag's set: let it land first, so the set read below holds it.
                await ((IFlight)flight).Invalidate().ConfigureAwait(false);
            }
        }

        string setKey = TagKey(tag);
        KvResult members;
        try
        {
            // Taken and dropped in one MULTI, so keys added meanwhile land in a new set, not lost.
            var batch = Client.CreateBatch();
            var multi = batch.Add("MULTI");
            var read = batch.Add("SMEMBERS", setKey);
            var drop = batch.Add("DEL", setKey);
            var exec = batch.Add("EXEC");
            batch.Execute(CancellationToken.None);
            var replies = await BatchReplies.AwaitAllAsync([multi, read, drop, exec]).ConfigureAwait(false);
            BatchReplies.ThrowIfFailed(replies[3]);
            members = replies[3][0];
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            Unavailable("invalidate tag", tag, ex);
            return;
        }

        if (members.Count == 0)
        {
            return;
        }

        string[] keys = new string[members.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = members[i].AsString()!;
        }

        await RemoveAsync(keys, token).ConfigureAwait(false);
    }

    /// <summary>Adds <paramref name="key"/> to its tags' sets, each kept as long as its longest-lived entry.</summary>
    internal async ValueTask TagAsync(string key, string[] tags, long ttlMilliseconds)
    {
        var batch = Client.CreateBatch();
        var replies = new ValueTask<KvResult>[tags.Length * 3];
        for (int i = 0; i < tags.Length; i++)
        {
            string setKey = TagKey(tags[i]);
            replies[3 * i] = batch.Add("SADD", setKey, key);

            // NX gives a new set its TTL; GT only ever lengthens it (GT alone never sets a first TTL).
            replies[(3 * i) + 1] = batch.Add("PEXPIRE", setKey, ttlMilliseconds, "NX");
            replies[(3 * i) + 2] = batch.Add("PEXPIRE", setKey, ttlMilliseconds, "GT");
        }

        batch.Execute(CancellationToken.None);
        await BatchReplies.AwaitAllAsync(replies).ConfigureAwait(false);
    }

    internal JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)JsonOptions.GetTypeInfo(typeof(T));

    /// <summary>As the distributed cache does (<c>Kv:Cache:OnServerUnavailable</c>): rethrow, or log and go on.</summary>
    internal void Unavailable(string operation, string subject, Exception ex)
    {
        bool ignore = CacheOptions.OnServerUnavailable == KvFailureMode.Ignore;
        Metrics.Failure("method_" + operation.Replace(' ', '_'), ignore);
        if (!ignore)
        {
            ExceptionDispatchInfo.Throw(ex);
        }

        LogIgnored(Logger, operation, subject, ex.Message);
    }

    private string TagKey(string tag) => string.Concat(_tagPrefix, tag);

    private async ValueTask RemoveAsync(string[] keys, CancellationToken token)
    {
        // A call in flight for one of these keys read the old data: it must not store its result.
        foreach (string key in keys)
        {
            if (Flights.TryGetValue(key, out var flight))
            {
                await ((IFlight)flight).Invalidate().ConfigureAwait(false);
            }
        }

        if (Kv is not null)
        {
            await Kv.RemoveManyAsync(keys, token).ConfigureAwait(false);
            return;
        }

        foreach (string key in keys)
        {
            await Cache.RemoveAsync(key, token).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv method cache {Operation} of '{Subject}' skipped (OnServerUnavailable = Ignore): {Reason}")]
    private static partial void LogIgnored(ILogger logger, string operation, string subject, string reason);
}

/// <summary>What invalidation needs of a call in flight, whatever its result type.</summary>
internal interface IFlight
{
    /// <summary>The callers waiting for the call (tests watch it).</summary>
    int Waiters { get; }

    /// <summary>
    /// Its result must not be stored: its data changed meanwhile. Returns the store already under way (or a
    /// completed task): the eviction is sent after it lands, so a store sent late never outlives the eviction.
    /// </summary>
    Task Invalidate();

    bool HasTag(string tag);
}
