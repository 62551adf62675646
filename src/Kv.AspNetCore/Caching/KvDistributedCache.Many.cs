using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;

namespace Kv.AspNetCore.Caching;

// Several entries in one round trip, and the removal of every entry of the instance.
public sealed partial class KvDistributedCache
{
    /// <summary>
    /// Gets several values in one round trip: one pipelined script call per key, each reading its
    /// entry and pushing a sliding expiration out as <see cref="GetAsync(string, CancellationToken)"/> does.
    /// </summary>
    /// <param name="keys">The keys; a key named twice is read once.</param>
    /// <param name="token">Stops waiting for the replies.</param>
    /// <returns>Every key asked for, with its value, or null when there is none (or, with
    /// <see cref="KvFailureMode.Ignore"/>, when the server cannot be reached).</returns>
    /// <exception cref="ArgumentException">A key is null.</exception>
    public async Task<IReadOnlyDictionary<string, byte[]?>> GetManyAsync(IEnumerable<string> keys, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var values = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var unique = new List<string>();
        foreach (string key in keys)
        {
            if (key is null)
            {
                throw new ArgumentException("A key in the list is null.", nameof(keys));
            }

            if (values.TryAdd(key, null))
            {
                unique.Add(key);
            }
        }

        if (unique.Count == 0)
        {
            return values;
        }

        token.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        try
        {
            string prefix = await PrefixAsync(token).ConfigureAwait(false);
            var replies = new KvResult[unique.Count];
            var (refused, noScript) = await GetAndRefreshBatchAsync(prefix, unique, null, replies, token).ConfigureAwait(false);
            if (refused is not null)
            {
                // NOSCRIPT: the server lost its script cache (a restart, SCRIPT FLUSH). A batch cannot
                // fall back to EVAL call by call as EvalAsync does, so the script is loaded once and
                // the refused calls run again.
                await _client.ExecuteAsync("SCRIPT", ["LOAD", CacheEntryLayout.GetAndRefresh.Source], token).ConfigureAwait(false);
                (refused, noScript) = await GetAndRefreshBatchAsync(prefix, unique, refused, replies, token).ConfigureAwait(false);
                if (noScript is not null)
                {
                    ExceptionDispatchInfo.Throw(noScript);
                }
            }

            for (int i = 0; i < unique.Count; i++)
            {
                byte[]? data = DataOf(replies[i]);
                _metrics.Lookup(hit: data is not null, near: false);
                values[unique[i]] = data;
            }

            return values;
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            return Unavailable<IReadOnlyDictionary<string, byte[]?>>("get_many", Describe(unique), ex, values);
        }
        finally
        {
            _metrics.Duration("get_many", start);
        }
    }

    /// <summary>
    /// Sets several values, all with the same <paramref name="options"/>, in one round trip and
    /// atomically: one MULTI/EXEC holds every value and its TTL, so other clients see all of them or none.
    /// </summary>
    /// <param name="entries">The keys and values; a key named twice keeps its last value.</param>
    /// <param name="options">The expiration of every entry, computed once for all of them.</param>
    /// <param name="token">Checked before anything is sent; once sent, the transaction is not abandoned half way.</param>
    /// <exception cref="ArgumentException">A key or a value is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The absolute expiration is not in the future, or an expiration is not positive.</exception>
    public async Task SetManyAsync(IEnumerable<KeyValuePair<string, byte[]>> entries, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(options);
        var values = new List<byte[]>();
        var names = new List<string>();
        foreach (var (key, value) in entries)
        {
            if (key is null)
            {
                throw new ArgumentException("An entry in the list has a null key.", nameof(entries));
            }

            if (value is null)
            {
                throw new ArgumentException($"The entry '{key}' has a null value.", nameof(entries));
            }

            values.Add(value);
            names.Add(key);
        }

        var (absolute, sliding, ttl) = CacheEntryLayout.Expiry(options, _time.GetUtcNow());
        if (names.Count == 0)
        {
            return;
        }

        token.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        try
        {
            string prefix = await PrefixAsync(token).ConfigureAwait(false);
            var items = new (KvKey Key, ReadOnlyMemory<byte> Value)[names.Count];
            for (int i = 0; i < items.Length; i++)
            {
                string full = Expand(prefix, names[i]);
                _near?.Remove(full);
                items[i] = (full, values[i]);
            }

            await WriteEntriesAsync(items, absolute, sliding, ttl).ConfigureAwait(false);
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            Unavailable("set_many", Describe(names), ex, false);
        }
        finally
        {
            _metrics.Duration("set_many", start);
        }
    }

