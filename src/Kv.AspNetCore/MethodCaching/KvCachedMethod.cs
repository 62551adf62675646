using System.Buffers;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.MethodCaching;

/// <summary>
/// One [Cache] method: reads its entries, and on a miss runs the real method once per key in this
/// process (the callers that arrive meanwhile wait for that call), then stores the result. Used by
/// generated code.
/// </summary>
/// <remarks>
/// An entry is one byte (<c>0</c>: null, <c>1</c>: JSON follows) and the result as JSON. An entry that
/// does not deserialize is a miss (logged) and is overwritten.
/// </remarks>
/// <typeparam name="T">The method's result type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed partial class KvCachedMethod<T>
{
    private const byte NullMarker = 0;
    private const byte JsonMarker = 1;

    private readonly KvMethodCache _cache;
    private readonly string _id;
    private readonly JsonTypeInfo<T> _typeInfo;
    private readonly DistributedCacheEntryOptions _entry;
    private readonly long _ttlMilliseconds;
    private readonly string[]? _tags;
    private readonly bool _cacheNulls;
    private readonly KeyValuePair<string, object?> _metricTag;

    internal KvCachedMethod(KvMethodCache cache, string id, int seconds, string[]? tags, KvCacheNulls nulls)
    {
        _cache = cache;
        _id = id;
        _typeInfo = cache.TypeInfo<T>();
        var ttl = seconds > 0 ? TimeSpan.FromSeconds(seconds) : cache.Options.DefaultDuration;
        _entry = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = ttl };
        _ttlMilliseconds = (long)ttl.TotalMilliseconds;
        _tags = tags is { Length: > 0 } ? tags : null;
        _cacheNulls = nulls switch { KvCacheNulls.Cache => true, KvCacheNulls.Skip => false, _ => cache.Options.CacheNulls };

        // The method without its parameter list: bounded cardinality, readable on a dashboard.
        int paren = id.IndexOf('(', StringComparison.Ordinal);
        _metricTag = new("kv.method", paren > 0 ? id[..paren] : id);
    }

    /// <summary>The cached result for <paramref name="key"/>, or the result of one shared call of <paramref name="call"/>.</summary>
    /// <param name="key">The entry's key (the generated key builder's).</param>
    /// <param name="state">The instance and arguments the call needs (a static lambda allocates nothing).</param>
    /// <param name="call">Calls the real method; its token is cancelled only when every waiting caller has given up.</param>
    /// <param name="token">This caller's token: cancels its wait (and its read), not the shared call.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<T> GetOrCallAsync<TState>(string key, TState state, Func<TState, CancellationToken, ValueTask<T>> call, CancellationToken token)
    {
        // The Kv cache's read inline, not through ReadAsync: one async method on the hit path, not two
        // (each a state machine box: completions arrive on the connection's thread, so the pool rarely reuses one).
        var (found, value) = _cache.Kv is { } kv
            ? Decode(key, await kv.GetAsync(key, refresh: false, token).ConfigureAwait(false))
            : await ReadAsync(key, token).ConfigureAwait(false);
        _cache.Metrics.MethodLookup(_metricTag, found);
        if (found)
        {
            return value;
        }

        while (true)
        {
            if (_cache.Flights.TryGetValue(key, out var existing))
            {
                var joined = (Flight)existing;
                if (joined.TryJoin())
                {
                    return await joined.WaitAsync(token).ConfigureAwait(false);
                }

                // Every caller of that flight gave up (its call is being cancelled), it failed, or it was invalidated: start over.
                var replacement = new Flight(_tags);
                replacement.TryJoin();
                if (_cache.Flights.TryUpdate(key, replacement, existing))
                {
                    return await StartAsync(replacement, key, state, call, token).ConfigureAwait(false);
                }

                continue;
            }

            var flight = new Flight(_tags);
            flight.TryJoin();
            if (_cache.Flights.TryAdd(key, flight))
            {
                return await StartAsync(flight, key, state, call, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>As <see cref="GetOrCallAsync"/>, blocking the calling thread (for synchronous methods).</summary>
    public T GetOrCall<TState>(string key, TState state, Func<TState, CancellationToken, T> call, CancellationToken token)
    {
        var pending = GetOrCallAsync(key, (State: state, Call: call), static (s, t) => new ValueTask<T>(s.Call(s.State, t)), token);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    private Task<T> StartAsync<TState>(Flight flight, string key, TState state, Func<TState, CancellationToken, ValueTask<T>> call, CancellationToken token)
    {
        _ = RunAsync(flight, key, state, call);
        return flight.WaitAsync(token);
    }

    private async Task RunAsync<TState>(Flight flight, string key, TState state, Func<TState, CancellationToken, ValueTask<T>> call)
    {
        try
        {
            // Read again: a flight that ended between this caller's miss and its start stored the result.
            var (found, value) = await ReadAsync(key, flight.Token).ConfigureAwait(false);
            if (found)
            {
                flight.Complete(value);
                return;
            }

            value = await call(state, flight.Token).ConfigureAwait(false);
            bool store = value is not null || _cacheNulls;
            if (!store)
            {
                // Not kept: a caller that comes after this call returned makes its own, as it would find no entry.
                _cache.Flights.TryRemove(new KeyValuePair<string, object>(key, flight));
            }

            flight.Complete(value);

            // Callers have their result; a late caller still joins this flight until the entry is stored.
            // An invalidation from here on waits for the store to land before it evicts.
            if (store && flight.TryBeginWrite())
            {
                await WriteAsync(key, value).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Not stored: every waiter sees the failure; the next call tries again.
            if (!flight.Fail(ex))
            {
                LogWriteFailed(_cache.Logger, _id, key, ex);
            }
        }
        finally
        {
            _cache.Flights.TryRemove(new KeyValuePair<string, object>(key, flight));
            flight.EndWrite();
            flight.Dispose();
        }
    }

    private async ValueTask<(bool Found, T Value)> ReadAsync(string key, CancellationToken token)
    {
        // The Kv cache applies Kv:Cache:OnServerUnavailable itself (Ignore: a miss, so the method runs).
        if (_cache.Kv is { } kv)
        {
            // The array the reply was read into: no copy (IBufferDistributedCache.TryGetAsync would copy it
            // into the caller's buffer), and no refresh (the entries have no sliding window).
            return Decode(key, await kv.GetAsync(key, refresh: false, token).ConfigureAwait(false));
        }

        if (_cache.Buffered is { } buffered)
        {
            using var buffer = new PooledBufferWriter();
            return await buffered.TryGetAsync(key, buffer, token).ConfigureAwait(false) ? Decode(key, buffer.WrittenSpan) : default;
        }

        return Decode(key, await _cache.Cache.GetAsync(key, token).ConfigureAwait(false));
    }

    private (bool Found, T Value) Decode(string key, ReadOnlySpan<byte> entry)
    {
        if (entry.IsEmpty)
        {
            return default;
        }

        if (entry[0] == NullMarker && entry.Length == 1)
        {
            return (true, default!);
        }

        if (entry[0] == JsonMarker)
        {
            try
            {
                return (true, JsonSerializer.Deserialize(entry[1..], _typeInfo)!);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
            {
                LogUnreadable(_cache.Logger, _id, key, ex.Message);
                return default;
            }
        }

        LogUnreadable(_cache.Logger, _id, key, "not an entry of the method cache");
        return default;
    }

    private (bool Found, T Value) Decode(string key, byte[]? entry) => entry is null ? default : Decode(key, entry.AsSpan());

    private async ValueTask WriteAsync(string key, T value)
    {
        using var buffer = new PooledBufferWriter();
        if (value is null)
        {
            buffer.GetSpan(1)[0] = NullMarker;
            buffer.Advance(1);
        }
        else
        {
            buffer.GetSpan(1)[0] = JsonMarker;
            buffer.Advance(1);
            using var writer = new Utf8JsonWriter(buffer);
            JsonSerializer.Serialize(writer, value, _typeInfo);
        }

        if (_cache.Kv is { } kv)
        {
            await kv.SetAsync(key, new ReadOnlySequence<byte>(buffer.WrittenMemory), _entry).ConfigureAwait(false);
        }
        else if (_cache.Buffered is { } buffered)
        {
            await buffered.SetAsync(key, new ReadOnlySequence<byte>(buffer.WrittenMemory), _entry).ConfigureAwait(false);
        }
        else
        {
            await _cache.Cache.SetAsync(key, buffer.WrittenSpan.ToArray(), _entry).ConfigureAwait(false);
        }

        if (_tags is not null)
        {
            try
            {
                await _cache.TagAsync(key, _tags, _ttlMilliseconds).ConfigureAwait(false);
            }
            catch (Exception ex) when (ServerUnavailable.Is(ex))
            {
                _cache.Unavailable("tag", key, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv method cache: the entry of {Method} at '{Key}' could not be read, so the method runs: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string method, string key, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Kv method cache: the result of {Method} was returned but not stored at '{Key}'.")]
    private static partial void LogWriteFailed(ILogger logger, string method, string key, Exception exception);

    /// <summary>
    /// One call of the real method that callers of the same key share. Its token is cancelled when the
    /// last waiting caller gives up, not before: one caller's cancellation leaves the others' call running.
    /// </summary>
    private sealed class Flight(string[]? tags) : IFlight, IDisposable
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _cancel = new();
        private readonly Lock _lock = new();
        private int _waiters;
        private volatile bool _invalidated;
        private TaskCompletionSource? _writing;

        public CancellationToken Token => _cancel.Token;

        public int Waiters => Volatile.Read(ref _waiters);

        public Task Invalidate()
        {
            lock (_lock)
            {
                _invalidated = true;
                return _writing?.Task ?? Task.CompletedTask;
            }
        }

        /// <summary>Starts storing the result, unless it was invalidated (then it must not be stored).</summary>
        public bool TryBeginWrite()
        {
            lock (_lock)
            {
                if (_invalidated)
                {
                    return false;
                }

                _writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return true;
            }
        }

        /// <summary>The store landed, failed or never started: invalidations waiting for it go on.</summary>
        public void EndWrite()
        {
            lock (_lock)
            {
                _writing?.TrySetResult();
            }
        }

        public bool HasTag(string tag) => tags is not null && Array.IndexOf(tags, tag) >= 0;

        public bool TryJoin()
        {
            lock (_lock)
            {
                // A failed call is not shared with callers that come after it: they try again; nor is one
                // whose data changed meanwhile. A call that succeeded is, until its entry is stored.
                if (_cancel.IsCancellationRequested || _invalidated || _result.Task.IsFaulted || _result.Task.IsCanceled)
                {
                    return false;
                }

                _waiters++;
                return true;
            }
        }

        public async Task<T> WaitAsync(CancellationToken token)
        {
            if (!token.CanBeCanceled)
            {
                return await _result.Task.ConfigureAwait(false);
            }

            try
            {
                return await _result.Task.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested && !_result.Task.IsCompleted)
            {
                Leave();
                throw;
            }
        }

        public void Complete(T value) => _result.TrySetResult(value);

        /// <summary>Hands the failure to the waiters; false when they already had a result (a failed write).</summary>
        public bool Fail(Exception ex)
        {
            if (_result.Task.IsCompleted)
            {
                return false;
            }

            return ex is OperationCanceledException canceled ? _result.TrySetCanceled(canceled.CancellationToken) : _result.TrySetException(ex);
        }

        public void Dispose() => _cancel.Dispose();

        private void Leave()
        {
            lock (_lock)
            {
                if (--_waiters == 0 && !_result.Task.IsCompleted)
                {
                    _cancel.Cancel();
                }
            }
        }
    }
}
