using System.Diagnostics;
using System.Text;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;

namespace Kv.AspNetCore.Caching;

// Several entries in one round trip, and the removal of every entry of the instance.
public sealed partial class KvDistributedCache
{
    private const int ClearPageSize = 1000;

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
            var replies = new KvResult[unique.Count];
            var (refused, noScript) = await GetAndRefreshBatchAsync(unique, null, replies, token).ConfigureAwait(false);
            if (refused is not null)
            {
                // NOSCRIPT: the server lost its script cache (a restart, SCRIPT FLUSH). A batch cannot
                // fall back to EVAL call by call as EvalAsync does, so the script is loaded once and
                // the refused calls run again.
                await _client.ExecuteAsync("SCRIPT", ["LOAD", CacheEntryLayout.GetAndRefresh.Source], token).ConfigureAwait(false);
                (refused, noScript) = await GetAndRefreshBatchAsync(unique, refused, replies, token).ConfigureAwait(false);
                if (noScript is not null)
                {
                    ExceptionDispatch(noScript);
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
        catch (Exception ex) when (IsUnavailable(ex))
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
        var items = new List<(KvKey Key, ReadOnlyMemory<byte> Value)>();
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

            string full = Expand(key);
            _near?.Remove(full);
            items.Add((full, value));
            names.Add(key);
        }

        var (absolute, sliding, ttl) = CacheEntryLayout.Expiry(options, _time.GetUtcNow());
        if (items.Count == 0)
        {
            return;
        }

        token.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        try
        {
            await WriteEntriesAsync([.. items], absolute, sliding, ttl).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
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
        var expanded = new List<KvValue>();
        var names = new List<string>();
        foreach (string key in keys)
        {
            if (key is null)
            {
                throw new ArgumentException("A key in the list is null.", nameof(keys));
            }

            string full = Expand(key);
            _near?.Remove(full);
            expanded.Add(full);
            names.Add(key);
        }

        if (expanded.Count == 0)
        {
            return;
        }

        token.ThrowIfCancellationRequested();
        long start = Stopwatch.GetTimestamp();
        try
        {
            await _client.ExecuteAsync("UNLINK", [.. expanded], token).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            Unavailable("remove_many", Describe(names), ex, false);
        }
        finally
        {
            _metrics.Duration("remove_many", start);
        }
    }

    /// <summary>
    /// Removes every entry of this cache: each key that starts with <see cref="KvCacheOptions.InstanceName"/>,
    /// found with SCAN … MATCH and removed with UNLINK, up to 1,000 keys a round trip. Entries of
    /// other instance names and keys outside the prefix stay.
    /// </summary>
    /// <remarks>
    /// O(n) in the keys of the whole database, not only this cache's: SCAN walks them all, in short
    /// steps that never block the server for long. Not atomic: an entry written by another caller
    /// while it runs may be removed or may stay; one written after it returns stays.
    /// </remarks>
    /// <param name="token">Stops between pages (the pages already sent are removed).</param>
    /// <returns>The number of entries removed.</returns>
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
        _near?.Clear();
        string pattern = EscapeGlob(_instanceName) + "*";
        long removed = 0;
        long start = Stopwatch.GetTimestamp();
        try
        {
            var page = await _client.ExecuteAsync("SCAN", ["0", "MATCH", pattern, "COUNT", ClearPageSize], token).ConfigureAwait(false);
            while (true)
            {
                KvValue cursor = page[0].AsValue();
                bool last = cursor.TryGetInt64(out long position) && position == 0;
                var keys = page[1].Items;
                if (keys.Length == 0 && last)
                {
                    break;
                }

                var batch = _client.CreateBatch();
                ValueTask<KvResult>? unlink = null;
                if (keys.Length > 0)
                {
                    var names = new KvValue[keys.Length];
                    for (int i = 0; i < keys.Length; i++)
                    {
                        names[i] = keys[i].AsValue();
                    }

                    unlink = batch.Add("UNLINK", names);
                }

                // The next page is asked for with this page's UNLINK: one round trip a page.
                ValueTask<KvResult>? next = last ? null : batch.Add("SCAN", cursor, "MATCH", pattern, "COUNT", ClearPageSize);
                batch.Execute(token);
                try
                {
                    if (unlink is { } removal)
                    {
                        removed += (await removal.ConfigureAwait(false)).AsInt64();
                    }
                }
                finally
                {
                    if (next is { } scan)
                    {
                        page = await scan.ConfigureAwait(false);
                    }
                }

                if (last)
                {
                    break;
                }
            }

            return removed;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            return Unavailable("clear", _instanceName + "*", ex, removed);
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
    private async Task<(List<int>? Refused, KvServerException? NoScript)> GetAndRefreshBatchAsync(List<string> keys, List<int>? indexes, KvResult[] replies, CancellationToken token)
    {
        int count = indexes?.Count ?? keys.Count;
        var calls = new ValueTask<KvResult>[count];
        var batch = _client.CreateBatch();
        KvValue now = NowTicks();
        string sha = CacheEntryLayout.GetAndRefresh.Sha1;
        for (int i = 0; i < count; i++)
        {
            calls[i] = batch.Add("EVALSHA", sha, 1, Expand(keys[indexes?[i] ?? i]), now, 1, 1);
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
            ExceptionDispatch(failure);
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

    /// <summary>Escapes Redis's glob characters (<c>* ? [ ] \</c>) so MATCH takes the text literally.</summary>
    private static string EscapeGlob(string text)
    {
        var escaped = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