    /// <summary>Removes several entries in one round trip (one UNLINK: the memory is freed off the server's main thread).</summary>
    /// <param name="keys">The keys; keys without an entry are skipped.</param>
    /// <param name="token">Stops waiting for the reply (the removal may still happen).</param>
    /// <exception cref="ArgumentException">A key is null.</exception>
    public async Task RemoveManyAsync(IEnumerable<string> keys, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var names = new List<string>();
        foreach (string key in keys)
        {
            if (key is null)
            {
                throw new ArgumentException("A key in the list is null.", nameof(keys));
            }

            names.Add(key);
        }

        if (names.Count == 0)
        {
            return;
        }

        token.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        try
        {
            string prefix = await PrefixAsync(token).ConfigureAwait(false);
            var expanded = new KvValue[names.Count];
            for (int i = 0; i < expanded.Length; i++)
            {
                string full = Expand(prefix, names[i]);
                _near?.Remove(full);
                expanded[i] = full;
            }

            await _client.ExecuteAsync("UNLINK", expanded, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            Unavailable("remove_many", Describe(names), ex, false);
        }
        finally
        {
            _metrics.Duration("remove_many", start);
        }
    }

    /// <summary>
    /// Removes every entry of this cache. By default each key that starts with
    /// <see cref="KvCacheOptions.InstanceName"/>, found with SCAN … MATCH and removed with UNLINK, up to
    /// 1,000 keys a round trip; entries of other instance names and keys outside the prefix stay. With
    /// <see cref="KvCacheOptions.UseGenerations"/>, one command that moves the instance to a new
    /// generation: every entry written before is invisible when this returns, and is removed by a
    /// sweep in the background.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Without generations: O(n) in the keys of the whole database, not only this cache's: SCAN walks
    /// them all, in short steps that never block the server for long. Not atomic: an entry written by
    /// another caller while it runs may be removed or may stay; one written after it returns stays.
    /// </para>
    /// <para>
    /// With generations: O(1). This app instance sees the new generation at once; other instances as
    /// soon as the server's report of the change reaches them (milliseconds; until then they still read
    /// the old entries). A write that races the clear may land in the old generation: it is then
    /// cleared with the rest. The sweep (SCAN … MATCH and UNLINK of the older generations' keys, logged,
    /// its failures too) runs after this returns, so that entries without expiry do not stay in memory
    /// for ever; a sweep cut short (a failure, the app stopping) is finished by the next clear's.
    /// </para>
    /// </remarks>
    /// <param name="token">Stops between pages (the pages already sent are removed); with generations, stops waiting for the reply.</param>
    /// <returns>The number of entries removed; with generations 0 (the sweep, after this returns, logs how many it removed).</returns>
    /// <exception cref="InvalidOperationException">No instance name is set, so this cache's keys cannot be told from the rest of the database.</exception>
    public async Task<long> ClearAsync(CancellationToken token = default)
    {
        if (_instanceName.Length == 0)
        {
            throw new InvalidOperationException(
                "ClearAsync removes the keys that start with the cache's instance name, and none is set (KvCacheOptions.InstanceName, "
                + "configuration key Kv:Cache:InstanceName): it would remove every key of the database. Set an instance name such as 'shop:'.");
        }

        token.ThrowIfCancellationRequested();
        var removed = new StrongBox<long>();
        long start = Stopwatch.GetTimestamp();
        try
        {
            if (_generation is { } generation)
            {
                long current = await generation.AdvanceAsync(token).ConfigureAwait(false);

                // After the move: a read in flight until now may have kept an entry of the old generation.
                _near?.Clear();
                generation.Sweep(below: current);
                return 0;
            }

            _near?.Clear();
            await MatchingKeys.UnlinkAsync(_client, MatchingKeys.EscapeGlob(_instanceName) + "*", null, removed, token).ConfigureAwait(false);
            return removed.Value;
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            return Unavailable("clear", _instanceName + "*", ex, removed.Value);
        }
        finally
        {
            _metrics.Duration("clear", start);
        }
    }

    /// <summary>
    /// Sends the read script for <paramref name="keys"/> (all, or those at <paramref name="indexes"/>)
    /// as EVALSHA calls in one batch and puts the replies in <paramref name="replies"/>.
    /// </summary>
    /// <returns>The indexes the server refused with NOSCRIPT and the first such refusal (nulls when none).</returns>
    private async Task<(List<int>? Refused, KvServerException? NoScript)> GetAndRefreshBatchAsync(string prefix, List<string> keys, List<int>? indexes, KvResult[] replies, CancellationToken token)
    {
        int count = indexes?.Count ?? keys.Count;
        var calls = new ValueTask<KvResult>[count];
        var batch = _client.CreateBatch();
        KvValue now = NowTicks();
        string sha = CacheEntryLayout.GetAndRefresh.Sha1;
        for (int i = 0; i < count; i++)
        {
            calls[i] = batch.Add("EVALSHA", sha, 1, Expand(prefix, keys[indexes?[i] ?? i]), now);
        }

        batch.Execute(token);

        // Every reply is awaited (each pooled operation goes back to its pool) before a failure is thrown.
        List<int>? refused = null;
        KvServerException? noScript = null;
        Exception? failure = null;
        for (int i = 0; i < count; i++)
        {
            int index = indexes?[i] ?? i;
            try
            {
                replies[index] = await calls[i].ConfigureAwait(false);
            }
            catch (KvServerException ex) when (ex.Prefix == "NOSCRIPT")
            {
                (refused ??= []).Add(index);
                noScript ??= ex;
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return (refused, noScript);
    }

    /// <summary>Names the keys of a batch in a log line: the first few, then how many more.</summary>
    private static string Describe(List<string> keys)
    {
        const int Shown = 3;
        string first = string.Join(", ", keys.Count > Shown ? keys.GetRange(0, Shown) : keys);
        return keys.Count > Shown ? $"{first} (+{keys.Count - Shown} more)" : first;
    }
}
